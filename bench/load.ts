// Two app server processes (remix-serve over the production build) on one PostgreSQL take thousands of
// signed orders/create deliveries, 50 at a time, with about 10% delivered twice (same event id) and 5%
// of orders arriving again under a new event id. Midway, one app process is killed with SIGKILL and
// started again, and later the database itself is restarted; every delivery that did not get a 2xx is
// redelivered, as Shopify does, until it does. Afterwards every key and order is checked: none given
// twice, none missing, none over-assigned, counters equal to a fresh count.
//
//   npx tsx bench/load.ts [--quick]      (loopback only; bounded; stops by itself)
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { startArguments } from "../app/local/app-server";
import { migrateDatabase } from "../app/local/migrate";
import { freePort, projectDataDir, startLocalPostgres, type LocalPostgres } from "../app/local/postgres";
import { printFigures, quick, stats, writeResults, type Figure } from "./lib/harness";
import { createWebhookClient, type SignedDelivery } from "./lib/webhook-client";

const ORDERS = quick ? 1_500 : 10_000;
const CONCURRENCY = 50;
const SHOP = "bench-load.myshopify.com";
const API_KEY = "bench-load-api-key";
const API_SECRET = "bench-load-api-secret";
const PRODUCT = 9_100_000_001;
const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

interface Delivery extends SignedDelivery {
  orderId: number;
  quantity: number;
}

function orderPayload(orderId: number, quantity: number) {
  return JSON.stringify({
    id: orderId,
    admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
    name: `#L${orderId}`,
    email: `buyer${orderId}@example.com`,
    confirmation_number: `LC${orderId}`,
    financial_status: "paid",
    created_at: new Date().toISOString(),
    customer: { id: 7_000_000 + (orderId % 500), email: `buyer${orderId}@example.com` },
    line_items: [
      { id: orderId * 10 + 1, product_id: PRODUCT, variant_id: null, quantity, title: "Load Suite", name: "Load Suite", gift_card: false },
      { id: orderId * 10 + 2, product_id: null, variant_id: null, quantity: 1, title: "Custom item", name: "Custom item", gift_card: false },
    ],
  });
}

class AppProcess {
  child?: ChildProcess;
  /** Exits nobody asked for (a process manager would restart them; so does this one). */
  crashes = 0;
  private expected = false;
  private restarting?: Promise<void>;
  constructor(
    readonly port: number,
    readonly databaseUrl: string,
  ) {}
  async start() {
    this.expected = false;
    this.child = spawn(process.execPath, startArguments(), {
      env: {
        ...process.env,
        NODE_ENV: "production",
        PORT: String(this.port),
        HOST: "127.0.0.1",
        DATABASE_URL: this.databaseUrl,
        DATABASE_POOL_SIZE: "10",
        SHOPIFY_API_KEY: API_KEY,
        SHOPIFY_API_SECRET: API_SECRET,
        SHOPIFY_APP_URL: "https://keyshelf.load",
        SHOPIFY_LOG_LEVEL: "error",
        KEYSHELF_DISABLE_WORKERS: "1",
        KEYSHELF_DEMO: "",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    // The app's stderr, first lines only: a restart flood must not bury the table.
    let lines = 0;
    this.child.stderr?.on("data", (chunk: Buffer) => {
      if (lines++ < 5) process.stderr.write(`[app :${this.port}] ${chunk.toString().split("\n")[0]}\n`);
    });
    this.child.once("exit", (code, signal) => {
      if (this.expected) return;
      this.crashes++;
      log(`app :${this.port} exited unexpectedly (${signal ?? code}); restarting it`);
      this.restarting = this.start().catch((error) => log(`restart failed: ${String(error)}`));
    });
    for (let i = 0; i < 300; i++) {
      if (await fetch(`http://127.0.0.1:${this.port}/`).then(() => true, () => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`app on port ${this.port} did not start`);
  }
  /** SIGKILL mid-delivery, then back, as after a crash and a process manager's restart. */
  async killAndRestart() {
    this.expected = true;
    const exited = new Promise((resolve) => this.child!.once("exit", resolve));
    this.child?.kill("SIGKILL");
    await exited;
    await this.start();
  }
  async settle() {
    await this.restarting;
  }
  async stop() {
    this.expected = true;
    await this.restarting;
    if (!this.child || this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child!.once("exit", resolve));
    this.child.kill("SIGTERM");
    await exited;
  }
}

async function main() {
  const started = performance.now();
  const dir = projectDataDir("bench", `load-${process.pid}`);
  await rm(dir, { recursive: true, force: true });
  const port = await freePort();
  // Not "throwaway": the cluster must survive its own restart; the folder is removed at the end.
  let db: LocalPostgres = await startLocalPostgres({ dir, port });
  const url = await db.createDatabase("bench_load");
  await migrateDatabase(url, { quiet: true });
  const apps = [new AppProcess(await freePort(), url), new AppProcess(await freePort(), url)];
  const admin = new pg.Pool({ connectionString: url, max: 4 });
  const client = createWebhookClient({ secret: API_SECRET, sockets: CONCURRENCY });
  admin.on("error", () => {});
  const figures: Figure[] = [];
  const notes: Record<string, unknown> = { orders: ORDERS, concurrency: CONCURRENCY };
  try {
    // The shop, its offline session, one tag with enough keys for every order, and the product's link.
    const quantities = Array.from({ length: ORDERS }, (_, i) => 1 + (i % 3));
    const needed = quantities.reduce((a, b) => a + b, 0);
    const stock = needed + 500;
    const shopId = (
      await admin.query(`INSERT INTO "shop" ("domain", "name", "updated_at") VALUES ($1, 'Load', now()) RETURNING "id"`, [SHOP])
    ).rows[0].id as number;
    await admin.query(
      `INSERT INTO "session" ("id", "shop", "state", "isOnline", "scope", "accessToken") VALUES ($1, $2, '', false, 'read_orders,read_products', 'token')`,
      [`offline_${SHOP}`, SHOP],
    );
    await admin.query(`INSERT INTO "tag" ("shop_id", "name", "kind", "updated_at") VALUES ($1, 'Auto-generated', 'AUTO_GENERATED', now()), ($1, 'No tag', 'UNTAGGED', now())`, [shopId]);
    const tagId = (await admin.query(`INSERT INTO "tag" ("shop_id", "name", "updated_at") VALUES ($1, 'load', now()) RETURNING "id"`, [shopId])).rows[0].id as number;
    await admin.query(
      `WITH k AS (INSERT INTO "license_key" ("shop_id", "value", "created_at")
                  SELECT $1, 'LOAD-' || lpad(g::text, 8, '0'), timestamp '2026-01-01' + make_interval(secs => g) FROM generate_series(1, $3::int) g
                  RETURNING "id", "shop_id", "status")
       INSERT INTO "key_tag" ("tag_id", "key_id", "shop_id", "status") SELECT $2, k."id", k."shop_id", k."status" FROM k`,
      [shopId, tagId, stock],
    );
    await admin.query(`INSERT INTO "product_link" ("shop_id", "product_id", "tag_id", "updated_at") VALUES ($1, $2, $3, now())`, [shopId, PRODUCT, tagId]);
    await admin.query("VACUUM ANALYZE");

    // Same-run baseline: the ceiling of claiming keys with one UPDATE ... SKIP LOCKED per order, 50 at a time,
    // on a copy of the stock (rolled back), so the app's figure has a yardstick.
    {
      const pool = new pg.Pool({ connectionString: url, max: CONCURRENCY });
      const sample = quantities.slice(0, Math.min(2_000, ORDERS));
      let next = 0;
      const t0 = performance.now();
      const lat: number[] = [];
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          const client = await pool.connect();
          try {
            while (next < sample.length) {
              const q = sample[next++];
              const s = performance.now();
              await client.query("BEGIN");
              await client.query(
                `UPDATE "license_key" SET "status" = 'ASSIGNED', "assigned_at" = now() WHERE "id" IN (
                   SELECT kt."key_id" FROM "key_tag" kt WHERE kt."tag_id" = $1 AND kt."status" = 'PENDING'
                   ORDER BY kt."key_id" LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING "id"`,
                [tagId, q],
              );
              await client.query("ROLLBACK");
              lat.push(performance.now() - s);
            }
          } finally {
            client.release();
          }
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      await pool.end();
      notes.baselineKeysPerSecond = Math.round(sample.reduce((a, b) => a + b, 0) / seconds);
      notes.baselineLatency = stats(lat);
    }

    await Promise.all(apps.map((app) => app.start()));
    log(`two app processes on ports ${apps.map((a) => a.port).join(", ")}; ${ORDERS.toLocaleString()} orders, ${needed.toLocaleString()} keys needed`);

    // The delivery plan: every order once, 10% of deliveries repeated as-is, 5% of orders again under a new event id.
    const plan: Delivery[] = quantities.map((quantity, i) => {
      const orderId = 6_000_000_000 + i;
      return { orderId, quantity, topic: "orders/create", shop: SHOP, eventId: randomUUID(), body: orderPayload(orderId, quantity) };
    });
    const extra: Delivery[] = [];
    for (let i = 0; i < ORDERS; i++) {
      if (i % 10 === 3) extra.push(plan[i]);
      if (i % 20 === 7) extra.push({ ...plan[i], eventId: randomUUID() });
    }
    const deliveries = [...plan, ...extra].map((d, i) => ({ d, sort: (i * 2654435761) % 4294967296 })).sort((a, b) => a.sort - b.sort).map((x) => x.d);

    const latencies: number[] = [];
    let sent = 0;
    let redelivered = 0;
    const retry: Delivery[] = [];
    // Why deliveries failed (status code, or the network error's code), for the notes.
    const failures: Record<string, number> = {};
    const failed = (why: string) => void (failures[why] = (failures[why] ?? 0) + 1);
    async function deliver(delivery: Delivery, appIndex: number) {
      const start = performance.now();
      try {
        const status = await client.post(`http://127.0.0.1:${apps[appIndex].port}`, delivery);
        if (status === 200) {
          latencies.push(performance.now() - start);
          return true;
        }
        failed(`HTTP ${status}`);
      } catch (error) {
        // Connection refused or reset (a killed process), or Shopify's 5 s limit: redelivered later.
        failed((error as { code?: string }).code ?? "network error");
      }
      return false;
    }

    const killAt = Math.floor(deliveries.length * 0.3);
    const restartDbAt = Math.floor(deliveries.length * 0.6);
    let next = 0;
    const t0 = performance.now();
    const faults: string[] = [];
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        while (next < deliveries.length) {
          const index = next++;
          if (index === killAt) {
            faults.push(`SIGKILL app 2 at delivery ${index}`);
            void apps[1].killAndRestart().then(() => faults.push("app 2 back"));
          }
          if (index === restartDbAt) {
            faults.push(`database restarted at delivery ${index}`);
            await db.stop();
            db = await startLocalPostgres({ dir, port });
            faults.push("database back");
          }
          sent++;
          if (!(await deliver(deliveries[index], (index + worker) % 2))) retry.push(deliveries[index]);
        }
      }),
    );
    await Promise.all(apps.map((app) => app.settle()));
    // Shopify retries failed deliveries (bounded here: 10 rounds within two minutes).
    const retryUntil = performance.now() + 120_000;
    for (let round = 0; round < 10 && retry.length && performance.now() < retryUntil; round++) {
      const batch = retry.splice(0);
      redelivered += batch.length;
      let i = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (i < batch.length) {
            const delivery = batch[i++];
            if (!(await deliver(delivery, i % 2))) retry.push(delivery);
          }
        }),
      );
    }
    const seconds = (performance.now() - t0) / 1000;
    notes.faults = faults;
    notes.unexpectedAppExits = apps.map((app) => app.crashes);
    notes.deliveries = sent;
    notes.failedThenRedelivered = redelivered;
    notes.neverAccepted = retry.length;
    notes.failures = failures;

    // The checks: every order filled exactly once.
    const check = new pg.Client({ connectionString: url });
    await check.connect();
    const one = async (sql: string, params: unknown[] = []) => Number(Object.values((await check.query(sql, params)).rows[0])[0]);
    const orderIds = plan.map((d) => d.orderId);
    const results = {
      ordersStored: await one(`SELECT count(*) FROM "order" WHERE "shop_id" = $1`, [shopId]),
      keysAssigned: await one(`SELECT count(*) FROM "license_key" WHERE "shop_id" = $1 AND "order_id" IS NOT NULL`, [shopId]),
      ordersWithWrongCount: await one(
        `SELECT count(*) FROM (SELECT o."shopify_id", count(k."id") AS n FROM "order" o LEFT JOIN "license_key" k ON k."order_id" = o."id"
           WHERE o."shop_id" = $1 GROUP BY o."id") s
         JOIN unnest($2::bigint[], $3::int[]) AS want(id, q) ON want.id = s."shopify_id" WHERE s.n <> want.q`,
        [shopId, orderIds, quantities],
      ),
      linesOverAssigned: await one(`SELECT count(*) FROM "order_line" WHERE "shop_id" = $1 AND "keys_assigned" > "keys_needed"`, [shopId]),
      keysInTwoLines: await one(
        `SELECT count(*) FROM (SELECT "value" FROM "license_key" WHERE "shop_id" = $1 AND "order_id" IS NOT NULL GROUP BY "value" HAVING count(*) > 1) d`,
        [shopId],
      ),
      assignedWithoutOrder: await one(`SELECT count(*) FROM "license_key" WHERE "shop_id" = $1 AND "status" = 'ASSIGNED' AND "order_id" IS NULL`, [shopId]),
      shortfallOrders: await one(`SELECT count(*) FROM "order" WHERE "shop_id" = $1 AND "shortfall" > 0`, [shopId]),
      counterDrift: await one(
        `SELECT abs(t."pending_count" - (SELECT count(*) FROM "key_tag" kt WHERE kt."tag_id" = t."id" AND kt."status" = 'PENDING'))
              + abs(t."assigned_count" - (SELECT count(*) FROM "key_tag" kt WHERE kt."tag_id" = t."id" AND kt."status" = 'ASSIGNED'))
         FROM "tag" t WHERE t."id" = $1`,
        [tagId],
      ),
    };
    await check.end();
    notes.checks = results;
    const whole =
      results.ordersStored === ORDERS &&
      results.keysAssigned === needed &&
      results.ordersWithWrongCount === 0 &&
      results.linesOverAssigned === 0 &&
      results.keysInTwoLines === 0 &&
      results.assignedWithoutOrder === 0 &&
      results.shortfallOrders === 0 &&
      results.counterDrift === 0;
    log(`checks: ${JSON.stringify(results)} => ${whole ? "whole" : "BROKEN"}`);

    const lat = stats(latencies);
    const sortedLat = [...latencies].sort((a, b) => a - b);
    const p99 = sortedLat[Math.floor(sortedLat.length * 0.99)] ?? 0;
    const keysPerSecond = needed / seconds;
    const base = notes.baselineLatency as ReturnType<typeof stats>;
    figures.push(
      {
        name: "delivery latency p50 (2 instances, 50 concurrent, faults included)",
        unit: "ms",
        value: lat,
        baseline: { name: "SKIP LOCKED UPDATE alone", value: base },
        ratio: lat.median / base.median,
      },
      {
        name: "delivery latency p99",
        unit: "ms",
        value: { median: p99, min: p99, max: p99, runs: latencies.length },
        target: "<= 50 ms",
        pass: p99 <= 50,
      },
      {
        name: "assignment throughput (keys/s, incl. faults and retries)",
        unit: "keys/s",
        value: { median: keysPerSecond, min: keysPerSecond, max: keysPerSecond, runs: 1 },
        baseline: { name: "SKIP LOCKED ceiling", value: { median: notes.baselineKeysPerSecond as number, min: 0, max: 0, runs: 1 } },
        ratio: keysPerSecond / (notes.baselineKeysPerSecond as number),
        target: ">= 0.75x",
        pass: keysPerSecond / (notes.baselineKeysPerSecond as number) >= 0.75,
      },
      {
        name: "orders filled exactly once (double, lost, over-assigned)",
        unit: "errors",
        value: { median: whole ? 0 : 1, min: 0, max: 0, runs: 1 },
        target: "0 after kill + DB restart",
        pass: whole,
      },
    );
    figures.push({
      name: "deliveries still refused after the bounded retries",
      unit: "deliveries",
      value: { median: retry.length, min: retry.length, max: retry.length, runs: 1 },
      target: "0",
      pass: retry.length === 0,
    });
    notes.seconds = Math.round((performance.now() - started) / 1000);
    printFigures(`Two app processes, ${ORDERS.toLocaleString()} orders, ${CONCURRENCY} concurrent`, figures);
    console.log(notes);
    writeResults("load", figures, notes);
    if (!whole) process.exitCode = 1;
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    client.close();
    await admin.end().catch(() => {});
    await db.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
