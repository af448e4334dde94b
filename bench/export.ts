// CSV export of licence keys (issue 6): the 1,000,000 keys of the benchmark dataset's big shop (among
// 10 shops, 1,000 tags, past orders with customers, keys in several tags: bench/lib/dataset.ts)
// exported by the app's own code, against PostgreSQL COPY TO measured in the same run. Targets: the
// export's rows/s >= 0.5x COPY's, and a peak RSS under 200 MB whatever the row count (compare the
// --quick run: 10x fewer rows, same memory), measured where exports run in production: an app server
// process (the production build) whose job loop runs the export, its peak read from /proc.
//
// Figures:
//   export stream       exportCsvBatches: COPY of the raw rows -> CSV (csv-stringify, zone-shifted
//                       times, formula cells defused), as "Download now" streams it; bytes discarded.
//   background export   the whole job: claim, stream, 1 MB chunks committed to export_file with their
//                       resume point, completion.
//   baseline            COPY (the same rows, formatted by SQL: labels, tags, times in the shop's zone)
//                       TO STDOUT (FORMAT csv): the database writing the same file itself.
//   reference           COPY (the shop's license_key rows as stored) TO STDOUT: no joins, no formatting.
//
//   npx tsx bench/export.ts            1,000,000 keys, 5 runs of each
//   npx tsx bench/export.ts --quick    100,000 keys, 3 runs
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { startAppServer } from "../app/local/app-server";
import { openDataset, SIZE } from "./lib/dataset";
import { ensureAppBuild, printFigures, quick, stats, withPeakRss, writeResults, type Figure, type Stats } from "./lib/harness";

const KEYS = SIZE.keys;
const RUNS = quick ? 3 : 5;

/** The same file written by the database alone: labels, tag lists and zone-shifted times in SQL. */
const baselineSql = (shopId: number, TIME_ZONE: string) => `
  COPY (
    SELECT k."value",
      CASE k."type" WHEN 'UPLOADED' THEN 'Uploaded' ELSE 'Auto-generated' END,
      initcap(k."status"::text),
      (SELECT string_agg(t."name", ', ' ORDER BY t."name") FROM "key_tag" kt JOIN "tag" t ON t."id" = kt."tag_id" WHERE kt."key_id" = k."id"),
      o."name", o."shopify_id", o."email",
      to_char(k."created_at" AT TIME ZONE 'UTC' AT TIME ZONE '${TIME_ZONE}', 'YYYY-MM-DD HH24:MI:SS'),
      to_char(k."assigned_at" AT TIME ZONE 'UTC' AT TIME ZONE '${TIME_ZONE}', 'YYYY-MM-DD HH24:MI:SS'),
      to_char(k."used_at" AT TIME ZONE 'UTC' AT TIME ZONE '${TIME_ZONE}', 'YYYY-MM-DD HH24:MI:SS')
    FROM "license_key" k LEFT JOIN "order" o ON o."id" = k."order_id"
    WHERE k."shop_id" = ${shopId} ORDER BY k."id"
  ) TO STDOUT (FORMAT csv, HEADER)`;

/** The same keys as stored: the cheapest COPY of these rows there is. */
const tableSql = (shopId: number) => `COPY (SELECT * FROM "license_key" WHERE "shop_id" = ${shopId}) TO STDOUT`;

async function copyOut(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    let bytes = 0;
    for await (const chunk of client.query(copyTo(sql)) as AsyncIterable<Buffer>) bytes += chunk.length;
    return bytes;
  } finally {
    await client.end();
  }
}

/** A process's resident memory from /proc (Linux), in MB: "VmRSS" now, "VmHWM" its peak. NaN elsewhere. */
function procMemoryMb(pid: number, field: "VmRSS" | "VmHWM") {
  const file = `/proc/${pid}/status`;
  if (!existsSync(file)) return Number.NaN;
  const match = readFileSync(file, "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Starts a new peak (VmHWM) from the current resident size (Linux 4.0+). */
function resetPeakMemory(pid: number) {
  if (existsSync(`/proc/${pid}/clear_refs`)) writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

async function main() {
  ensureAppBuild();
  // The app's configuration wants Shopify credentials; the export never talks to Shopify.
  process.env.SHOPIFY_API_KEY ??= "bench-api-key";
  process.env.SHOPIFY_API_SECRET ??= "bench-api-secret";
  process.env.KEYSHELF_DISABLE_WORKERS = "1";
  const bench = await openDataset("export");
  const { url } = bench;
  const { id: shopId, timeZone: TIME_ZONE } = bench.dataset.bigShop;
  const BASELINE_SQL = baselineSql(shopId, TIME_ZONE);
  const TABLE_SQL = tableSql(shopId);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    // App modules read DATABASE_URL when first imported: import them after openDataset set it.
    const prisma = (await import("../app/db.server")).default;
    const { exportCsvBatches, exportColumns, startExport } = await import("../app/models/export.server");
    const { formatCsvHeader } = await import("../app/lib/csv");
    const { runDueJobs, registerJobHandler } = await import("../app/models/jobs.server");
    const { exportJobHandler } = await import("../app/models/export.server");
    const { closePgPool } = await import("../app/pg.server");
    registerJobHandler("EXPORT", exportJobHandler());
    const shop = await prisma.shop.findUniqueOrThrow({ where: { id: shopId } });
    const scope = { tagId: null, q: "", status: null };

    const samples = { baseline: [] as number[], table: [] as number[], stream: [] as number[], job: [] as number[] };
    const peaks = { stream: 0, job: 0 };
    const sizes = { baseline: 0, stream: 0, job: 0 };
    let rowsOut = 0;

    const time = async (fn: () => Promise<void>) => {
      const start = performance.now();
      await fn();
      return performance.now() - start;
    };

    // Warm-up: one of each, untimed (caches, JIT).
    await copyOut(url, BASELINE_SQL);
    for await (const batch of exportCsvBatches({ shopId, scope, timeZone: TIME_ZONE, expectedRows: KEYS }))
      void batch;
    const idleRss = process.memoryUsage().rss / 2 ** 20;
    console.log(`RSS after warm-up (app modules loaded, Prisma connected): ${idleRss.toFixed(0)} MB`);

    for (let run = 0; run < RUNS; run++) {
      // Interleaved, so that a noisy neighbour slows every variant alike.
      samples.baseline.push(await time(async () => void (sizes.baseline = await copyOut(url, BASELINE_SQL))));
      samples.table.push(await time(async () => void (await copyOut(url, TABLE_SQL))));

      const stream = await withPeakRss(() =>
        time(async () => {
          let bytes = Buffer.byteLength(formatCsvHeader(exportColumns(TIME_ZONE)));
          let rows = 0;
          for await (const batch of exportCsvBatches({ shopId, scope, timeZone: TIME_ZONE, expectedRows: KEYS })) {
            bytes += Buffer.byteLength(batch.csv);
            rows += batch.rows;
          }
          sizes.stream = bytes;
          rowsOut = rows;
        }),
      );
      samples.stream.push(stream.result);
      peaks.stream = Math.max(peaks.stream, stream.peakMb);

      const job = await withPeakRss(() =>
        time(async () => {
          await startExport({ shop, scope, actor: "bench" });
          await runDueJobs({ workerId: "bench" });
        }),
      );
      samples.job.push(job.result);
      peaks.job = Math.max(peaks.job, job.peakMb);
      const [last] = await prisma.job.findMany({ where: { kind: "EXPORT" }, orderBy: { id: "desc" }, take: 1 });
      if (last.state !== "SUCCEEDED") throw new Error(`Export job ended ${last.state}: ${last.error}`);
      sizes.job = (last.result as { bytes: number }).bytes;
      await admin.query(`DELETE FROM "export_file"`);
      await admin.query(`DELETE FROM "job"`);
      await admin.query(`DELETE FROM "audit_event"`);
      console.log(
        `run ${run + 1}/${RUNS}: baseline ${samples.baseline[run].toFixed(0)} ms, table ${samples.table[run].toFixed(0)} ms, ` +
          `stream ${samples.stream[run].toFixed(0)} ms (peak ${stream.peakMb.toFixed(0)} MB), ` +
          `job ${samples.job[run].toFixed(0)} ms (peak ${job.peakMb.toFixed(0)} MB)`,
      );
    }
    if (rowsOut !== KEYS) throw new Error(`The export wrote ${rowsOut} rows, expected ${KEYS}.`);

    // The memory target is about the process that runs exports in production: an app server
    // (remix-serve over the build, as `npm start` runs it) with its job loop on, which picks up the
    // export job queued here. This process's own peak above also holds tsx's loader thread (~40 MB)
    // and the harness; the server holds the whole app (admin pages included) and nothing else.
    const server = await startAppServer({
      databaseUrl: url,
      env: { KEYSHELF_DISABLE_WORKERS: "0", SHOPIFY_APP_URL: "https://bench.keyshelf.test" },
    });
    const serverPeaks: number[] = [];
    const serverIdleMb = procMemoryMb(server.pid, "VmRSS");
    try {
      for (let run = 0; run < RUNS; run++) {
        resetPeakMemory(server.pid);
        const { jobId } = await startExport({ shop, scope, actor: "bench" });
        for (;;) {
          const { rows } = await admin.query(`SELECT "state", "error", "result" FROM "job" WHERE "id" = $1`, [jobId]);
          if (rows[0].state === "SUCCEEDED") {
            if ((rows[0].result as { bytes: number }).bytes !== sizes.job) throw new Error("The app server's export differs.");
            break;
          }
          if (rows[0].state !== "QUEUED" && rows[0].state !== "RUNNING") {
            throw new Error(`The app server's export job ended ${rows[0].state}: ${rows[0].error}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        serverPeaks.push(procMemoryMb(server.pid, "VmHWM"));
        await admin.query(`DELETE FROM "export_file"`);
        await admin.query(`DELETE FROM "job"`);
        await admin.query(`DELETE FROM "audit_event"`);
      }
      console.log(`app server: ${serverIdleMb.toFixed(0)} MB after start, peak per export ${serverPeaks.map((mb) => mb.toFixed(0)).join(", ")} MB`);
    } finally {
      await server.stop();
    }

    const rowsPerSecond = (ms: Stats): Stats => ({
      median: KEYS / (ms.median / 1000),
      min: KEYS / (ms.max / 1000),
      max: KEYS / (ms.min / 1000),
      runs: ms.runs,
    });
    const baseline = { name: "COPY same rows as CSV", value: rowsPerSecond(stats(samples.baseline)) };
    const table = { name: "COPY the shop's license_key rows", value: rowsPerSecond(stats(samples.table)) };
    const figure = (name: string, ms: number[], against: typeof baseline, target?: string): Figure => {
      const value = rowsPerSecond(stats(ms));
      const ratio = value.median / against.value.median;
      return {
        name,
        unit: "rows/s",
        value,
        baseline: against,
        ratio,
        ...(target ? { target, pass: ratio >= 0.5 } : {}),
      };
    };
    const peak = Math.max(peaks.stream, peaks.job);
    const serverPeak = stats(serverPeaks);
    const figures: Figure[] = [
      figure("export stream (COPY -> CSV)", samples.stream, baseline, ">= 0.5x"),
      figure("background export (chunks stored)", samples.job, baseline, ">= 0.5x"),
      figure("export stream vs bare rows COPY", samples.stream, table),
      figure("background export vs bare rows COPY", samples.job, table),
      {
        name: "peak RSS of the app server running background exports",
        unit: "MB",
        value: { ...serverPeak, median: serverPeak.max },
        target: "< 200 MB",
        pass: serverPeak.max < 200,
      },
      {
        name: "peak RSS of this benchmark's process (app modules through tsx) during exports",
        unit: "MB",
        value: { median: peak, min: Math.min(peaks.stream, peaks.job), max: peak, runs: RUNS * 2 },
      },
    ];
    printFigures(`CSV export of ${KEYS.toLocaleString("en-US")} licence keys`, figures);
    console.log(
      `file sizes: export ${(sizes.stream / 2 ** 20).toFixed(1)} MB (stored ${(sizes.job / 2 ** 20).toFixed(1)} MB), ` +
        `baseline ${(sizes.baseline / 2 ** 20).toFixed(1)} MB`,
    );
    writeResults("export", figures, {
      keys: KEYS,
      dataset: bench.description,
      sizes,
      milliseconds: samples,
      appServerMb: { afterStart: serverIdleMb, peaks: serverPeaks },
    });
    await prisma.$disconnect();
    await closePgPool();
  } finally {
    await admin.end();
    await bench.close();
  }
}

await main();
