// The one dataset every benchmark measures on: 10 shops, one of them with 1,000,000 keys in 1,000 tags
// (--quick: 100,000 keys in 100 tags), with offline sessions, linked products and past orders whose
// keys are assigned or used. It is built once, set-based inside PostgreSQL, into a template database;
// each benchmark module works on its own copy (CREATE DATABASE ... TEMPLATE, seconds), so a destructive
// measurement never reaches the next module.
//
// `npm run bench` (bench/run.ts) builds it once and hands each module BENCH_POSTGRES_URL (the server's
// maintenance database) and BENCH_DATASET (the template's name). A module run alone
// (`npx tsx bench/<name>.ts`) starts its own PostgreSQL and builds the same dataset through this file;
// with --reuse the cluster is kept in .data/bench/dataset-cache[-quick] and rebuilt only when the
// dataset's definition changes.
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { migrateDatabase } from "../../app/local/migrate";
import { projectDataDir, startLocalPostgres, type LocalPostgres } from "../../app/local/postgres";
import { quick } from "./harness";

export const SIZE = quick
  ? { keys: 100_000, tags: 100, bulk: 10_000, orders: 1_000, linkedTags: 20, otherShopKeys: 5_000 }
  : { keys: 1_000_000, tags: 1_000, bulk: 100_000, orders: 10_000, linkedTags: 100, otherShopKeys: 50_000 };
export const SHOPS = 10;
/** Each other shop: 10 user tags besides the two system tags, a product per tag, 1 order per 100 keys. */
const OTHER_SHOP_TAGS = 10;
export const BIG_SHOP = "bench-shop-1.myshopify.com";
export const shopDomain = (n: number) => `bench-shop-${n}.myshopify.com`;
export const BIG_SHOP_TIME_ZONE = "Europe/Berlin";
/** Template database built by bench/run.ts or by a module run alone. */
const TEMPLATE = "bench_dataset";
const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/** Bump when the builder changes: a --reuse cache with another mark is rebuilt. */
const DATASET_MARK = `keyshelf bench dataset v2 ${JSON.stringify(SIZE)}`;

const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] dataset: ${message}`);

/** Ids the modules need, looked up by name in a copy of the template. */
export interface Dataset {
  shops: Array<{ id: number; domain: string }>;
  bigShop: { id: number; domain: string; timeZone: string };
  /** Tags of the big shop: main holds every key; bulkA/bulkB SIZE.bulk keys each; target is empty. */
  tags: { main: number; bulkA: number; bulkB: number; target: number };
}

/** What was built, for bench/results/all.json and the console. */
export interface DatasetDescription {
  shops: number;
  bigShop: { domain: string; keys: number; tags: number; orders: number; productLinks: number };
  otherShops: { keys: number; tags: number; orders: number; productLinks: number };
  rows: Record<string, number>;
  databaseSize: string;
  /** PostgreSQL's huge_pages_status: "on" when its shared memory sits in huge pages. */
  hugePages: string;
  sharedBuffers: string;
  buildSeconds?: number;
  reused: boolean;
}

/** SQL for a key "XXXXX-XXXXX-XXXXX-XXXXX" drawn from the bytes of `bytes` (32 bytes of md5s). */
function keyExpression(bytes: string) {
  const chars = Array.from({ length: 20 }, (_, i) => `substr('${ALPHABET}', (get_byte(${bytes}, ${i}) & 31) + 1, 1)`);
  const groups = [0, 1, 2, 3].map((g) => chars.slice(g * 5, g * 5 + 5).join(" || "));
  return groups.join(" || '-' || ");
}

/** Tag names obey the a-z rule: "a", "b", ... "z", "aa", ... */
export function letters(n: number) {
  let name = "";
  do {
    name = String.fromCharCode(97 + (n % 26)) + name;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return name;
}

/**
 * Builds the dataset into an empty migrated database, as a restore would: foreign keys and the
 * statement triggers are off for the session (session_replication_role = replica), the big tables'
 * secondary indexes are dropped and rebuilt from their own definitions afterwards, and the counters
 * the triggers keep (tag counts and last-added time, shop_key_count) are then computed in one
 * aggregate each, so they equal what the triggers would have written.
 */
async function build(client: pg.Client) {
  const q = async (sql: string, params: unknown[] = []) => {
    const started = performance.now();
    const result = await client.query(sql, params);
    if (process.env.BENCH_VERBOSE)
      console.log(`  ${(performance.now() - started).toFixed(0)} ms  ${sql.trim().split("\n")[0].slice(0, 80)}`);
    return result;
  };
  await q("SET maintenance_work_mem = '512MB'");
  await q("SET synchronous_commit = off");
  await q("SET session_replication_role = replica");
  const indexes = (
    await q(`SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
             WHERE i.schemaname = 'public' AND i.tablename IN ('license_key', 'key_tag')
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`)
  ).rows as Array<{ name: string; definition: string }>;
  for (const index of indexes) await q(`DROP INDEX "${index.name}"`);

  log(`${SHOPS} shops with sessions and system tags`);
  const shops = (
    await q(
      `INSERT INTO "shop" ("domain", "name", "email", "iana_timezone", "installed_at", "updated_at")
       SELECT 'bench-shop-' || g || '.myshopify.com', 'Bench shop ' || g, 'owner' || g || '@bench.test',
              CASE WHEN g = 1 THEN $1 ELSE 'America/New_York' END, timestamp '2025-12-01', now()
       FROM generate_series(1, ${SHOPS}) g ORDER BY g RETURNING "id", "domain"`,
      [BIG_SHOP_TIME_ZONE],
    )
  ).rows as Array<{ id: number; domain: string }>;
  await q(`INSERT INTO "session" ("id", "shop", "state", "isOnline", "scope", "accessToken")
           SELECT 'offline_' || "domain", "domain", '', false, 'read_orders,read_products,read_customers', 'bench-token' FROM "shop"`);
  await q(`INSERT INTO "tag" ("shop_id", "name", "kind", "updated_at")
           SELECT s."id", t.name, t.kind::"TagKind", now() FROM "shop" s
           CROSS JOIN (VALUES ('Auto-generated', 'AUTO_GENERATED'), ('No tag', 'UNTAGGED')) AS t(name, kind)`);

  log(`${SIZE.tags} tags in the big shop, ${OTHER_SHOP_TAGS} user tags in each other shop`);
  const big = shops[0];
  const special = ["main", "bulka", "bulkb", "movetarget"];
  const buckets = Array.from({ length: SIZE.tags - 2 - special.length }, (_, i) => `tag${letters(i)}`);
  await q(
    `INSERT INTO "tag" ("shop_id", "name", "updated_at", "low_stock_threshold")
     SELECT $1, name, now(), CASE WHEN n % 7 = 0 THEN 2000 END FROM unnest($2::text[]) WITH ORDINALITY AS u(name, n) ORDER BY n`,
    [big.id, [...special, ...buckets]],
  );
  await q(
    `INSERT INTO "tag" ("shop_id", "name", "updated_at")
     SELECT s."id", 'tag' || chr(97 + g), now() FROM "shop" s, generate_series(0, ${OTHER_SHOP_TAGS - 1}) g
     WHERE s."id" <> $1 ORDER BY s."id", g`,
    [big.id],
  );

  // Product links: the big shop's main tag, the first linked buckets and one generated product; a
  // product per user tag elsewhere. Product ids are 8,000,000,000 + shop * 100,000 + n.
  log("product links");
  await q(
    `INSERT INTO "product_link" ("shop_id", "product_id", "product_title", "source", "tag_id", "updated_at")
     SELECT t."shop_id", 8000000000 + t."shop_id"::bigint * 100000 + row_number() OVER (PARTITION BY t."shop_id" ORDER BY t."id"),
            'Product ' || t."name", 'TAG', t."id", now()
     FROM "tag" t
     WHERE t."kind" = 'USER' AND (t."shop_id" <> $1 OR t."name" = 'main' OR t."name" = ANY($2::text[]))`,
    [big.id, buckets.slice(0, SIZE.linkedTags)],
  );
  await q(
    `INSERT INTO "product_link" ("shop_id", "product_id", "product_title", "source", "tag_id", "auto_pattern", "updated_at")
     SELECT s."id", 8000000000 + s."id"::bigint * 100000 + 99999, 'Generated product', 'AUTO_GENERATE', NULL, 'XXXXX-XXXXX-XXXXX-XXXXX', now()
     FROM "shop" s`,
  );

  // Past orders: one line each, filled with 5 keys (every 20th key is assigned or used; one order per
  // 100 keys). Orders and their lines take consecutive ids, so a key's order and line are computed.
  for (const shop of shops) {
    const keys = shop.id === big.id ? SIZE.keys : SIZE.otherShopKeys;
    const orders = keys / 100;
    const firstTag = (
      await q(
        `SELECT t."id", pl."product_id" FROM "tag" t JOIN "product_link" pl ON pl."tag_id" = t."id"
         WHERE t."shop_id" = $1 AND t."kind" = 'USER' ORDER BY t."id" LIMIT 1`,
        [shop.id],
      )
    ).rows[0] as { id: number; product_id: string };
    const order = (
      await q(
        `INSERT INTO "order" ("shop_id", "shopify_id", "name", "email", "customer_id", "confirmation_number",
                              "financial_status", "placed_at", "paid_at", "created_at", "updated_at", "carries_keys")
         SELECT $1::int, 5000000000 + $1::int::bigint * 1000000 + g, '#' || (1000 + g),
                CASE WHEN g % 5 = 0 THEN NULL ELSE 'customer' || g || '@example.com' END,
                7000000 + g % 5000, 'BC' || $1::int || 'X' || g, 'paid',
                timestamp '2026-06-01' + make_interval(secs => g * 60), timestamp '2026-06-01' + make_interval(secs => g * 60),
                timestamp '2026-06-01' + make_interval(secs => g * 60), now(), true
         FROM generate_series(1, $2::int) g ORDER BY g RETURNING "id"`,
        [shop.id, orders],
      )
    ).rows as Array<{ id: number }>;
    const firstOrder = order[0].id;
    const lines = (
      await q(
        `INSERT INTO "order_line" ("shop_id", "order_id", "line_item_id", "product_id", "title", "quantity", "source",
                                   "tag_id", "keys_needed", "keys_assigned", "keys_per_unit", "created_at")
         SELECT $1::int, o."id", o."shopify_id" * 10, $2::bigint, 'Bench product', 0, 'TAG', $3, 0, 0, 1, o."placed_at"
         FROM "order" o WHERE o."shop_id" = $1::int ORDER BY o."id" RETURNING "id"`,
        [shop.id, firstTag.product_id, firstTag.id],
      )
    ).rows as Array<{ id: number }>;
    const firstLine = lines[0].id;
    if (order.at(-1)!.id - firstOrder !== orders - 1 || lines.at(-1)!.id - firstLine !== orders - 1)
      throw new Error("order ids are not consecutive");

    log(`${keys.toLocaleString("en-US")} keys of ${shop.domain}`);
    // 1% of keys repeat the previous key's value while pending (the duplicate clean-up removes them),
    // 1% while assigned (kept); every 10th key was generated; a few values a spreadsheet would run
    // as formulas (the export must defuse them).
    await q(
      `INSERT INTO "license_key" ("shop_id", "value", "type", "status", "created_at", "assigned_at", "used_at", "order_id", "order_line_id")
       SELECT $1::int,
              CASE WHEN src % 1000 = 500 THEN '=HYPERLINK("x",' || src || ')' ELSE ${keyExpression("b")} END,
              (CASE WHEN g % 10 = 5 THEN 'AUTO_GENERATED' ELSE 'UPLOADED' END)::"KeyType",
              (CASE WHEN g % 100 = 0 THEN 'USED' WHEN g % 20 = 0 THEN 'ASSIGNED' ELSE 'PENDING' END)::"KeyStatus",
              timestamp '2026-01-01' + make_interval(secs => g * 10),
              CASE WHEN g % 20 = 0 THEN timestamp '2026-06-01' + make_interval(secs => g) END,
              CASE WHEN g % 100 = 0 THEN timestamp '2026-07-01' + make_interval(secs => g) END,
              CASE WHEN g % 20 = 0 THEN $2::int + (g / 20) % $4::int END,
              CASE WHEN g % 20 = 0 THEN $3::int + (g / 20) % $4::int END
       FROM (
         SELECT g, src, decode(md5('k' || $1::int || '-' || src), 'hex') || decode(md5('v' || $1::int || '-' || src), 'hex') AS b
         FROM (SELECT g, CASE WHEN g > 1 AND g % 100 IN (1, 40) THEN g - 1 ELSE g END AS src
               FROM generate_series(1, $5::int) g) s
       ) k
       ORDER BY g`,
      [shop.id, firstOrder, firstLine, orders, keys],
    );
  }
  await q(`UPDATE "order_line" ol SET "quantity" = c.n, "keys_needed" = c.n, "keys_assigned" = c.n
           FROM (SELECT "order_line_id", count(*)::int AS n FROM "license_key" WHERE "order_line_id" IS NOT NULL GROUP BY 1) c
           WHERE ol."id" = c."order_line_id"`);

  log("tag memberships: big shop's keys in main and one other tag, two bulk tags; other shops' keys in one tag");
  const tagIds = new Map<string, number>(
    (await q(`SELECT "id", "name" FROM "tag" WHERE "shop_id" = $1`, [big.id])).rows.map((row) => [row.name, row.id]),
  );
  const bucketIds = buckets.map((name) => tagIds.get(name)!);
  const [{ first_key: firstKey }] = (
    await q(`SELECT min("id") AS first_key FROM "license_key" WHERE "shop_id" = $1`, [big.id])
  ).rows;
  await q(
    `INSERT INTO "key_tag" ("tag_id", "key_id", "shop_id", "status")
     SELECT $2, "id", "shop_id", "status" FROM "license_key" WHERE "shop_id" = $1
     UNION ALL
     SELECT ($3::int[])[1 + "id" % array_length($3::int[], 1)], "id", "shop_id", "status" FROM "license_key" WHERE "shop_id" = $1
     UNION ALL
     SELECT CASE WHEN "id" < $5::int + $6::int THEN $4::int ELSE $7::int END, "id", "shop_id", "status" FROM "license_key"
     WHERE "shop_id" = $1 AND "id" >= $5::int AND "id" < $5::int + 2 * $6::int`,
    [big.id, tagIds.get("main"), bucketIds, tagIds.get("bulka"), firstKey, SIZE.bulk, tagIds.get("bulkb")],
  );
  await q(
    `INSERT INTO "key_tag" ("tag_id", "key_id", "shop_id", "status")
     WITH numbered AS (
       SELECT "id", "shop_id", (row_number() OVER (PARTITION BY "shop_id" ORDER BY "id") - 1)::int AS n
       FROM "tag" WHERE "kind" = 'USER' AND "shop_id" <> $1)
     SELECT t."id", k."id", k."shop_id", k."status"
     FROM "license_key" k JOIN numbered t ON t."shop_id" = k."shop_id" AND t.n = k."id" % ${OTHER_SHOP_TAGS}
     WHERE k."shop_id" <> $1`,
    [big.id],
  );

  log("indexes, counters, vacuum, analyze");
  for (const index of indexes) await q(index.definition);
  await q(`UPDATE "tag" t SET "pending_count" = d.pending, "assigned_count" = d.assigned, "used_count" = d.used,
                              "retired_count" = d.retired, "last_added_at" = now()
           FROM (SELECT "tag_id",
                   count(*) FILTER (WHERE "status" = 'PENDING')  AS pending,
                   count(*) FILTER (WHERE "status" = 'ASSIGNED') AS assigned,
                   count(*) FILTER (WHERE "status" = 'USED')     AS used,
                   count(*) FILTER (WHERE "status" = 'RETIRED')  AS retired
                 FROM "key_tag" GROUP BY "tag_id") d
           WHERE t."id" = d."tag_id"`);
  await q(`INSERT INTO "shop_key_count" ("shop_id", "pending", "assigned", "used", "retired")
           SELECT "shop_id", count(*) FILTER (WHERE "status" = 'PENDING'), count(*) FILTER (WHERE "status" = 'ASSIGNED'),
                  count(*) FILTER (WHERE "status" = 'USED'), count(*) FILTER (WHERE "status" = 'RETIRED')
           FROM "license_key" GROUP BY "shop_id"`);
  await q("SET session_replication_role = origin");
  await q("VACUUM ANALYZE");
  await q("CHECKPOINT");
}

/** The ids the figures use, found by name. */
export async function readDataset(url: string): Promise<Dataset> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const shops = (
      await client.query(
        `SELECT "id", "domain", "iana_timezone" FROM "shop" WHERE "domain" LIKE 'bench-shop-%' ORDER BY "id"`,
      )
    ).rows;
    const big = shops.find((row) => row.domain === BIG_SHOP);
    if (!big) throw new Error(`no ${BIG_SHOP} in ${url}: not a benchmark dataset`);
    const tags = (
      await client.query(`SELECT "id", "name" FROM "tag" WHERE "shop_id" = $1 AND "name" = ANY($2::text[])`, [
        big.id,
        ["main", "bulka", "bulkb", "movetarget"],
      ])
    ).rows;
    const id = (name: string) => tags.find((row) => row.name === name).id as number;
    return {
      shops: shops.map((row) => ({ id: row.id as number, domain: row.domain as string })),
      bigShop: { id: big.id, domain: big.domain, timeZone: big.iana_timezone },
      tags: { main: id("main"), bulkA: id("bulka"), bulkB: id("bulkb"), target: id("movetarget") },
    };
  } finally {
    await client.end();
  }
}

async function describe(url: string, reused: boolean, buildSeconds?: number): Promise<DatasetDescription> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows: Record<string, number> = {};
    for (const table of ["shop", "session", "tag", "license_key", "key_tag", "product_link", "order", "order_line"]) {
      rows[table] = Number((await client.query(`SELECT count(*) AS n FROM "${table}"`)).rows[0].n);
    }
    const size = (await client.query(`SELECT pg_size_pretty(pg_database_size(current_database())) AS size`)).rows[0]
      .size;
    const hugePages = (await client.query(`SHOW huge_pages_status`)).rows[0].huge_pages_status as string;
    const perShop = (sql: string) => client.query(sql, [BIG_SHOP]).then((r) => Number(r.rows[0].n));
    const bigLinks = await perShop(
      `SELECT count(*) AS n FROM "product_link" pl JOIN "shop" s ON s."id" = pl."shop_id" WHERE s."domain" = $1`,
    );
    return {
      shops: rows.shop,
      bigShop: { domain: BIG_SHOP, keys: SIZE.keys, tags: SIZE.tags, orders: SIZE.keys / 100, productLinks: bigLinks },
      otherShops: {
        keys: SIZE.otherShopKeys,
        tags: OTHER_SHOP_TAGS + 2,
        orders: SIZE.otherShopKeys / 100,
        productLinks: OTHER_SHOP_TAGS + 1,
      },
      rows,
      databaseSize: size,
      hugePages,
      sharedBuffers: settings.shared_buffers,
      buildSeconds,
      reused,
    };
  } finally {
    await client.end();
  }
}

/** A PostgreSQL holding the dataset's template database. */
export interface DatasetServer {
  /** Connection string for one database of this server. */
  url(database: string): string;
  template: string;
  description: DatasetDescription;
  stop(): Promise<void>;
}

/**
 * The server is set up like a production database server: shared buffers that hold the working set
 * (2 GB holds the whole dataset; the default 128 MB would measure reads from the operating system's
 * cache), in huge pages, as the managed providers run PostgreSQL. Without huge pages each backend
 * takes a page fault the first time it touches each 4 kB of shared memory, and on these virtual
 * machines one costs about 40 µs: a 3-character search (about 1,000 pages) then measured 25-35 ms of
 * faults around 5 ms of work, and bulk deletes a third more.
 */
const settings = { shared_buffers: "2GB", huge_pages: "try" };
/** 2 MB pages for the 2 GB of buffers and PostgreSQL's other shared memory. */
const HUGE_PAGES = 1100;
const NR_HUGEPAGES = "/proc/sys/vm/nr_hugepages";

/**
 * Reserves the huge pages when the machine has fewer and lets us (root on Linux); returns how to give
 * them back. Elsewhere the run goes on without them and says so.
 */
function reserveHugePages(): () => void {
  let before: number;
  try {
    before = Number(readFileSync(NR_HUGEPAGES, "utf8"));
    if (before >= HUGE_PAGES) return () => {};
    writeFileSync(NR_HUGEPAGES, String(HUGE_PAGES));
  } catch {
    return () => {};
  }
  log(`reserved ${HUGE_PAGES} huge pages for PostgreSQL's shared memory (${NR_HUGEPAGES} was ${before})`);
  return () => {
    try {
      writeFileSync(NR_HUGEPAGES, String(before));
    } catch {
      // Given back when the machine restarts.
    }
  };
}

/**
 * Starts a PostgreSQL and builds the template (or, with --reuse, keeps the one built earlier with the
 * same definition in .data/bench/dataset-cache[-quick]). The caller stops it.
 */
export async function startDatasetServer(): Promise<DatasetServer> {
  const reuse = process.argv.includes("--reuse");
  const releaseHugePages = reserveHugePages();
  const server: LocalPostgres = await (
    reuse
      ? startLocalPostgres({ dir: projectDataDir("bench", `dataset-cache${quick ? "-quick" : ""}`), settings })
      : startLocalPostgres({ dir: projectDataDir("bench", `dataset-${process.pid}`), throwaway: true, settings })
  ).catch((error) => {
    releaseHugePages();
    throw error;
  });
  const stop = async () => {
    await server.stop();
    releaseHugePages();
  };
  try {
    const admin = new pg.Client({ connectionString: server.url("postgres") });
    admin.on("error", () => {});
    await admin.connect();
    const mark = await admin.query(
      `SELECT shobj_description(oid, 'pg_database') AS mark FROM pg_database WHERE datname = $1`,
      [TEMPLATE],
    );
    const reused = reuse && mark.rows[0]?.mark === DATASET_MARK;
    if (!reused) {
      await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${TEMPLATE}`);
    }
    const url = server.url(TEMPLATE);
    // A reused template gets the migrations added since it was built.
    await migrateDatabase(url, { quiet: true });
    let buildSeconds: number | undefined;
    if (!reused) {
      const started = performance.now();
      log(
        `building: ${SHOPS} shops, one with ${SIZE.keys.toLocaleString("en-US")} keys in ${SIZE.tags} tags (load average ${os.loadavg()[0].toFixed(1)})`,
      );
      const client = new pg.Client({ connectionString: url });
      client.on("error", () => {});
      await client.connect();
      try {
        await build(client);
      } finally {
        await client.end();
      }
      await admin.query(`COMMENT ON DATABASE ${TEMPLATE} IS '${DATASET_MARK}'`);
      buildSeconds = Math.round((performance.now() - started) / 100) / 10;
    }
    await admin.end();
    const description = await describe(url, reused, buildSeconds);
    log(
      reused
        ? `reused from an earlier --reuse run (${description.databaseSize})`
        : `built in ${buildSeconds} s (${description.databaseSize})`,
    );
    if (description.hugePages !== "on") {
      log(
        `WARNING: PostgreSQL runs without huge pages (reserve ${HUGE_PAGES} as root: sysctl -w vm.nr_hugepages=${HUGE_PAGES}); ` +
          `figures that read many pages include page-fault time`,
      );
    }
    return { url: server.url, template: TEMPLATE, description, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A module's own copy of the dataset. */
export interface BenchCopy {
  /** The copy's connection string (also set as DATABASE_URL). */
  url: string;
  /** The server's maintenance database, for CREATE/DROP DATABASE. */
  adminUrl: string;
  /** Connection string for another database of the same server. */
  serverUrl(database: string): string;
  dataset: Dataset;
  description?: DatasetDescription;
  /** Throws the copy away and makes it afresh (close every pool on it first). */
  recreate(): Promise<void>;
  /** Drops the copy, and stops the server when this module started it. */
  close(): Promise<void>;
}

const urlOf = (base: string, database: string) => {
  const url = new URL(base);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
};

/**
 * The module's own copy `bench_<name>` of the dataset: on the server bench/run.ts started, or on one
 * this module starts (and stops in close()) when run alone. Sets DATABASE_URL to the copy.
 */
export async function openDataset(name: string): Promise<BenchCopy> {
  const shared = process.env.BENCH_POSTGRES_URL && process.env.BENCH_DATASET;
  const own = shared ? undefined : await startDatasetServer();
  const adminUrl = shared ? process.env.BENCH_POSTGRES_URL! : own!.url("postgres");
  const template = shared ? process.env.BENCH_DATASET! : own!.template;
  const database = `bench_${name}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const drop = () => admin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
  const recreate = async () => {
    await drop();
    await admin(
      `CREATE DATABASE ${pg.escapeIdentifier(database)} TEMPLATE ${pg.escapeIdentifier(template)} STRATEGY FILE_COPY`,
    );
  };
  try {
    const started = performance.now();
    await recreate();
    const url = urlOf(adminUrl, database);
    console.log(
      `[${new Date().toISOString().slice(11, 19)}] dataset: copied to ${database} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    process.env.DATABASE_URL = url;
    return {
      url,
      adminUrl,
      serverUrl: (db) => urlOf(adminUrl, db),
      dataset: await readDataset(url),
      description: own?.description,
      recreate,
      async close() {
        try {
          await drop();
        } finally {
          await own?.stop();
        }
      },
    };
  } catch (error) {
    await own?.stop();
    throw error;
  }
}
