// `npm run bench [-- --quick]`: every figure the feature issues name, in one command and one table.
// Each feature's benchmark module runs in its own process (a crash or a leaked pool in one cannot skew
// the next, and each stays runnable alone: `npx tsx bench/<name>.ts`), one after the other so they never
// compete for the two cores; the admin pages' lab Web Vitals run last. Their figures, each beside its
// same-run baseline, are gathered into one table and bench/results/all.json.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { printFigures, quick, writeResults, type Figure } from "./lib/harness";

const MODULES = [
  { name: "library", title: "Licence key library (issue 3)" },
  { name: "import", title: "Adding licence keys (issue 3)" },
  { name: "fulfilment", title: "Order fulfilment (issue 4)" },
  { name: "export", title: "Export (issue 6)" },
  { name: "load", title: "Two app instances under load (issue 7)" },
  { name: "vitals", title: "Admin pages' lab Web Vitals (issue 7)" },
];

function run(file: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", file, ...(quick ? ["--quick"] : [])], { stdio: "inherit", env: process.env });
    const stop = () => child.kill("SIGINT");
    process.once("SIGINT", stop);
    child.on("exit", (code) => {
      process.off("SIGINT", stop);
      resolve(code ?? 1);
    });
  });
}

async function main() {
  const started = performance.now();
  const sections: Array<{ title: string; figures: Figure[]; notes?: unknown; status: string }> = [];
  for (const module of MODULES) {
    const file = path.resolve("bench", `${module.name}.ts`);
    if (!existsSync(file)) {
      sections.push({ title: module.title, figures: [], status: "no benchmark module yet" });
      continue;
    }
    console.log(`\n=== ${module.title}: bench/${module.name}.ts${quick ? " --quick" : ""}`);
    const moduleStart = Date.now();
    const code = await run(file);
    const resultFile = path.resolve("bench", "results", `${module.name}${quick ? "-quick" : ""}.json`);
    // A result file older than this run belongs to an earlier one: never report it as this run's.
    const fresh = existsSync(resultFile) && JSON.parse(readFileSync(resultFile, "utf8")).date >= new Date(moduleStart).toISOString();
    if (code !== 0 || !fresh) {
      sections.push({ title: module.title, figures: [], status: `failed (exit ${code})` });
      continue;
    }
    const result = JSON.parse(readFileSync(resultFile, "utf8")) as { figures: Figure[]; [key: string]: unknown };
    const { figures, name: _name, quick: _quick, date: _date, machine: _machine, ...notes } = result;
    sections.push({ title: module.title, figures, notes, status: "ok" });
  }

  const all = sections.flatMap((section) => section.figures.map((figure) => ({ ...figure, name: `${section.title.split(" (")[0]}: ${figure.name.trim()}` })));
  for (const section of sections) {
    if (section.figures.length) printFigures(section.title, section.figures);
    else console.log(`\n${section.title}: ${section.status}`);
  }
  const judged = all.filter((figure) => figure.pass !== undefined);
  const failed = judged.filter((figure) => !figure.pass);
  console.log(`\n${judged.length - failed.length}/${judged.length} targets met; ${Math.round((performance.now() - started) / 1000)} s in all.`);
  for (const figure of failed) console.log(`  FAIL ${figure.name}: ${figure.value.median.toFixed(1)} ${figure.unit} (target ${figure.target})`);
  writeResults("all", all, {
    sections: sections.map(({ title, status, notes, figures }) => ({ title, status, figures: figures.length, notes })),
    seconds: Math.round((performance.now() - started) / 1000),
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
