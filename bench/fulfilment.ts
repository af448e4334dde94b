// Order fulfilment (issue 4), on a copy of the benchmark dataset (bench/lib/dataset.ts: 10 shops, one
// with 1,000,000 keys and past orders), each shop given the tags, stock and products below:
// - Assignment throughput: the fulfilment model (receiveOrder: record the event, the order and its
//   lines, claim the keys, one transaction) called by 50 concurrent callers over 20 connections,
//   against the ceiling of the bare claim statement
//     UPDATE license_key ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING id
//   autocommitted by 50 callers over 20 connections, same shops, same key counts, interleaved runs.
//   The baseline's own p99 is reported beside each latency figure: no delivery can beat it.
// - Two app server processes (remix-serve over the production build) taking signed orders/create
//   deliveries 50 at a time: 10,000 orders with ~10% redelivered under the same event id, ~3%
//   arriving again under a new event id and ~2% followed by orders/paid, shuffled so duplicates race
//   their originals. Latency of typical deliveries (first delivery of a one-line order needing 1-2
//   keys), keys assigned per second end to end.
// - A single order needing 1,000 keys (from a tag, and generated), over HTTP.
// Afterwards every key and order is checked: no key given twice, none lost, none over-assigned.
//
//   npx tsx bench/fulfilment.ts [--quick]      (needs build/: runs `remix build` when it is missing)
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { startAppServer, type AppServer } from "../app/local/app-server";
import { openDataset, shopDomain as datasetShop, SHOPS } from "./lib/dataset";
import { ensureAppBuild, printFigures, quick, stats, writeResults, type Figure } from "./lib/harness";
import { createWebhookClient } from "./lib/webhook-client";

const RUNS = 3;
const ORDERS_PER_RUN = quick ? 700 : 3_400; // 3 runs: ~10,000 orders in all
// Untimed warm-ups before the timed runs, the same size for the model, the HTTP servers and the
// baseline: each pooled connection plans its prepared statements on first use (a custom plan of the
// record statement costs 7-14 ms, five times per connection), which is not the steady state measured.
const WARMUP_ORDERS = quick ? 300 : 1_000;
const CONCURRENCY = 50;
const BASELINE_CLAIMS = quick ? 1_500 : 5_000;
const MODEL_ORDERS = quick ? 1_000 : 3_000;
const API_KEY = "bench-fulfilment-api-key";
const API_SECRET = "bench-fulfilment-api-secret";
const P_SINGLE = 9_200_000_001; // tag "single", 1 key per unit
const P_TEAM = 9_200_000_002; // tag "team", variant with 2 keys per unit
const V_TEAM = 9_300_000_002;
const P_BIG = 9_200_000_009; // tag "bulk", for the 1,000-key order
const P_AUTO = 9_200_000_010; // automatic generation
const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

const shopDomain = (i: number) => datasetShop(i + 1);

interface Delivery {
  shop: string;
  topic: "orders/create" | "orders/paid";
  eventId: string;
  body: string;
  typical: boolean;
  keys: number;
}

let nextOrderId = 6_500_000_000_000;

function orderBody(lines: Array<{ productId: number; variantId: number | null; quantity: number }>) {
  const id = ++nextOrderId;
  return {
    id,
    body: JSON.stringify({
      id,
      admin_graphql_api_id: `gid://shopify/Order/${id}`,
      name: `#B${id % 1_000_000}`,
      email: `buyer${id % 5000}@example.com`,
      contact_email: `buyer${id % 5000}@example.com`,
      confirmation_number: `BC${id % 100_000_000}`,
      financial_status: "paid",
      created_at: new Date().toISOString(),
      source_name: "web",
      customer: { id: 7_000_000 + (id % 5000), email: `buyer${id % 5000}@example.com` },
      line_items: [
        ...lines.map((line, i) => ({
          id: id * 10 + i,
          product_id: line.productId,
          variant_id: line.variantId,
          quantity: line.quantity,
          title: "Bench Suite",
          variant_title: null,
          gift_card: false,
        })),
        { id: id * 10 + 9, product_id: null, variant_id: null, quantity: 1, title: "Gift wrap", gift_card: false },
      ],
    }),
  };
}

/** Deterministic pseudo-random numbers: every run of the benchmark sends the same mix. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function plan(orders: number, rand: () => number): { deliveries: Delivery[]; keys: number } {
  const deliveries: Delivery[] = [];
  let keys = 0;
  for (let i = 0; i < orders; i++) {
    const shop = shopDomain(Math.floor(rand() * SHOPS));
    const roll = rand();
    // Mostly one-line orders of one or two keys; some team seats and two-line orders.
    const lines =
      roll < 0.7
        ? [{ productId: P_SINGLE, variantId: null, quantity: 1 + Math.floor(rand() * 2) }]
        : roll < 0.9
          ? [{ productId: P_TEAM, variantId: V_TEAM, quantity: 1 }]
          : [
              { productId: P_SINGLE, variantId: null, quantity: 1 },
              { productId: P_TEAM, variantId: V_TEAM, quantity: 1 + Math.floor(rand() * 2) },
            ];
    const needed = lines.reduce((sum, line) => sum + line.quantity * (line.productId === P_TEAM ? 2 : 1), 0);
    keys += needed;
    const { body } = orderBody(lines);
    const typical = lines.length === 1 && needed <= 2;
    deliveries.push({ shop, topic: "orders/create", eventId: randomUUID(), body, typical, keys: needed });
    const first = deliveries[deliveries.length - 1];
    if (rand() < 0.1) deliveries.push({ ...first, typical: false, keys: 0 });
    if (rand() < 0.03) deliveries.push({ ...first, eventId: randomUUID(), typical: false, keys: 0 });
    if (rand() < 0.02)
      deliveries.push({ ...first, topic: "orders/paid", eventId: randomUUID(), typical: false, keys: 0 });
  }
  for (let i = deliveries.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
  }
  return { deliveries, keys };
}

const client = createWebhookClient({ secret: API_SECRET, sockets: CONCURRENCY });

/** Shopify redelivers what did not get a 2xx; a socket reset before any answer is redelivered too. */
async function deliver(server: AppServer, delivery: Delivery) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.post(server.url, delivery);
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

async function fire(servers: AppServer[], deliveries: Delivery[]) {
  const typical: number[] = [];
  const all: number[] = [];
  const failures: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      while (next < deliveries.length) {
        const delivery = deliveries[next++];
        const t = performance.now();
        const status = await deliver(servers[worker % servers.length], delivery);
        const ms = performance.now() - t;
        all.push(ms);
        if (delivery.typical) typical.push(ms);
        if (status !== 200) failures.push(status);
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, typical, all, failures };
}

/**
 * CPU time (user + system) the app server processes have used so far, in ms, from /proc (Linux): per
 * delivery, a figure that a busy machine stretches far less than latency. NaN elsewhere.
 */
function serverCpuMs(servers: AppServer[]) {
  let ticks = 0;
  for (const server of servers) {
    const file = `/proc/${server.pid}/stat`;
    if (!existsSync(file)) return Number.NaN;
    const stat = readFileSync(file, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

function percentile(samples: number[], p: number) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/**
 * Fulfilment's own rows on top of the dataset's shops (which have their sessions already); returns the
 * keys the dataset's past orders hold, which the final check counts with this run's.
 */
async function seed(db: pg.Pool) {
  const client = await db.connect();
  try {
    await client.query("BEGIN");
    for (let i = 0; i < SHOPS; i++) {
      const domain = shopDomain(i);
      const { rows } = await client.query(`SELECT "id" FROM "shop" WHERE "domain" = $1`, [domain]);
      const shopId = rows[0].id as number;
      const tags = await client.query(
        `INSERT INTO "tag" ("shop_id", "name", "kind", "updated_at") VALUES
           ($1, 'single', 'USER', now()), ($1, 'team', 'USER', now()), ($1, 'bulk', 'USER', now()), ($1, 'baseline', 'USER', now())
         RETURNING "id", "name"`,
        [shopId],
      );
      const tag = Object.fromEntries(tags.rows.map((row) => [row.name, row.id as number]));
      // Stock for every order of every run with room to spare, plus older keys already handed out.
      const stock = { single: 6_000, team: 6_000, bulk: i === 0 ? 12_000 : 0, baseline: BASELINE_CLAIMS * 4 };
      for (const [name, count] of Object.entries(stock)) {
        if (!count) continue;
        await client.query(
          `WITH k AS (
             INSERT INTO "license_key" ("shop_id", "value")
             SELECT $1::int, $3::text || '-' || $1::int || '-' || lpad(g::text, 7, '0') FROM generate_series(1, $4::int) g
             RETURNING "id", "status")
           INSERT INTO "key_tag" ("tag_id", "key_id", "shop_id", "status") SELECT $2::int, k."id", $1::int, k."status" FROM k`,
          [shopId, tag[name], name.toUpperCase(), count],
        );
      }
      await client.query(
        `INSERT INTO "product_link" ("shop_id", "product_id", "variant_id", "product_title", "source", "tag_id", "keys_per_unit", "auto_pattern", "updated_at") VALUES
           ($1, $2, NULL, 'Bench Suite', 'TAG', $3, 1, NULL, now()),
           ($1, $4, $5, 'Bench Team', 'TAG', $6, 2, NULL, now()),
           ($1, $7, NULL, 'Bench Bulk', 'TAG', $8, 1, NULL, now()),
           ($1, $9, NULL, 'Bench Generated', 'AUTO_GENERATE', NULL, 1, 'XXXXX-XXXXX-XXXXX-XXXXX', now())`,
        [shopId, P_SINGLE, tag.single, P_TEAM, V_TEAM, tag.team, P_BIG, tag.bulk, P_AUTO],
      );
    }
    await client.query("COMMIT");
    await client.query("VACUUM ANALYZE");
    const past = await client.query(
      `SELECT count(*) AS n FROM "license_key" WHERE "order_id" IS NOT NULL AND "status" = 'ASSIGNED'`,
    );
    return Number(past.rows[0].n);
  } finally {
    client.release();
  }
}

/**
 * The ceiling: the bare claim statement, autocommitted, 50 callers over 20 connections (as many
 * as the two app instances hold), claiming the app run's key counts in the same shops.
 */
async function baselineRun(db: pg.Pool, claims: number, rand: () => number) {
  const { rows } = await db.query(
    `SELECT t."id" FROM "tag" t JOIN "shop" s ON s."id" = t."shop_id" WHERE t."name" = 'baseline' ORDER BY s."id"`,
  );
  const tagIds = rows.map((row) => row.id as number);
  const sizes = Array.from({ length: claims }, () =>
    rand() < 0.7 ? 1 + Math.floor(rand() * 2) : rand() < 0.67 ? 2 : 3,
  );
  let next = 0;
  let keys = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < claims) {
        const i = next++;
        const t = performance.now();
        const result = await db.query(
          `UPDATE "license_key" SET "status" = 'ASSIGNED', "assigned_at" = now()
           WHERE "id" IN (
             SELECT k."id" FROM "key_tag" kt CROSS JOIN LATERAL (
               SELECT k."id" FROM "license_key" k WHERE k."id" = kt."key_id" AND k."status" = 'PENDING' OFFSET 0 FOR UPDATE SKIP LOCKED
             ) k
             WHERE kt."tag_id" = $1 AND kt."status" = 'PENDING' ORDER BY kt."key_id" LIMIT $2)
           RETURNING "id"`,
          [tagIds[i % tagIds.length], sizes[i]],
        );
        latencies.push(performance.now() - t);
        keys += result.rowCount ?? 0;
      }
    }),
  );
  // The claim's own p99 with 50 callers: the floor under any delivery's latency on this machine.
  return { rate: keys / ((performance.now() - started) / 1000), p99: percentile(latencies, 0.99) };
}

/** The fulfilment model in this process: the same work as a delivery, without HTTP and Remix. */
async function modelRun(deliveries: Delivery[]) {
  const { receiveOrder } = await import("../app/models/fulfilment/orders-arriving.server");
  let next = 0;
  // receiveOrder's own time per typical delivery (the assignment work the latency figures
  // were measured on), beside the HTTP figure that adds the server, the library and Remix.
  const typical: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < deliveries.length) {
        const delivery = deliveries[next++];
        const t = performance.now();
        await receiveOrder({
          shopDomain: delivery.shop,
          topic: delivery.topic,
          eventId: delivery.eventId,
          payload: JSON.parse(delivery.body),
        });
        if (delivery.typical) typical.push(performance.now() - t);
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, typical };
}

async function bigOrder(server: AppServer, productId: number) {
  const { body } = orderBody([{ productId, variantId: null, quantity: 1_000 }]);
  const delivery: Delivery = {
    shop: shopDomain(0),
    topic: "orders/create",
    eventId: randomUUID(),
    body,
    typical: false,
    keys: 1_000,
  };
  const t = performance.now();
  const status = await deliver(server, delivery);
  return { ms: performance.now() - t, status, id: JSON.parse(body).id as number };
}

async function verify(db: pg.Pool, expectedKeys: number) {
  const q = async (text: string) => (await db.query(text)).rows[0];
  return {
    // A line's count equals its keys; no line holds more than it needs; no key is on two orders.
    lineMismatches: Number(
      (
        await q(`SELECT count(*) AS n FROM "order_line" ol WHERE ol."keys_assigned" <> (
          SELECT count(*) FROM "license_key" k WHERE k."order_line_id" = ol."id" AND k."status" IN ('ASSIGNED', 'USED'))`)
      ).n,
    ),
    overAssigned: Number((await q(`SELECT count(*) AS n FROM "order_line" WHERE "keys_assigned" > "keys_needed"`)).n),
    misplacedKeys: Number(
      (
        await q(`SELECT count(*) AS n FROM "license_key" k LEFT JOIN "order_line" ol ON ol."id" = k."order_line_id"
          WHERE k."status" = 'ASSIGNED' AND k."order_id" IS NOT NULL AND (ol."id" IS NULL OR ol."order_id" <> k."order_id")`)
      ).n,
    ),
    // Stock sufficed, so every order must be complete: anything short was lost.
    shortOrders: Number((await q(`SELECT count(*) AS n FROM "order" WHERE "shortfall" > 0`)).n),
    assignedToOrders: Number(
      (await q(`SELECT count(*) AS n FROM "license_key" WHERE "order_id" IS NOT NULL AND "status" = 'ASSIGNED'`)).n,
    ),
    expectedKeys,
    duplicateLines: Number(
      (
        await q(
          `SELECT count(*) AS n FROM (SELECT 1 FROM "order_line" GROUP BY "order_id", "line_item_id" HAVING count(*) > 1) d`,
        )
      ).n,
    ),
    counterDrift: Number(
      (
        await q(`SELECT count(*) AS n FROM "tag" t WHERE t."assigned_count" <> (SELECT count(*) FROM "key_tag" kt WHERE kt."tag_id" = t."id" AND kt."status" = 'ASSIGNED')
          OR t."pending_count" <> (SELECT count(*) FROM "key_tag" kt WHERE kt."tag_id" = t."id" AND kt."status" = 'PENDING')`)
      ).n,
    ),
  };
}

async function main() {
  ensureAppBuild();
  const bench = await openDataset("fulfilment");
  const { url } = bench;
  const db = new pg.Pool({ connectionString: url, max: 20 });
  const servers: AppServer[] = [];
  try {
    log(`fulfilment's tags, stock and products in the dataset's ${SHOPS} shops`);
    const pastAssigned = await seed(db);
    const env = {
      SHOPIFY_API_KEY: API_KEY,
      SHOPIFY_API_SECRET: API_SECRET,
      SHOPIFY_APP_URL: "https://bench.keyshelf.test",
    };
    servers.push(...(await Promise.all([0, 1].map(() => startAppServer({ databaseUrl: url, env, poolSize: 10 })))));
    log(`app servers: pids ${servers.map((s) => s.pid).join(", ")}`);

    const rand = random(4);
    // The dataset's past orders hold keys already; the final check counts them with this run's.
    let expectedKeys = pastAssigned;

    // The model in this process uses the same pool size as the baseline (20 connections).
    process.env.DATABASE_POOL_SIZE = "20";
    const modelRates: number[] = [];
    const modelBase: number[] = [];
    const modelBaseP99s: number[] = [];
    const modelP99s: number[] = [];
    const modelP50s: number[] = [];
    const modelWarm = plan(WARMUP_ORDERS, rand);
    await modelRun(modelWarm.deliveries);
    expectedKeys += modelWarm.keys;
    // The baseline warms up too: its first run on a fresh copy claimed at about half its later rate.
    await baselineRun(db, WARMUP_ORDERS, rand);
    for (let run = 1; run <= RUNS; run++) {
      const base = await baselineRun(db, BASELINE_CLAIMS, rand);
      modelBase.push(base.rate);
      modelBaseP99s.push(base.p99);
      const { deliveries, keys } = plan(MODEL_ORDERS, rand);
      const { seconds, typical } = await modelRun(deliveries);
      expectedKeys += keys;
      modelRates.push(keys / seconds);
      modelP99s.push(percentile(typical, 0.99));
      modelP50s.push(percentile(typical, 0.5));
      log(
        `model run ${run}: ${deliveries.length} orders in ${seconds.toFixed(1)} s, ${(keys / seconds).toFixed(0)} keys/s (baseline ${modelBase[run - 1].toFixed(0)} keys/s, p99 ${modelBaseP99s[run - 1].toFixed(1)} ms), ` +
          `typical receiveOrder p50 ${modelP50s[run - 1].toFixed(1)} ms p99 ${modelP99s[run - 1].toFixed(1)} ms`,
      );
    }

    const warm = plan(WARMUP_ORDERS, rand);
    await fire(servers, warm.deliveries);
    expectedKeys += warm.keys;

    const appRates: number[] = [];
    const baseRates: number[] = [];
    const baseP99s: number[] = [];
    const p99s: number[] = [];
    const p50s: number[] = [];
    const deliveryRates: number[] = [];
    const cpuPerDelivery: number[] = [];
    const failures: number[] = [];
    let deliveriesSent = 0;
    let ordersSent = WARMUP_ORDERS;
    for (let run = 1; run <= RUNS; run++) {
      const base = await baselineRun(db, BASELINE_CLAIMS, rand);
      baseRates.push(base.rate);
      baseP99s.push(base.p99);
      const { deliveries, keys } = plan(ORDERS_PER_RUN, rand);
      const cpuBefore = serverCpuMs(servers);
      const result = await fire(servers, deliveries);
      cpuPerDelivery.push((serverCpuMs(servers) - cpuBefore) / deliveries.length);
      expectedKeys += keys;
      ordersSent += ORDERS_PER_RUN;
      deliveriesSent += deliveries.length;
      failures.push(...result.failures);
      appRates.push(keys / result.seconds);
      deliveryRates.push(deliveries.length / result.seconds);
      p99s.push(percentile(result.typical, 0.99));
      p50s.push(percentile(result.typical, 0.5));
      log(
        `run ${run}: ${deliveries.length} deliveries in ${result.seconds.toFixed(1)} s, ${(keys / result.seconds).toFixed(0)} keys/s ` +
          `(baseline ${baseRates[run - 1].toFixed(0)} keys/s, p99 ${baseP99s[run - 1].toFixed(1)} ms), typical p50 ${p50s[run - 1].toFixed(1)} ms p99 ${p99s[run - 1].toFixed(1)} ms, ` +
          `all p99 ${percentile(result.all, 0.99).toFixed(1)} ms, non-2xx ${result.failures.length}, ` +
          `app server CPU ${cpuPerDelivery[run - 1].toFixed(2)} ms per delivery`,
      );
    }

    const bigTag: number[] = [];
    const bigAuto: number[] = [];
    for (let i = 0; i < 3; i++) {
      const fromTag = await bigOrder(servers[i % 2], P_BIG);
      const generated = await bigOrder(servers[(i + 1) % 2], P_AUTO);
      if (fromTag.status !== 200 || generated.status !== 200) failures.push(fromTag.status, generated.status);
      bigTag.push(fromTag.ms);
      bigAuto.push(generated.ms);
      expectedKeys += 2_000;
    }
    log(
      `1,000-key orders: from a tag ${bigTag.map((ms) => ms.toFixed(0)).join("/")} ms, generated ${bigAuto.map((ms) => ms.toFixed(0)).join("/")} ms`,
    );

    const checks = await verify(db, expectedKeys);
    const clean =
      checks.lineMismatches === 0 &&
      checks.overAssigned === 0 &&
      checks.misplacedKeys === 0 &&
      checks.shortOrders === 0 &&
      checks.duplicateLines === 0 &&
      checks.counterDrift === 0 &&
      checks.assignedToOrders === expectedKeys &&
      failures.length === 0;
    log(`checks: ${JSON.stringify(checks)}; non-2xx answers: ${failures.length}`);

    const modelRatio = stats(modelRates).median / stats(modelBase).median;
    const httpRatio = stats(appRates).median / stats(baseRates).median;
    const figures: Figure[] = [
      {
        name: "assignment throughput (fulfilment model, 50 concurrent)",
        unit: "keys/s",
        value: stats(modelRates),
        baseline: { name: "bare SKIP LOCKED claim statement", value: stats(modelBase) },
        ratio: modelRatio,
        target: ">= 0.75x baseline",
        pass: modelRatio >= 0.75,
      },
      {
        name: "keys assigned per second over HTTP, two app instances",
        unit: "keys/s",
        value: stats(appRates),
        baseline: { name: "bare SKIP LOCKED claim statement", value: stats(baseRates) },
        ratio: httpRatio,
      },
      {
        name: "typical order, p99 of receiveOrder in-process (50 concurrent)",
        unit: "ms",
        value: stats(modelP99s),
        baseline: { name: "bare claim statement's own p99, 50 callers", value: stats(modelBaseP99s) },
        target: "<= 50 ms",
        pass: stats(modelP99s).median <= 50,
      },
      { name: "typical order, p50 of receiveOrder in-process (50 concurrent)", unit: "ms", value: stats(modelP50s) },
      {
        name: "typical delivery, p99 latency (50 concurrent)",
        unit: "ms",
        value: stats(p99s),
        baseline: { name: "bare claim statement's own p99, 50 callers", value: stats(baseP99s) },
        target: "<= 50 ms",
        pass: stats(p99s).median <= 50,
      },
      { name: "typical delivery, p50 latency (50 concurrent)", unit: "ms", value: stats(p50s) },
      { name: "deliveries answered per second", unit: "/s", value: stats(deliveryRates) },
      { name: "app server CPU per delivery (both instances)", unit: "ms", value: stats(cpuPerDelivery) },
      {
        name: "order needing 1,000 keys from a tag",
        unit: "ms",
        value: stats(bigTag),
        target: "well inside 5000 ms",
        pass: stats(bigTag).max < 2_500,
      },
      {
        name: "order needing 1,000 generated keys",
        unit: "ms",
        value: stats(bigAuto),
        target: "well inside 5000 ms",
        pass: stats(bigAuto).max < 2_500,
      },
      {
        name: "double, lost or over-assigned keys",
        unit: "",
        value: stats([
          checks.lineMismatches +
            checks.overAssigned +
            checks.misplacedKeys +
            checks.shortOrders +
            Math.abs(checks.assignedToOrders - expectedKeys),
        ]),
        target: "0",
        pass: clean,
      },
    ];
    printFigures("Order fulfilment", figures);
    writeResults("fulfilment", figures, {
      ordersOverHttp: ordersSent + 6,
      deliveriesOverHttp: deliveriesSent,
      ordersInProcess: RUNS * MODEL_ORDERS + WARMUP_ORDERS,
      shops: SHOPS,
      concurrency: CONCURRENCY,
      checks,
    });
    if (!clean) process.exitCode = 1;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    client.close();
    await db.end();
    const { closePgPool } = await import("../app/pg.server");
    await closePgPool();
    const prisma = (await import("../app/db.server")).default;
    await prisma.$disconnect();
    await bench.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
