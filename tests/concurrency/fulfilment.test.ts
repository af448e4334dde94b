// Two app server processes on this file's database take hundreds of signed order deliveries at once:
// redeliveries with the same event id, the same order under new event ids, orders/paid beside
// orders/create, keys that sit in two tags, and more demand than stock. Afterwards every key and
// order is checked: none given twice, none lost, none over-assigned, waiting orders filled in order.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAppServer, type AppServer } from "~/local/app-server";
import { fillWaitingOrders } from "~/models/fulfilment/waiting-orders.server";
import { closePgPool } from "~/pg.server";
import { prisma } from "tests/helpers/db";
import { TEST_SHOP, webhookRequest } from "tests/helpers/shopify";
import { addKeys, expectConsistent, link, orderPayload, shopWithTag, type LineSpec } from "tests/fulfilment/support";

const ORDERS = 400;
const CONCURRENCY = 50;
const P_ALPHA = 8_300_000_000_001;
const P_BETA = 8_300_000_000_002;
const P_SEATS = 8_300_000_000_003; // a 3-seat variant of P_ALPHA's tag
const P_AUTO = 8_300_000_000_004;

let servers: AppServer[] = [];

beforeAll(async () => {
  servers = await Promise.all([0, 1].map(() => startAppServer({ databaseUrl: process.env.DATABASE_URL! })));
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await closePgPool();
});

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function send(server: AppServer, topic: string, payload: unknown, eventId: string): Promise<number> {
  const signed = webhookRequest({ topic, shop: TEST_SHOP, payload, eventId });
  const body = await signed.text();
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(new URL(new URL(signed.url).pathname, server.url), {
        method: "POST",
        headers: signed.headers,
        body,
      });
      await response.arrayBuffer();
      return response.status;
    } catch (error) {
      // A kept-alive socket the server closed as it was reused never reached the app; Shopify
      // would deliver again, and so do we (the same event id, so it counts once).
      if (attempt >= 3) throw error;
    }
  }
}

describe("many deliveries on two app instances", () => {
  it("assigns every key at most once and every order exactly what it is owed", async () => {
    const { shop, tag: alpha } = await shopWithTag(TEST_SHOP, "alpha", 500, "ALPHA");
    const beta = await prisma.tag.create({ data: { shopId: shop.id, name: "beta" } });
    await addKeys(shop.id, beta.id, 150, "BETA");
    // 100 of alpha's keys are also in beta: two lines of different tags may race for the same key.
    await prisma.$executeRaw`
      INSERT INTO "key_tag" ("tag_id", "key_id", "shop_id", "status")
      SELECT ${beta.id}, kt."key_id", ${shop.id}, kt."status" FROM "key_tag" kt
      WHERE kt."tag_id" = ${alpha.id} ORDER BY kt."key_id" LIMIT 100`;
    await link(shop.id, P_ALPHA, { tagId: alpha.id });
    await link(shop.id, P_BETA, { tagId: beta.id });
    await link(shop.id, P_SEATS, { tagId: alpha.id, variantId: P_SEATS + 7, keysPerUnit: 3 });
    await link(shop.id, P_AUTO, { auto: { pattern: "XXXX-XXXX-XXXX" } });

    const rand = random(20261129);
    const products: LineSpec[] = [
      { productId: P_ALPHA },
      { productId: P_BETA },
      { productId: P_SEATS, variantId: P_SEATS + 7 },
      { productId: P_AUTO },
      { productId: null, title: "Gift wrap" },
    ];
    const payloads = Array.from({ length: ORDERS }, (_, i) =>
      orderPayload({
        id: 6_100_000_000_000 + i,
        createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
        lines: Array.from({ length: 1 + Math.floor(rand() * 3) }, () => ({
          ...products[Math.floor(rand() * products.length)],
          quantity: 1 + Math.floor(rand() * 3),
        })),
      }),
    );
    // Every order once, ~10% redelivered with the same event id, ~10% again under a new event id,
    // ~10% followed by orders/paid: all shuffled, so duplicates race their originals.
    const deliveries: Array<{ topic: string; payload: (typeof payloads)[number]; eventId: string }> = [];
    payloads.forEach((payload, i) => {
      deliveries.push({ topic: "orders/create", payload, eventId: `create-${i}` });
      if (rand() < 0.1) deliveries.push({ topic: "orders/create", payload, eventId: `create-${i}` });
      if (rand() < 0.1) deliveries.push({ topic: "orders/create", payload, eventId: `again-${i}` });
      if (rand() < 0.1) deliveries.push({ topic: "orders/paid", payload, eventId: `paid-${i}` });
    });
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
    }

    const statuses: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        while (next < deliveries.length) {
          const delivery = deliveries[next++];
          statuses.push(await send(servers[worker % 2], delivery.topic, delivery.payload, delivery.eventId));
        }
      }),
    );

    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(await prisma.order.count()).toBe(ORDERS);
    await expectConsistent();

    // What each tag was asked for, and what it gave: demand beyond stock waits, stock beyond demand stays.
    const perTag = await prisma.$queryRaw<Array<{ tagId: number; needed: number; assigned: number; pending: number }>>`
      SELECT t."id" AS "tagId", COALESCE(sum(ol."keys_needed"), 0)::int AS needed, COALESCE(sum(ol."keys_assigned"), 0)::int AS assigned,
        t."pending_count" AS pending
      FROM "tag" t LEFT JOIN "order_line" ol ON ol."tag_id" = t."id"
      WHERE t."id" IN (${alpha.id}, ${beta.id}) GROUP BY t."id"`;
    for (const row of perTag) {
      if (row.assigned < row.needed) expect(row.pending, `tag ${row.tagId} left keys while orders wait`).toBe(0);
    }
    const keys = await prisma.licenseKey.count({ where: { shopId: shop.id, status: "ASSIGNED" } });
    const lines = await prisma.orderLine.aggregate({ _sum: { keysAssigned: true } });
    expect(keys).toBe(lines._sum.keysAssigned);
    const generated = await prisma.licenseKey.findMany({ where: { type: "AUTO_GENERATED" }, select: { value: true } });
    expect(new Set(generated.map((k) => k.value)).size).toBe(generated.length);

    // Restock: every waiting order is filled, oldest first, and nothing is given twice.
    const waitingBefore = await prisma.order.count({ where: { shortfall: { gt: 0 } } });
    expect(waitingBefore).toBeGreaterThan(0);
    await addKeys(shop.id, alpha.id, 2000, "RESTOCK-A");
    await addKeys(shop.id, beta.id, 2000, "RESTOCK-B");
    const filled = await fillWaitingOrders({ shopId: shop.id, tagIds: [alpha.id, beta.id] });
    expect(filled.ordersFilled).toBe(waitingBefore);
    expect(await prisma.order.count({ where: { shortfall: { gt: 0 } } })).toBe(0);
    await expectConsistent();
  }, 300_000);
});
