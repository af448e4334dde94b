// `npm run bench [-- --quick] [-- --reuse]`: every figure the feature issues name, in one command and one
// table, all measured on one dataset (bench/lib/dataset.ts: 10 shops, one with 1,000,000 keys in 1,000
// tags; --quick 100,000 in 100). This process starts one PostgreSQL, builds the dataset once as a
// template database and stops the server at the end, also on failure or Ctrl-C. Each feature's
// benchmark module runs in its own process (a crash or a leaked pool in one cannot skew the next, and
// each stays runnable alone: `npx tsx bench/<name>.ts`), one after the other so they never compete for
// the two cores, each on its own copy of the template (BENCH_POSTGRES_URL + BENCH_DATASET). The admin
// pages' lab Web Vitals run last. Their figures, each beside its same-run baseline, are gathered into one
// table and bench/results/all.json, with the dataset's description.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { startDatasetServer, type DatasetServer } from "./lib/dataset";
import { printFigures, quick, writeResults, type Figure } from "./lib/harness";

const MODULES = [
  { name: "library", title: "Licence key library (issue 3)" },
  { name: "import", title: "Adding licence keys (issue 3)" },
  { name: "fulfilment", title: "Order fulfilment (issue 4)" },
  { name: "export", title: "Export (issue 6)" },
  { name: "load", title: "Two app instances under load (issue 7)" },
  { name: "vitals", title: "Admin pages' lab Web Vitals (issue 7)" },
];

let current: ChildProcess | undefined;
let interrupted = false;

function run(file: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    current = spawn(process.execPath, ["--import", "tsx", file, ...(quick ? ["--quick"] : [])], { stdio: "inherit", env });
    current.on("exit", (code) => {
      current = undefined;
      resolve(code ?? 1);
    });
  });
}

async function main() {
  const started = performance.now();
  const sections: Array<{ title: string; figures: Figure[]; notes?: unknown; status: string }> = [];
  const loadAverageAtStart = os.loadavg().map((n) => Math.round(n * 10) / 10);
  let server: DatasetServer | undefined;
  // Ctrl-C or a kill: the running module gets it too and stops; no further module starts; the finally
  // below stops PostgreSQL. While the dataset is still being built there is no module: exit at once
  // (app/local/postgres.ts stops the server on exit).
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      interrupted = true;
      if (current) current.kill(signal);
      else process.exit(130);
    });
  }
  try {
    server = await startDatasetServer();
    const env = { ...process.env, BENCH_POSTGRES_URL: server.url("postgres"), BENCH_DATASET: server.template };
    await measure(env, sections);
  } finally {
    await server?.stop();
  }
  const dataset = server!.description;
  console.log(
    `\nDataset: ${dataset.shops} shops; ${dataset.bigShop.domain} with ${dataset.bigShop.keys.toLocaleString("en-US")} keys in ` +
      `${dataset.bigShop.tags} tags, ${dataset.bigShop.orders.toLocaleString("en-US")} past orders, ${dataset.bigShop.productLinks} product links; ` +
      `${dataset.shops - 1} others with ${dataset.otherShops.keys.toLocaleString("en-US")} keys each. ` +
      `${dataset.databaseSize}, ${dataset.reused ? "reused (--reuse)" : `built in ${dataset.buildSeconds} s`}.`,
  );
  report(sections, started, { dataset, loadAverageAtStart });
}

async function measure(env: NodeJS.ProcessEnv, sections: Array<{ title: string; figures: Figure[]; notes?: unknown; status: string }>) {
  for (const module of MODULES) {
    if (interrupted) {
      sections.push({ title: module.title, figures: [], status: "not run (interrupted)" });
      continue;
    }
    const file = path.resolve("bench", `${module.name}.ts`);
    if (!existsSync(file)) {
      sections.push({ title: module.title, figures: [], status: "no benchmark module yet" });
      continue;
    }
    console.log(`\n=== ${module.title}: bench/${module.name}.ts${quick ? " --quick" : ""}`);
    const moduleStart = Date.now();
    const code = await run(file, env);
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
}

function report(
  sections: Array<{ title: string; figures: Figure[]; notes?: unknown; status: string }>,
  started: number,
  extra: Record<string, unknown>,
) {
  const all = sections.flatMap((section) => section.figures.map((figure) => ({ ...figure, name: `${section.title.split(" (")[0]}: ${figure.name.trim()}` })));
  for (const section of sections) {
    if (section.figures.length) printFigures(section.title, section.figures);
    else console.log(`\n${section.title}: ${section.status}`);
  }
  const judged = all.filter((figure) => figure.pass !== undefined);
  const failed = judged.filter((figure) => !figure.pass);
  console.log(`\n${judged.length - failed.length}/${judged.length} targets met; ${Math.round((performance.now() - started) / 1000)} s in all.`);
  for (const figure of failed) console.log(`  FAIL ${figure.name}: ${figure.value.median.toFixed(1)} ${figure.unit} (target ${figure.target})`);
  // An interrupted run keeps the last complete run's all.json.
  if (interrupted) {
    process.exitCode = 130;
    return;
  }
  writeResults("all", all, {
    sections: sections.map(({ title, status, notes, figures }) => ({ title, status, figures: figures.length, notes })),
    ...extra,
    loadAverageAtEnd: os.loadavg().map((n) => Math.round(n * 10) / 10),
    seconds: Math.round((performance.now() - started) / 1000),
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
