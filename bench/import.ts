// Import of licence keys (issue 3): one upload of 1,000,000 keys read from a file, staged, previewed
// and committed by the app's own model code, against plain PostgreSQL COPY of the same keys into the
// same tables and indexes (license_key, then key_tag, one transaction), measured in the same run. Both
// import into the second shop of the benchmark dataset (bench/lib/dataset.ts), whose tables already
// hold 1,450,000 keys; every run starts on a fresh copy of the dataset.
// Target: the app reaches >= 0.75x COPY's rows/s, with a peak RSS under 300 MB.
//
//   npx tsx bench/import.ts            1,000,000 keys, 3 runs of each
//   npx tsx bench/import.ts --quick    100,000 keys
import { createReadStream, createWriteStream, mkdirSync, rmSync } from "node:fs";
import { once } from "node:events";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { openDataset } from "./lib/dataset";
import { printFigures, quick, stats, withPeakRss, writeResults, type Figure } from "./lib/harness";

const KEYS = quick ? 100_000 : 1_000_000;
const RUNS = 3;

async function writeKeyFile(file: string) {
  mkdirSync(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  let buffer = "";
  for (let i = 0; i < KEYS; i++) {
    // Realistic keys: 29 characters, random-looking, a few duplicates and blank lines like real files.
    const n = (i * 2654435761) >>> 0;
    buffer += `${n.toString(36).toUpperCase().padStart(7, "0")}-${(i * 7919).toString(36).toUpperCase().padStart(5, "0")}-XK${i.toString(36).padStart(6, "0")}-${(n % 99991).toString(16).padStart(5, "0")}\n`;
    if (buffer.length > 1 << 16) {
      if (!out.write(buffer)) await once(out, "drain");
      buffer = "";
    }
  }
  out.end(buffer);
  await once(out, "finish");
}

async function main() {
  const bench = await openDataset("import");
  const { url } = bench;
  const file = path.resolve(".data", "bench", `import-keys-${KEYS}.txt`);
  let client: pg.Client | undefined;
  try {
    await writeKeyFile(file);
    // App modules read DATABASE_URL when first imported: import them after openDataset set it.
    const prisma = (await import("../app/db.server")).default;
    const { closePgPool } = await import("../app/pg.server");
    const { stageKeyImport, getKeyImportPreview, commitKeyImport } = await import("../app/models/key-import.server");

    const shop = bench.dataset.shops[1];

    /** A fresh copy of the dataset, so every run imports into the same tables. */
    async function emptyKeyTables() {
      await prisma.$disconnect();
      await closePgPool();
      await client?.end();
      await bench.recreate();
      client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query("CHECKPOINT");
    }

    /** The connection to the current copy (emptyKeyTables opens a new one). */
    const connected = () => client!;

    async function baselineCopy(run: number) {
      const client = connected();
      const [{ id: tagId }] = (
        await client.query<{ id: number }>(
          `INSERT INTO "tag" ("shop_id", "name", "updated_at") VALUES ($1, $2, now()) RETURNING "id"`,
          [shop.id, `baseline${"abcdefghij"[run]}`],
        )
      ).rows;
      const started = performance.now();
      await client.query("BEGIN");
      // A block of ids reserved from the sequence, as the app's INSERT would draw them.
      const { rows } = await client.query<{ last: string }>(
        `SELECT setval('license_key_id_seq', nextval('license_key_id_seq') + $1 - 1) AS "last"`,
        [KEYS],
      );
      const first = Number(rows[0].last) - KEYS + 1;
      const keys = client.query(copyFrom(`COPY "license_key" ("id", "shop_id", "value", "type", "status") FROM STDIN`));
      let id = first;
      let buffer = "";
      for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
        buffer += `${id++}\t${shop.id}\t${line}\tUPLOADED\tPENDING\n`;
        if (buffer.length > 1 << 16) {
          if (!keys.write(buffer)) await once(keys, "drain");
          buffer = "";
        }
      }
      keys.end(buffer);
      await once(keys, "finish");
      const links = client.query(copyFrom(`COPY "key_tag" ("tag_id", "key_id", "shop_id", "status") FROM STDIN`));
      buffer = "";
      for (let keyId = first; keyId < id; keyId++) {
        buffer += `${tagId}\t${keyId}\t${shop.id}\tPENDING\n`;
        if (buffer.length > 1 << 16) {
          if (!links.write(buffer)) await once(links, "drain");
          buffer = "";
        }
      }
      links.end(buffer);
      await once(links, "finish");
      await client.query("COMMIT");
      return performance.now() - started;
    }

    async function appImport(run: number) {
      const started = performance.now();
      const staged = await stageKeyImport({
        shopId: shop.id,
        source: "file",
        fileName: "keys.txt",
        tagNames: [`app${"abcdefghij"[run]}`],
        body: createReadStream(file, { highWaterMark: 64 * 1024 }),
      });
      if (!staged.ok) throw new Error(`staging refused: ${JSON.stringify(staged)}`);
      const stagedAt = performance.now();
      const preview = await getKeyImportPreview({ shopId: shop.id, batchId: staged.batchId });
      const previewedAt = performance.now();
      const result = await commitKeyImport({ shopId: shop.id, batchId: staged.batchId, duplicates: "skip", actor: "bench" });
      const ms = performance.now() - started;
      if (result.imported !== preview.newKeys) throw new Error(`imported ${result.imported}, preview said ${preview.newKeys}`);
      return { ms, stageMs: stagedAt - started, previewMs: previewedAt - stagedAt, commitMs: performance.now() - previewedAt, imported: result.imported };
    }

    const baseline: number[] = [];
    const app: Array<Awaited<ReturnType<typeof appImport>>> = [];
    let peakMb = 0;
    for (let run = 0; run < RUNS; run++) {
      await emptyKeyTables();
      baseline.push(await baselineCopy(run));
      await emptyKeyTables();
      const measured = await withPeakRss(() => appImport(run), 20);
      peakMb = Math.max(peakMb, measured.peakMb);
      app.push(measured.result);
      console.log(
        `run ${run + 1}: COPY ${baseline[run].toFixed(0)} ms; app ${measured.result.ms.toFixed(0)} ms ` +
          `(stage ${measured.result.stageMs.toFixed(0)}, preview ${measured.result.previewMs.toFixed(0)}, ` +
          `commit ${measured.result.commitMs.toFixed(0)}), peak RSS ${measured.peakMb.toFixed(0)} MB`,
      );
    }

    const rowsPerSecond = (ms: number) => (KEYS / ms) * 1000;
    const appRate = stats(app.map((r) => rowsPerSecond(r.ms)));
    const copyRate = stats(baseline.map(rowsPerSecond));
    const ratio = appRate.median / copyRate.median;
    const figures: Figure[] = [
      {
        name: `import ${KEYS.toLocaleString("en")} keys (stage+preview+commit)`,
        unit: "rows/s",
        value: appRate,
        baseline: { name: "COPY license_key + key_tag", value: copyRate },
        ratio,
        target: ">= 0.75x",
        pass: ratio >= 0.75,
      },
      {
        name: "import wall time",
        unit: "ms",
        value: stats(app.map((r) => r.ms)),
        baseline: { name: "COPY", value: stats(baseline) },
        ratio: stats(app.map((r) => r.ms)).median / stats(baseline).median,
      },
      { name: "  staging (parse + COPY into import_row)", unit: "ms", value: stats(app.map((r) => r.stageMs)) },
      { name: "  preview counts", unit: "ms", value: stats(app.map((r) => r.previewMs)) },
      { name: "  commit transaction", unit: "ms", value: stats(app.map((r) => r.commitMs)) },
      {
        name: "peak RSS during import",
        unit: "MB",
        value: stats([peakMb]),
        target: "< 300 MB",
        pass: peakMb < 300,
      },
    ];
    printFigures("Adding licence keys", figures);
    writeResults("import", figures, { keys: KEYS, shop: shop.domain, dataset: bench.description });
    await client?.end();
    await prisma.$disconnect();
    await closePgPool();
  } finally {
    rmSync(file, { force: true });
    await bench.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
