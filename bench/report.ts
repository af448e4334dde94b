// `npx tsx bench/report.ts [--quick]`: the last complete `npm run bench` (bench/results/all.json) as the
// Markdown table the README carries, with the date, the machine, its load and the dataset.
import { readFileSync } from "node:fs";
import path from "node:path";
import { quick, type Figure } from "./lib/harness";

interface AllResults {
  date: string;
  machine: { cpus: number; cpu: string; memoryGiB: number; node: string };
  figures: Figure[];
  sections: Array<{ title: string; status: string }>;
  dataset?: {
    shops: number;
    bigShop: { keys: number; tags: number };
    databaseSize: string;
    buildSeconds: number;
    sharedBuffers?: string;
    hugePages?: string;
  };
  loadAverageAtStart?: number[];
  loadAverageAtEnd?: number[];
  seconds: number;
}

const file = path.resolve("bench", "results", `all${quick ? "-quick" : ""}.json`);
const results = JSON.parse(readFileSync(file, "utf8")) as AllResults;

const number = (n: number) =>
  n.toLocaleString("en-US", { maximumFractionDigits: n >= 100 ? 0 : n >= 10 ? 1 : 2 });
const withUnit = (n: number, unit: string) => (unit ? `${number(n)} ${unit}` : number(n));

const { machine, dataset } = results;
const lines = [
  `${results.date.slice(0, 10)}, ${machine.cpus} vCPU ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}; ` +
    `load average ${results.loadAverageAtStart?.[0] ?? "?"} at the start, ${results.loadAverageAtEnd?.[0] ?? "?"} at the end; ` +
    `${Math.max(1, Math.round(results.seconds / 60))} min in all.` +
    (dataset
      ? ` Dataset: ${dataset.shops} shops, one with ${number(dataset.bigShop.keys)} keys in ${number(dataset.bigShop.tags)} tags, ` +
        `${dataset.databaseSize}, built in ${Math.round(dataset.buildSeconds)} s.` +
        (dataset.sharedBuffers
          ? ` PostgreSQL: shared_buffers ${dataset.sharedBuffers}, ${dataset.hugePages === "on" ? "in huge pages" : "without huge pages"}.`
          : "")
      : ""),
  "",
  "| figure | median (min-max, runs) | baseline, same run | ratio | target |",
  "|---|---|---|---|---|",
];
for (const figure of results.figures) {
  const { value, baseline } = figure;
  const spread = value.runs > 1 ? ` (${number(value.min)}-${number(value.max)}, ${value.runs})` : "";
  const target = figure.target ? `${figure.target}: ${figure.pass === undefined ? "" : figure.pass ? "met" : "**not met**"}` : "";
  lines.push(
    `| ${figure.name.replace(/\|/g, "/")} | ${withUnit(value.median, figure.unit)}${spread} | ` +
      `${baseline ? `${baseline.name}: ${withUnit(baseline.value.median, figure.unit)}` : ""} | ` +
      `${figure.ratio !== undefined ? `${figure.ratio.toFixed(2)}x` : ""} | ${target} |`,
  );
}
for (const section of results.sections.filter((s) => s.status !== "ok")) {
  lines.push(`| ${section.title} | ${section.status} | | | |`);
}
console.log(lines.join("\n"));
