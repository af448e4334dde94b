// Shared benchmark machinery: repeated timing with median/min/max, figures printed beside their
// same-run baseline, and JSON results in bench/results/. The dataset and its PostgreSQL: ./dataset.ts.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { buildApp } from "../../app/local/app-server";

export const quick = process.argv.includes("--quick");

/** The production build the app server processes run (`remix build`, when missing or with --build). */
export function ensureAppBuild() {
  if (existsSync(path.resolve("build/index.js")) && !process.argv.includes("--build")) return;
  console.log("building the app (remix build)");
  buildApp();
}

export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export interface Figure {
  name: string;
  unit: string;
  value: Stats;
  baseline?: { name: string; value: Stats };
  /** value / baseline (or baseline / value for throughputs, so that > 1 means faster). */
  ratio?: number;
  target?: string;
  pass?: boolean;
}

export function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}

/** Peak resident memory of this process while `fn` runs, sampled every `everyMs`. */
export async function withPeakRss<T>(fn: () => Promise<T>, everyMs = 10): Promise<{ result: T; peakMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, everyMs);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, peakMb: peak / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

/** Runs fn `runs` times (after `warmup` untimed runs) and returns milliseconds per run. */
export async function timeRuns(fn: () => Promise<unknown>, { runs = 5, warmup = 1 } = {}): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return stats(samples);
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

export function printFigures(title: string, figures: Figure[]) {
  console.log(`\n${title}${quick ? " (quick)" : ""}`);
  const rows = figures.map((f) => [
    f.name,
    `${fmt(f.value.median)} ${f.unit} (${fmt(f.value.min)}-${fmt(f.value.max)}, n=${f.value.runs})`,
    f.baseline ? `${f.baseline.name}: ${fmt(f.baseline.value.median)} ${f.unit}` : "",
    f.ratio !== undefined ? `${f.ratio.toFixed(2)}x` : "",
    f.target ? `${f.target} ${f.pass === undefined ? "" : f.pass ? "PASS" : "FAIL"}` : "",
  ]);
  const header = ["figure", "median (min-max)", "baseline (same run)", "ratio", "target"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
}

export function writeResults(name: string, figures: Figure[], extra: Record<string, unknown> = {}) {
  const dir = path.resolve("bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}${quick ? "-quick" : ""}.json`);
  const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version };
  writeFileSync(file, JSON.stringify({ name, quick, date: new Date().toISOString(), machine, figures, ...extra }, null, 2));
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}
