// The licence key library (issue 3) at scale: the benchmark dataset's big shop, 1,000,000 keys in 1,000
// tags among 10 shops (bench/lib/dataset.ts).
// Each figure is the app's own model code (what the route's loader or action calls), beside a raw-SQL
// baseline doing the same job in the same run:
//   overview loader            <= 50 ms p50   (counters kept by triggers; baseline: one hand-written query)
//   a tag's first page         <= 50 ms p50   (1M-key tag; baseline: the keyset query by hand)
//   search, 3-char fragments   <= 10 ms p50   (1M-key tag; baseline: the plain ILIKE join the planner
//                                              runs unsteered)
//   bulk move / delete 100k    <= 2 s
//   delete a 1M-key tag        <= 10 s
//   duplicate clean-up, 1M tag <= 5 s
// Destructive figures run on fresh copies of the dataset's template (CREATE DATABASE ... TEMPLATE).
//
//   npx tsx bench/library.ts            the full dataset (takes a few minutes to build)
//   npx tsx bench/library.ts --quick    100,000 keys in 100 tags
//   --reuse  keep the dataset in .data/bench between runs; --reads  only overview, first page, search
import { createHmac, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { openDataset, SHOPS, SIZE } from "./lib/dataset";
import { printFigures, quick, stats, timeRuns, writeResults, type Figure, type Stats } from "./lib/harness";

const READ_RUNS = quick ? 15 : 25;
/** Only the read figures (overview, first page, search): no destructive runs. */
const readsOnly = process.argv.includes("--reads");
const DESTRUCTIVE_RUNS = 3;

const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

/** Fragments of keys in the big tag, of the given length, spread over the tag, all different. */
async function fragments(client: pg.Pool | pg.Client, tagId: number, length: number, count: number) {
  const every = Math.max(1, Math.floor(SIZE.keys / (count * 2)));
  const rows = await client.query(
    `SELECT k."value" FROM "key_tag" kt JOIN "license_key" k ON k."id" = kt."key_id"
     WHERE kt."tag_id" = $1 AND kt."key_id" % $3::int = 17 % $3::int LIMIT $2`,
    [tagId, count * 2, every],
  );
  const unique = new Set<string>();
  rows.rows.forEach((row, i) => {
    const value = String(row.value).replace(/-/g, "");
    const start = (i * 3) % (value.length - length);
    const fragment = value.slice(start, start + length);
    const seen = [...unique].some((other) => other.toLowerCase() === fragment.toLowerCase());
    if (!seen) unique.add(i % 2 ? fragment.toLowerCase() : fragment);
  });
  return [...unique].slice(0, count);
}

/**
 * Search as you type: each timed search is its fragment's first, for the app and the baseline alike
 * (they take alternate fragments of one list, interleaved), so neither finds the pages the other has
 * just read in shared buffers, and both see the same machine load.
 */
async function timeSearches(
  items: string[],
  app: (fragment: string) => Promise<unknown>,
  baseline: (fragment: string) => Promise<unknown>,
): Promise<[Stats, Stats]> {
  await app(items[0]);
  await baseline(items[1]);
  const appSamples: number[] = [];
  const baselineSamples: number[] = [];
  for (let i = 2; i + 1 < items.length; i += 2) {
    const [first, second] = i % 4 ? [baseline, app] : [app, baseline];
    for (const [fn, fragment] of [
      [first, items[i]],
      [second, items[i + 1]],
    ] as const) {
      const start = performance.now();
      await fn(fragment);
      (fn === app ? appSamples : baselineSamples).push(performance.now() - start);
    }
  }
  return [stats(appSamples), stats(baselineSamples)];
}

function figure(name: string, value: Stats, baselineName: string, baseline: Stats, target?: number): Figure {
  return {
    name,
    unit: "ms",
    value,
    baseline: { name: baselineName, value: baseline },
    ratio: value.median / baseline.median,
    target: target === undefined ? undefined : `<= ${target} ms`,
    pass: target === undefined ? undefined : value.median <= target,
  };
}

function likePattern(fragment: string) {
  return `%${fragment.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const base64url = (input: string) => Buffer.from(input).toString("base64url");
function sessionToken(shop: string, apiKey: string, secret: string) {
  const now = Math.floor(Date.now() / 1000);
  const head = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = base64url(
    JSON.stringify({
      iss: `https://${shop}/admin`,
      dest: `https://${shop}`,
      aud: apiKey,
      sub: "1",
      exp: now + 3600,
      nbf: now - 5,
      iat: now,
      jti: randomUUID(),
      sid: randomUUID(),
    }),
  );
  const signature = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${signature}`;
}

async function main() {
  const started = performance.now();
  const figures: Figure[] = [];
  const notes: Record<string, unknown> = {
    size: SIZE,
    shops: SHOPS,
    loadAverageAtStart: os.loadavg().map((n) => Math.round(n * 10) / 10),
  };
  // The run database: this module's copy of the dataset, made afresh before destructive runs.
  const bench = await openDataset("library");
  const runUrl = bench.url;
  const data = { shopId: bench.dataset.bigShop.id, ...bench.dataset.tags };
  const BIG_SHOP = bench.dataset.bigShop.domain;
  if (bench.description) notes.dataset = bench.description;

  try {
    // The app connects to the run database, a copy of the template made afresh before destructive runs.
    process.env.DATABASE_URL = runUrl;
    process.env.DATABASE_POOL_SIZE = "4";
    process.env.SHOPIFY_API_KEY ??= "bench-api-key";
    process.env.SHOPIFY_API_SECRET ??= "bench-api-secret";
    process.env.SHOPIFY_APP_URL ??= "https://keyshelf.bench";
    process.env.SHOPIFY_LOG_LEVEL ??= "error";
    // The build starts background job workers on import; a benchmark times requests only.
    process.env.KEYSHELF_DISABLE_WORKERS = "1";
    let raw: pg.Pool | undefined;
    const prisma = (await import("../app/db.server")).default;

    const { closePgPool } = await import("../app/pg.server");
    async function freshRunDatabase() {
      await prisma.$disconnect();
      await closePgPool();
      await raw?.end();
      await bench.recreate();
      raw = new pg.Pool({ connectionString: runUrl, max: 2 });
      raw.on("error", () => {});
      // Warm the caches the way a running app has them warm.
      await raw.query(`SELECT count(*) FROM "key_tag" WHERE "tag_id" = $1`, [data.main]);
      await raw.query(`SELECT count(*) FROM "license_key" WHERE "shop_id" = $1`, [data.shopId]);
      return raw;
    }

    const { listTags, getLibrarySummary, deleteTag, cleanUpDuplicates, previewTagDelete, previewDuplicateCleanup } =
      await import("../app/models/tags.server");
    const { listKeys, moveKeys, deleteKeys } = await import("../app/models/keys.server");
    const actor = "Bench";
    const shopId = data.shopId;

    let db = await freshRunDatabase();

    async function finish() {
      await prisma.$disconnect();
      await closePgPool();
      await raw?.end();
      notes.totalSeconds = Math.round((performance.now() - started) / 1000);
      notes.loadAverage = os.loadavg().map((n) => Math.round(n * 10) / 10);
      printFigures(
        `Licence key library: one shop of ${SIZE.keys.toLocaleString()} keys in ${SIZE.tags} tags among ${SHOPS} shops`,
        figures,
      );
      console.log(notes);
      writeResults(readsOnly ? "library-reads" : "library", figures, notes);
    }

    // ---- overview ---------------------------------------------------------------------------
    log("overview");
    const overview = await timeRuns(
      () => Promise.all([listTags({ shopId, sort: "remaining asc" }), getLibrarySummary({ shopId })]),
      { runs: READ_RUNS, warmup: 3 },
    );
    const overviewBaseline = await timeRuns(
      () =>
        db.query(
          `SELECT t.*, (SELECT count(*) FROM "product_link" pl WHERE pl."tag_id" = t."id") AS products,
                  (SELECT "pending" FROM "shop_key_count" WHERE "shop_id" = $1) AS remaining
           FROM "tag" t WHERE t."shop_id" = $1 ORDER BY t."pending_count", t."name" LIMIT 50`,
          [shopId],
        ),
      { runs: READ_RUNS, warmup: 3 },
    );
    figures.push(
      figure(
        `overview loader data, ${SIZE.tags} tags`,
        overview,
        "one SQL query on the counters",
        overviewBaseline,
        50,
      ),
    );
    const aggregate = await timeRuns(
      () =>
        db.query(
          `SELECT kt."tag_id", count(*) FILTER (WHERE kt."status" = 'PENDING') AS pending, count(*) AS total
           FROM "key_tag" kt WHERE kt."shop_id" = $1 GROUP BY kt."tag_id" ORDER BY pending LIMIT 50`,
          [shopId],
        ),
      { runs: 3, warmup: 1 },
    );
    figures.push(
      figure(
        "  (for scale) counting keys per tag instead",
        aggregate,
        "one SQL query on the counters",
        overviewBaseline,
      ),
    );

    // The real Remix loader, authentication included, when a build exists.
    const buildFile = path.resolve("build/index.js");
    if (existsSync(buildFile)) {
      const { createRequestHandler } = await import("@remix-run/node");
      const build = await import(pathToFileURL(buildFile).href);
      const handler = createRequestHandler(build, "production");
      await prisma.session.upsert({
        where: { id: `offline_${BIG_SHOP}` },
        create: {
          id: `offline_${BIG_SHOP}`,
          shop: BIG_SHOP,
          state: "",
          isOnline: false,
          scope: "read_orders,read_products,read_customers",
          accessToken: "bench",
        },
        update: {},
      });
      const token = sessionToken(BIG_SHOP, process.env.SHOPIFY_API_KEY!, process.env.SHOPIFY_API_SECRET!);
      const request = () =>
        handler(
          new Request(`https://keyshelf.bench/app?sort=remaining+asc&_data=routes%2Fapp._index`, {
            headers: {
              Authorization: `Bearer ${token}`,
              "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36",
            },
          }),
        ).then(async (response) => {
          if (response.status !== 200)
            throw new Error(`overview answered ${response.status}: ${await response.text()}`);
          return response.text();
        });
      const full = await timeRuns(request, { runs: READ_RUNS, warmup: 3 });
      figures.push(
        figure(
          "overview through the Remix handler (auth + JSON)",
          full,
          "one SQL query on the counters",
          overviewBaseline,
          50,
        ),
      );
    } else {
      log("no build/: run `npx remix build` to include the overview through the Remix handler");
    }

    // ---- a tag's key list -------------------------------------------------------------------
    log("a 1M-key tag's first page and search");
    const firstPage = await timeRuns(() => listKeys({ shopId, tagId: data.main }), { runs: READ_RUNS, warmup: 3 });
    const firstPageBaseline = await timeRuns(
      () =>
        db.query(
          `SELECT k.*, o."name" FROM (SELECT "key_id" FROM "key_tag" WHERE "tag_id" = $1 ORDER BY "key_id" DESC LIMIT 51) p
           JOIN "license_key" k ON k."id" = p."key_id" LEFT JOIN "order" o ON o."id" = k."order_id" ORDER BY k."id" DESC`,
          [data.main],
        ),
      { runs: READ_RUNS, warmup: 3 },
    );
    figures.push(
      figure(
        `first page of a ${SIZE.keys.toLocaleString()}-key tag`,
        firstPage,
        "keyset query by hand",
        firstPageBaseline,
        50,
      ),
    );

    const searchRuns = 2 * READ_RUNS + 2;
    const threeChar = await fragments(db, data.main, 3, searchRuns);
    const sixChar = await fragments(db, data.main, 6, searchRuns);
    const naiveSearch = (fragment: string) =>
      Promise.all([
        db.query(
          `SELECT k."id", k."value" FROM "key_tag" kt JOIN "license_key" k ON k."id" = kt."key_id"
           WHERE kt."tag_id" = $1 AND k."value" ILIKE $2 ORDER BY kt."key_id" DESC LIMIT 51`,
          [data.main, likePattern(fragment)],
        ),
        db.query(
          `SELECT count(*) FROM "key_tag" kt JOIN "license_key" k ON k."id" = kt."key_id" WHERE kt."tag_id" = $1 AND k."value" ILIKE $2`,
          [data.main, likePattern(fragment)],
        ),
      ]);
    const appSearch = (q: string) => listKeys({ shopId, tagId: data.main, q });
    const [search3, search3Baseline] = await timeSearches(threeChar, appSearch, naiveSearch);
    figures.push(figure("search, 3-character fragments", search3, "plain ILIKE join + count", search3Baseline, 10));
    const [search6, search6Baseline] = await timeSearches(sixChar, appSearch, naiveSearch);
    figures.push(figure("search, 6-character fragments", search6, "plain ILIKE join + count", search6Baseline, 10));
    // One and two characters match most keys: the tag is walked for a page, the count stops at its cap.
    for (const length of [1, 2]) {
      const [short, shortBaseline] = await timeSearches(
        (await fragments(db, data.main, length, 12)).slice(0, 12),
        appSearch,
        naiveSearch,
      );
      figures.push(
        figure(`  (for scale) ${length}-character fragments`, short, "plain ILIKE join + count", shortBaseline),
      );
    }
    const matches = await listKeys({ shopId, tagId: data.main, q: threeChar[0] });
    notes.threeCharFragmentMatches = matches.matches;

    if (readsOnly) {
      await finish();
      return;
    }

    // ---- bulk move (back and forth on the same copy) -----------------------------------------
    log(`bulk move of ${SIZE.bulk.toLocaleString()} keys`);
    const moveSamples: number[] = [];
    for (let i = 0; i < DESTRUCTIVE_RUNS * 2; i++) {
      const [from, to] = i % 2 ? [data.target, data.bulkA] : [data.bulkA, data.target];
      const start = performance.now();
      const result = await moveKeys({
        shopId,
        tagId: from,
        selection: { scope: "all", q: "", status: null },
        destinationTagId: to,
        actor,
      });
      moveSamples.push(performance.now() - start);
      if (result.moved !== SIZE.bulk) throw new Error(`moved ${result.moved}`);
    }
    const moveBaselineSamples: number[] = [];
    for (let i = 0; i < DESTRUCTIVE_RUNS * 2; i++) {
      const [from, to] = i % 2 ? [data.target, data.bulkA] : [data.bulkA, data.target];
      const client = await db.connect();
      const start = performance.now();
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO "key_tag" ("tag_id", "key_id", "shop_id", "status")
         SELECT $2, "key_id", "shop_id", "status" FROM "key_tag" WHERE "tag_id" = $1 ON CONFLICT DO NOTHING`,
        [from, to],
      );
      await client.query(`DELETE FROM "key_tag" WHERE "tag_id" = $1`, [from]);
      await client.query("COMMIT");
      moveBaselineSamples.push(performance.now() - start);
      client.release();
    }
    figures.push(
      figure(
        `bulk move, ${SIZE.bulk.toLocaleString()} keys ("all matching")`,
        stats(moveSamples),
        "INSERT ... SELECT + DELETE",
        stats(moveBaselineSamples),
        2000,
      ),
    );

    // ---- bulk delete: the app deletes bulka, the baseline bulkb, on each fresh copy ------------
    log(`bulk delete of ${SIZE.bulk.toLocaleString()} keys`);
    const deleteSamples: number[] = [];
    const deleteBaselineSamples: number[] = [];
    for (let i = 0; i < DESTRUCTIVE_RUNS; i++) {
      db = await freshRunDatabase();
      let start = performance.now();
      const result = await deleteKeys({
        shopId,
        tagId: data.bulkA,
        selection: { scope: "all", q: "", status: null },
        actor,
      });
      deleteSamples.push(performance.now() - start);
      if (result.deleted !== SIZE.bulk) throw new Error(`deleted ${result.deleted}`);
      start = performance.now();
      await db.query(
        `DELETE FROM "license_key" WHERE "shop_id" = $1 AND "id" IN (SELECT "key_id" FROM "key_tag" WHERE "tag_id" = $2)`,
        [shopId, data.bulkB],
      );
      deleteBaselineSamples.push(performance.now() - start);
    }
    figures.push(
      figure(
        `bulk delete, ${SIZE.bulk.toLocaleString()} keys (each in 3 tags)`,
        stats(deleteSamples),
        "DELETE ... WHERE id IN (tag)",
        stats(deleteBaselineSamples),
        2000,
      ),
    );

    // ---- duplicate clean-up of the 1M-key tag ---------------------------------------------------
    log("duplicate clean-up of the big tag");
    const dedupeSamples: number[] = [];
    const dedupeBaselineSamples: number[] = [];
    const previewDedupeSamples: number[] = [];
    for (let i = 0; i < DESTRUCTIVE_RUNS; i++) {
      db = await freshRunDatabase();
      let start = performance.now();
      const preview = await previewDuplicateCleanup({ shopId, tagId: data.main });
      previewDedupeSamples.push(performance.now() - start);
      start = performance.now();
      const result = await cleanUpDuplicates({ shopId, tagId: data.main, actor });
      dedupeSamples.push(performance.now() - start);
      notes.duplicateCleanup = { ...result, tag: undefined, preview: { ...preview, tag: undefined } };
      db = await freshRunDatabase();
      start = performance.now();
      await db.query(
        `DELETE FROM "license_key" k USING (
           SELECT k."id", row_number() OVER (PARTITION BY k."value" ORDER BY k."created_at", k."id") AS rn, k."status"
           FROM "key_tag" kt JOIN "license_key" k ON k."id" = kt."key_id" WHERE kt."tag_id" = $1
         ) d WHERE k."id" = d."id" AND d.rn > 1 AND d."status" = 'PENDING'`,
        [data.main],
      );
      dedupeBaselineSamples.push(performance.now() - start);
    }
    figures.push(
      figure(
        `duplicate clean-up, ${SIZE.keys.toLocaleString()}-key tag`,
        stats(dedupeSamples),
        "one DELETE with row_number()",
        stats(dedupeBaselineSamples),
        5000,
      ),
    );
    figures.push(
      figure(
        "  its preview (confirmation dialog)",
        stats(previewDedupeSamples),
        "one DELETE with row_number()",
        stats(dedupeBaselineSamples),
      ),
    );

    // ---- deleting the 1M-key tag ------------------------------------------------------------------
    log("deleting the big tag");
    const tagDeleteSamples: number[] = [];
    const tagDeleteBaselineSamples: number[] = [];
    const previewTagSamples: number[] = [];
    for (let i = 0; i < DESTRUCTIVE_RUNS; i++) {
      db = await freshRunDatabase();
      let start = performance.now();
      await previewTagDelete({ shopId, tagId: data.main });
      previewTagSamples.push(performance.now() - start);
      start = performance.now();
      const result = await deleteTag({ shopId, tagId: data.main, actor });
      tagDeleteSamples.push(performance.now() - start);
      if (result.keys !== SIZE.keys) throw new Error(`deleted ${result.keys}`);
      db = await freshRunDatabase();
      const client = await db.connect();
      start = performance.now();
      await client.query("BEGIN");
      await client.query(
        `DELETE FROM "license_key" WHERE "shop_id" = $1 AND "id" IN (SELECT "key_id" FROM "key_tag" WHERE "tag_id" = $2)`,
        [shopId, data.main],
      );
      await client.query(`DELETE FROM "tag" WHERE "id" = $1`, [data.main]);
      await client.query("COMMIT");
      tagDeleteBaselineSamples.push(performance.now() - start);
      client.release();
    }
    figures.push(
      figure(
        `delete a ${SIZE.keys.toLocaleString()}-key tag with its keys`,
        stats(tagDeleteSamples),
        "DELETE keys + tag by hand",
        stats(tagDeleteBaselineSamples),
        10_000,
      ),
    );
    figures.push(
      figure(
        "  its preview (confirmation dialog)",
        stats(previewTagSamples),
        "DELETE keys + tag by hand",
        stats(tagDeleteBaselineSamples),
      ),
    );

    await finish();
  } finally {
    await bench.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
