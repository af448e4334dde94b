// Orders arriving through signed webhooks, through the real Remix handler: keys assigned once, the
// captured payloads' quirks, waiting orders filled first come first served, the payment trigger,
// cancellations and refunds under both policies, and low-stock alerts.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { receiveOrder } from "~/models/fulfilment/orders-arriving.server";
import { fillStockedWaitingOrders, fillWaitingOrders } from "~/models/fulfilment/waiting-orders.server";
import { closePgPool } from "~/pg.server";
import { AUTO_GENERATED_TAG } from "~/lib/tags";
import { KEY_ALPHABET } from "~/lib/key-format";
import { prisma, resetDatabase } from "tests/helpers/db";
import { OTHER_SHOP, TEST_SHOP} from "tests/helpers/shopify";
import {
  addKeys,
  deliver,
  expectConsistent,
  fixture,
  keysOfOrder,
  link,
  orderPayload,
  orderRow,
  shopWithTag,
} from "./support";

const PRODUCT = 8_100_000_000_001;
const OTHER_PRODUCT = 8_100_000_000_002;

beforeEach(async () => {
  await resetDatabase();
});

// The webhook pool's idle connections would outlive the file's database.
afterAll(closePgPool);

describe("orders/create", () => {
  it("assigns quantity x keys per unit pending keys, oldest first, and records the order", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 10);
    await link(shop.id, PRODUCT, { tagId: tag.id, keysPerUnit: 2 });
    const payload = orderPayload({
      lines: [{ productId: PRODUCT, quantity: 3 }],
      email: "ada@example.com",
      customerId: 55,
    });

    const response = await deliver("orders/create", TEST_SHOP, payload);

    expect(response.status).toBe(200);
    const keys = await keysOfOrder(payload.id);
    expect(keys.map((k) => k.value)).toEqual([
      "PRO-000001",
      "PRO-000002",
      "PRO-000003",
      "PRO-000004",
      "PRO-000005",
      "PRO-000006",
    ]);
    expect(new Set(keys.map((k) => k.status))).toEqual(new Set(["ASSIGNED"]));
    const order = await orderRow(payload.id);
    expect(order).toMatchObject({
      name: payload.name,
      email: "ada@example.com",
      customerId: 55n,
      confirmationNumber: payload.confirmation_number,
      shortfall: 0,
      carriesKeys: true,
      awaitingPayment: false,
    });
    expect(order!.lines).toHaveLength(1);
    expect(order!.lines[0]).toMatchObject({ keysNeeded: 6, keysAssigned: 6, quantity: 3, tagId: tag.id });
    expect(await prisma.tag.findUniqueOrThrow({ where: { id: tag.id } })).toMatchObject({
      pendingCount: 4,
      assignedCount: 6,
    });
    await expectConsistent();
  });

  it("gives a redelivered event nothing more", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 10);
    await link(shop.id, PRODUCT, { tagId: tag.id });
    const payload = orderPayload({ lines: [{ productId: PRODUCT, quantity: 2 }] });

    expect((await deliver("orders/create", TEST_SHOP, payload, { eventId: "evt-1" })).status).toBe(200);
    expect((await deliver("orders/create", TEST_SHOP, payload, { eventId: "evt-1" })).status).toBe(200);

    expect(await keysOfOrder(payload.id)).toHaveLength(2);
    expect(await prisma.webhookEvent.count()).toBe(1);
    await expectConsistent();
  });

  it("gives the same order under another event id (and its orders/paid) nothing more", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 10);
    await link(shop.id, PRODUCT, { tagId: tag.id });
    const payload = orderPayload({ lines: [{ productId: PRODUCT, quantity: 2 }] });

    await deliver("orders/create", TEST_SHOP, payload, { eventId: "evt-a" });
    await deliver("orders/create", TEST_SHOP, payload, { eventId: "evt-b" });
    await deliver("orders/paid", TEST_SHOP, payload, { eventId: "evt-c" });

    expect(await keysOfOrder(payload.id)).toHaveLength(2);
    expect(await prisma.order.count()).toBe(1);
    expect(await prisma.orderLine.count()).toBe(1);
    await expectConsistent();
  });

  it("serves a burst of deliveries for two shops, duplicates among them, each order once and in full while keys last", async () => {
    const first = await shopWithTag(TEST_SHOP, "pro", 25);
    const second = await shopWithTag(OTHER_SHOP, "team", 100);
    await link(first.shop.id, PRODUCT, { tagId: first.tag.id });
    await link(second.shop.id, PRODUCT, { tagId: second.tag.id, keysPerUnit: 2 });
    const firstOrders = Array.from({ length: 15 }, () =>
      orderPayload({ lines: [{ productId: PRODUCT, quantity: 2 }] }),
    );
    const secondOrders = Array.from({ length: 15 }, () =>
      orderPayload({ lines: [{ productId: PRODUCT, quantity: 1 }] }),
    );
    // Every order once, interleaved; a third of them again under the same event id, some under a new one.
    const burst = [
      ...firstOrders.flatMap((payload, i) => [
        { shop: TEST_SHOP, payload, eventId: `first-${i}` },
        { shop: OTHER_SHOP, payload: secondOrders[i], eventId: `second-${i}` },
      ]),
      ...firstOrders
        .filter((_, i) => i % 3 === 0)
        .map((payload, i) => ({ shop: TEST_SHOP, payload, eventId: `first-${i * 3}` })),
      ...secondOrders
        .filter((_, i) => i % 4 === 0)
        .map((payload, i) => ({ shop: OTHER_SHOP, payload, eventId: `again-${i}` })),
    ];

    const responses = await Promise.all(
      burst.map(({ shop, payload, eventId }) => deliver("orders/create", shop, payload, { eventId })),
    );

    expect(responses.map((response) => response.status)).toEqual(burst.map(() => 200));
    // The first shop's 25 keys went to its orders (30 needed): 5 short in all, none given twice.
    const firstRows = await Promise.all(firstOrders.map((payload) => orderRow(payload.id)));
    expect(firstRows.reduce((sum, order) => sum + order!.lines[0].keysAssigned, 0)).toBe(25);
    expect(firstRows.reduce((sum, order) => sum + order!.shortfall, 0)).toBe(5);
    // The second shop had plenty: every order has exactly its two keys.
    for (const payload of secondOrders) {
      expect(await keysOfOrder(payload.id)).toHaveLength(2);
      expect(await orderRow(payload.id)).toMatchObject({ shortfall: 0 });
    }
    expect(await prisma.order.count()).toBe(30);
    expect(await prisma.orderLine.count()).toBe(30);
    expect(await prisma.webhookEvent.count()).toBe(30 + 4);
    await expectConsistent();
  });

  it("serves a batch whose order another delivery committed while the batch ran, and that order only once", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 10);
    await link(shop.id, PRODUCT, { tagId: tag.id });
    const raced = orderPayload({ lines: [{ productId: PRODUCT, quantity: 2 }] });
    const batched = orderPayload({ lines: [{ productId: PRODUCT, quantity: 3 }] });
    const unlinked = orderPayload({ lines: [{ productId: OTHER_PRODUCT, quantity: 1 }] });
    const waiting = (count: number) =>
      expect
        .poll(
          async () =>
            (
              await prisma.$queryRaw<Array<{ n: number }>>`
                SELECT count(*)::int AS n FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'`
            )[0].n,
          { timeout: 20_000 },
        )
        .toBe(count);

    // The tag's counter row stays locked until released: the orders/paid delivery of `raced` (the
    // transaction path) records the order and its line, claims its keys and then waits there, its
    // order row not yet committed.
    let release!: () => void;
    const held = prisma.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT 1 FROM "tag" WHERE "id" = ${tag.id} FOR UPDATE`;
        await new Promise<void>((resolve) => (release = resolve));
      },
      { timeout: 60_000 },
    );
    // `release` exists once the lock is held.
    await expect.poll(() => typeof release, { timeout: 10_000 }).toBe("function");
    const paid = deliver("orders/paid", TEST_SHOP, raced, { eventId: "paid-raced" });
    await waiting(1);

    // Three first deliveries at once, straight into the model so that they reach its batcher in this
    // order: `unlinked` runs alone at once, so `raced` and `batched` wait for it and share the next
    // statement, which then waits on the uncommitted order row of `raced`.
    const creates = Promise.all(
      [unlinked, raced, batched].map((payload) =>
        receiveOrder({ shopDomain: TEST_SHOP, topic: "orders/create", eventId: `create-${payload.id}`, payload }),
      ),
    );
    await waiting(2);
    release();
    await held;

    expect((await paid).status).toBe(200);
    // The orders/paid delivery served `raced`; its orders/create found it served, and the batch's
    // other order still got its keys.
    expect((await creates).map((answer) => answer.status)).toEqual(["recorded", "recorded", "recorded"]);
    expect(await keysOfOrder(raced.id)).toHaveLength(2);
    expect(await keysOfOrder(batched.id)).toHaveLength(3);
    expect(await keysOfOrder(unlinked.id)).toHaveLength(0);
    expect(await prisma.order.count()).toBe(3);
    expect(await prisma.webhookEvent.count()).toBe(4);
    expect(await prisma.licenseKey.count({ where: { status: "PENDING" } })).toBe(5);
    await expectConsistent();
  });

  it("lets a variant link override its product's link", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "single", 5);
    const team = await prisma.tag.create({ data: { shopId: shop.id, name: "team" } });
    await addKeys(shop.id, team.id, 10, "TEAM");
    await link(shop.id, PRODUCT, { tagId: tag.id });
    await link(shop.id, PRODUCT, { tagId: team.id, variantId: PRODUCT + 50, keysPerUnit: 5 });
    const payload = orderPayload({
      lines: [
        { productId: PRODUCT, variantId: PRODUCT + 1 },
        { productId: PRODUCT, variantId: PRODUCT + 50 },
      ],
    });

    await deliver("orders/create", TEST_SHOP, payload);

    const order = await orderRow(payload.id);
    expect(order!.lines.map((l) => [l.tagId, l.keysNeeded])).toEqual([
      [tag.id, 1],
      [team.id, 5],
    ]);
    const values = (await keysOfOrder(payload.id)).map((k) => k.value);
    expect(values.filter((v) => v.startsWith("SINGLE"))).toHaveLength(1);
    expect(values.filter((v) => v.startsWith("TEAM"))).toHaveLength(5);
    await expectConsistent();
  });

  it("skips custom line items, gift cards and unlinked products, and still records the order", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 5);
    await link(shop.id, PRODUCT, { tagId: tag.id });
    const withoutKeys = orderPayload({
      lines: [
        { productId: null, title: "Gift wrap" },
        { productId: PRODUCT, giftCard: true },
        { productId: OTHER_PRODUCT },
      ],
    });

    expect((await deliver("orders/create", TEST_SHOP, withoutKeys)).status).toBe(200);

    const order = await orderRow(withoutKeys.id);
    expect(order).toMatchObject({ carriesKeys: false, shortfall: 0 });
    expect(order!.lines).toEqual([]);
    expect(await prisma.licenseKey.count({ where: { status: "ASSIGNED" } })).toBe(0);
  });

  it('handles every captured orders/create payload: customer null, email "", draft orders, several lines', async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 50);
    // The products that appear in the captured payloads.
    for (const productId of [9782123692332, 9797441945900]) await link(shop.id, productId, { tagId: tag.id });

    for (const name of ["orders-create-discounted", "orders-create-draft-no-customer", "orders-create-shipping"]) {
      const payload = fixture(name);
      const response = await deliver("orders/create", TEST_SHOP, payload);
      expect(response.status, name).toBe(200);
      const order = await orderRow(payload.id);
      const linked = payload.line_items.filter((li) =>
        [9782123692332, 9797441945900].includes(li.product_id as number),
      );
      expect(order, name).toMatchObject({
        name: payload.name,
        email: null,
        customerId: null,
        carriesKeys: true,
        shortfall: 0,
      });
      expect(order!.confirmationNumber).toBe(payload.confirmation_number);
      expect(await keysOfOrder(payload.id), name).toHaveLength(linked.length);
    }
    await expectConsistent();
  });

  it("generates keys for a link set to automatic generation, in its format, unique, tagged Auto-generated", async () => {
    const { shop } = await shopWithTag(TEST_SHOP, "pro", 0);
    await link(shop.id, PRODUCT, { auto: { pattern: "XXXX-XXXX-XXXX", prefix: "PF-" }, keysPerUnit: 2 });
    const first = orderPayload({ lines: [{ productId: PRODUCT, quantity: 50 }] });
    const second = orderPayload({ lines: [{ productId: PRODUCT, quantity: 1 }] });

    await deliver("orders/create", TEST_SHOP, first);
    await deliver("orders/create", TEST_SHOP, second);

    const keys = [...(await keysOfOrder(first.id)), ...(await keysOfOrder(second.id))];
    expect(keys).toHaveLength(102);
    const pattern = new RegExp(`^PF-[${KEY_ALPHABET}]{4}-[${KEY_ALPHABET}]{4}-[${KEY_ALPHABET}]{4}$`);
    for (const key of keys) {
      expect(key.value).toMatch(pattern);
      expect(key).toMatchObject({ type: "AUTO_GENERATED", status: "ASSIGNED" });
    }
    expect(new Set(keys.map((k) => k.value)).size).toBe(102);
    const autoTag = await prisma.tag.findFirstOrThrow({ where: { shopId: shop.id, name: AUTO_GENERATED_TAG } });
    expect(autoTag.assignedCount).toBe(102);
    expect((await orderRow(first.id))!.shortfall).toBe(0);
    await expectConsistent();
  });

  it("ignores orders of a shop that uninstalled the app", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 5);
    await link(shop.id, PRODUCT, { tagId: tag.id });
    await prisma.shop.update({ where: { id: shop.id }, data: { uninstalledAt: new Date() } });
    const payload = orderPayload({ lines: [{ productId: PRODUCT }] });

    expect((await deliver("orders/create", TEST_SHOP, payload)).status).toBe(200);

    expect(await prisma.order.count()).toBe(0);
    expect(await prisma.licenseKey.count({ where: { status: "ASSIGNED" } })).toBe(0);
  });

  it("records, once, an order event of a shop the app does not know, and nothing else", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 5);
    await link(shop.id, PRODUCT, { tagId: tag.id });
    const payload = orderPayload({ lines: [{ productId: PRODUCT }] });

    for (let i = 0; i < 2; i++)
      expect((await deliver("orders/create", "stranger.myshopify.com", payload, { eventId: "evt-x" })).status).toBe(
        200,
      );

    expect(await prisma.order.count()).toBe(0);
    expect(await prisma.licenseKey.count({ where: { status: "ASSIGNED" } })).toBe(0);
    expect(await prisma.webhookEvent.findMany({ select: { shopDomain: true, eventId: true } })).toEqual([
      { shopDomain: "stranger.myshopify.com", eventId: "evt-x" },
    ]);
  });
});

describe("not enough keys", () => {
  it("assigns what there is, records the shortfall per line, and fills waiting orders first come first served", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 3);
    await link(shop.id, PRODUCT, { tagId: tag.id });
    const older = orderPayload({ lines: [{ productId: PRODUCT, quantity: 5 }], createdAt: "2026-01-01T10:00:00Z" });
    const newer = orderPayload({ lines: [{ productId: PRODUCT, quantity: 2 }], createdAt: "2026-01-01T11:00:00Z" });

    await deliver("orders/create", TEST_SHOP, older);
    await deliver("orders/create", TEST_SHOP, newer);

    expect(await orderRow(older.id)).toMatchObject({ shortfall: 2 });
    expect((await orderRow(older.id))!.lines[0]).toMatchObject({ keysNeeded: 5, keysAssigned: 3 });
    expect(await orderRow(newer.id)).toMatchObject({ shortfall: 2 });
    await expectConsistent();

    // Three keys arrive: the older order's two first, then one for the newer.
    await addKeys(shop.id, tag.id, 3, "RESTOCK");
    const filled = await fillWaitingOrders({ shopId: shop.id, tagIds: [tag.id] });

    expect(filled).toEqual({ ordersFilled: 1, keysAssigned: 3 });
    expect(await orderRow(older.id)).toMatchObject({ shortfall: 0 });
    expect(await orderRow(newer.id)).toMatchObject({ shortfall: 1 });
    expect((await keysOfOrder(older.id)).map((k) => k.value).slice(3)).toEqual(["RESTOCK-000004", "RESTOCK-000005"]);
    const entry = await prisma.auditEvent.findFirstOrThrow({ where: { action: "orders.fill" } });
    expect(entry.summary).toContain(older.name);

    await addKeys(shop.id, tag.id, 5, "MORE");
    expect(await fillWaitingOrders({ shopId: shop.id, tagIds: [tag.id] })).toEqual({
      ordersFilled: 1,
      keysAssigned: 1,
    });
    expect(await orderRow(newer.id)).toMatchObject({ shortfall: 0 });
    await expectConsistent();
  });

  it("fills inside the caller's transaction, before anyone else sees the new keys", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 0);
    await link(shop.id, PRODUCT, { tagId: tag.id });
    const waiting = orderPayload({ lines: [{ productId: PRODUCT, quantity: 2 }] });
    await deliver("orders/create", TEST_SHOP, waiting);

    await prisma.$transaction(async (tx) => {
      await tx.$executeRaw`
        WITH k AS (INSERT INTO "license_key" ("shop_id", "value") VALUES (${shop.id}, 'NEW-1'), (${shop.id}, 'NEW-2') RETURNING "id", "status")
        INSERT INTO "key_tag" ("tag_id", "key_id", "shop_id", "status") SELECT ${tag.id}, "id", ${shop.id}, "status" FROM k`;
      expect(await fillWaitingOrders({ shopId: shop.id, tagIds: [tag.id], tx })).toEqual({
        ordersFilled: 1,
        keysAssigned: 2,
      });
    });

    expect((await keysOfOrder(waiting.id)).map((k) => k.value)).toEqual(["NEW-1", "NEW-2"]);
    await expectConsistent();
  });

  it("serves orders still waiting on a tag that has keys, from the background loop", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 0);
    await link(shop.id, PRODUCT, { tagId: tag.id });
    const waiting = orderPayload({ lines: [{ productId: PRODUCT, quantity: 2 }] });
    await deliver("orders/create", TEST_SHOP, waiting);
    // Keys arrived but nothing filled the order (say the process died in between).
    await addKeys(shop.id, tag.id, 5, "LATE");

    expect(await fillStockedWaitingOrders()).toEqual({ tags: 1, keysAssigned: 2 });
    expect(await orderRow(waiting.id)).toMatchObject({ shortfall: 0 });
    expect(await fillStockedWaitingOrders()).toEqual({ tags: 0, keysAssigned: 0 });
    await expectConsistent();
  });
});

describe("assign trigger: when the order is paid", () => {
  it("records an unpaid order as awaiting payment and assigns on orders/paid", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 5);
    await prisma.shop.update({ where: { id: shop.id }, data: { assignTrigger: "ORDER_PAID" } });
    await link(shop.id, PRODUCT, { tagId: tag.id });
    const payload = orderPayload({ lines: [{ productId: PRODUCT, quantity: 2 }], financialStatus: "pending" });

    await deliver("orders/create", TEST_SHOP, payload);

    expect(await orderRow(payload.id)).toMatchObject({ awaitingPayment: true, shortfall: 0 });
    expect(await keysOfOrder(payload.id)).toEqual([]);
    // Keys that arrive meanwhile do not go to an unpaid order.
    expect(await fillWaitingOrders({ shopId: shop.id, tagIds: [tag.id] })).toEqual({
      ordersFilled: 0,
      keysAssigned: 0,
    });

    await deliver("orders/paid", TEST_SHOP, { ...payload, financial_status: "paid" });

    expect(await orderRow(payload.id)).toMatchObject({ awaitingPayment: false, shortfall: 0, financialStatus: "paid" });
    expect(await keysOfOrder(payload.id)).toHaveLength(2);
    await expectConsistent();
  });

  it("assigns at once when the order arrives already paid", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 5);
    await prisma.shop.update({ where: { id: shop.id }, data: { assignTrigger: "ORDER_PAID" } });
    await link(shop.id, PRODUCT, { tagId: tag.id });
    const payload = orderPayload({ lines: [{ productId: PRODUCT }], financialStatus: "paid" });

    await deliver("orders/create", TEST_SHOP, payload);

    expect(await keysOfOrder(payload.id)).toHaveLength(1);
  });
});

describe("cancellations and refunds", () => {
  async function orderWithViewedKey(policy: "RETURN_UNVIEWED" | "KEEP_ASSIGNED") {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 5);
    await prisma.shop.update({ where: { id: shop.id }, data: { cancelPolicy: policy } });
    await link(shop.id, PRODUCT, { tagId: tag.id });
    const payload = orderPayload({ lines: [{ productId: PRODUCT, quantity: 3 }] });
    await deliver("orders/create", TEST_SHOP, payload);
    // The customer saw one key on the order status page.
    const [first] = await keysOfOrder(payload.id);
    await prisma.licenseKey.updateMany({ where: { value: first.value }, data: { status: "USED", usedAt: new Date() } });
    return { shop, tag, payload };
  }

  it("returns unviewed keys to the pool on cancellation when the shop says so; used keys stay", async () => {
    const { tag, payload } = await orderWithViewedKey("RETURN_UNVIEWED");

    const response = await deliver("orders/cancelled", TEST_SHOP, { ...payload, cancelled_at: "2026-02-01T10:00:00Z" });

    expect(response.status).toBe(200);
    const kept = await keysOfOrder(payload.id);
    expect(kept.map((k) => [k.value, k.status])).toEqual([["PRO-000001", "USED"]]);
    const returned = await prisma.licenseKey.findMany({ where: { value: { in: ["PRO-000002", "PRO-000003"] } } });
    expect(returned.map((k) => [k.status, k.orderId, k.orderLineId, k.assignedAt])).toEqual([
      ["PENDING", null, null, null],
      ["PENDING", null, null, null],
    ]);
    expect(await prisma.tag.findUniqueOrThrow({ where: { id: tag.id } })).toMatchObject({ pendingCount: 4 });
    expect(await orderRow(payload.id)).toMatchObject({ shortfall: 0 });
    expect((await orderRow(payload.id))!.cancelledAt).not.toBeNull();
    await expectConsistent();

    // Redelivery, and the same cancellation under another event id, change nothing more.
    await deliver("orders/cancelled", TEST_SHOP, { ...payload, cancelled_at: "2026-02-01T10:00:00Z" });
    expect(await prisma.licenseKey.count({ where: { status: "PENDING" } })).toBe(4);
  });

  it("keeps the keys assigned on cancellation when the shop says so", async () => {
    const { payload } = await orderWithViewedKey("KEEP_ASSIGNED");

    await deliver("orders/cancelled", TEST_SHOP, { ...payload, cancelled_at: "2026-02-01T10:00:00Z" });

    expect((await keysOfOrder(payload.id)).map((k) => k.status)).toEqual(["USED", "ASSIGNED", "ASSIGNED"]);
    await expectConsistent();
  });

  it("hands out nothing when the cancellation arrives before the order", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 5);
    await link(shop.id, PRODUCT, { tagId: tag.id });
    const payload = orderPayload({ lines: [{ productId: PRODUCT, quantity: 2 }] });

    await deliver("orders/cancelled", TEST_SHOP, { ...payload, cancelled_at: "2026-02-01T10:00:00Z" });
    await deliver("orders/create", TEST_SHOP, payload);

    expect(await keysOfOrder(payload.id)).toEqual([]);
    expect((await orderRow(payload.id))!.cancelledAt).not.toBeNull();
    expect(await prisma.tag.findUniqueOrThrow({ where: { id: tag.id } })).toMatchObject({ pendingCount: 5 });
    await expectConsistent();
  });

  it("handles the captured orders/cancelled payload", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 5);
    await link(shop.id, 9782123692332, { tagId: tag.id });
    const cancelled = fixture("orders-cancelled");
    await deliver("orders/create", TEST_SHOP, { ...cancelled, cancelled_at: null, financial_status: "paid" });
    expect(await keysOfOrder(cancelled.id)).toHaveLength(1);

    expect((await deliver("orders/cancelled", TEST_SHOP, cancelled)).status).toBe(200);

    expect(await keysOfOrder(cancelled.id)).toEqual([]);
    expect(await prisma.tag.findUniqueOrThrow({ where: { id: tag.id } })).toMatchObject({ pendingCount: 5 });
  });

  it("releases refunded units: owed keys first, then unviewed ones; a refund counts once", async () => {
    const { payload } = await orderWithViewedKey("RETURN_UNVIEWED");
    const lineItemId = payload.line_items[0].id;
    const refund = { id: 990001, order_id: payload.id, refund_line_items: [{ line_item_id: lineItemId, quantity: 1 }] };

    await deliver("refunds/create", TEST_SHOP, refund, { eventId: "refund-evt-1" });
    await deliver("refunds/create", TEST_SHOP, refund, { eventId: "refund-evt-2" });

    expect((await keysOfOrder(payload.id)).map((k) => k.status)).toEqual(["USED", "ASSIGNED"]);
    expect((await orderRow(payload.id))!.lines[0]).toMatchObject({ keysNeeded: 2, keysAssigned: 2 });
    expect(await prisma.auditEvent.count({ where: { action: "orders.refund" } })).toBe(1);
    await expectConsistent();
  });

  it("gives waiting orders the keys a cancellation returns", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 2);
    await link(shop.id, PRODUCT, { tagId: tag.id });
    const cancelledLater = orderPayload({ lines: [{ productId: PRODUCT, quantity: 2 }] });
    const waiting = orderPayload({ lines: [{ productId: PRODUCT, quantity: 2 }] });
    await deliver("orders/create", TEST_SHOP, cancelledLater);
    await deliver("orders/create", TEST_SHOP, waiting);
    expect(await orderRow(waiting.id)).toMatchObject({ shortfall: 2 });

    await deliver("orders/cancelled", TEST_SHOP, { ...cancelledLater, cancelled_at: new Date().toISOString() });

    expect(await orderRow(waiting.id)).toMatchObject({ shortfall: 0 });
    expect((await keysOfOrder(waiting.id)).map((k) => k.value)).toEqual(["PRO-000001", "PRO-000002"]);
    await expectConsistent();
  });
});

describe("low stock", () => {
  it("emails once when a linked tag drops below its threshold, once when it runs out, and re-arms after a restock", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 6);
    await prisma.shop.update({ where: { id: shop.id }, data: { email: "owner@alpha.test" } });
    await prisma.tag.update({ where: { id: tag.id }, data: { lowStockThreshold: 4 } });
    await link(shop.id, PRODUCT, { tagId: tag.id });
    const buy = (quantity: number) =>
      deliver("orders/create", TEST_SHOP, orderPayload({ lines: [{ productId: PRODUCT, quantity }] }));

    await buy(2); // 4 left: not below 4
    expect(await prisma.mailMessage.count()).toBe(0);
    await buy(1); // 3 left
    await buy(1); // 2 left: no second email
    const low = await prisma.mailMessage.findMany();
    expect(low).toHaveLength(1);
    expect(low[0]).toMatchObject({ kind: "LOW_STOCK", to: "owner@alpha.test", state: "QUEUED" });
    expect(low[0].subject).toContain('"pro" has 3 left');
    expect(low[0].text).toMatch(/about \d+ days?/);

    await buy(3); // out, one order waits
    const out = await prisma.mailMessage.findMany({ orderBy: { id: "asc" } });
    expect(out).toHaveLength(2);
    expect(out[1].subject).toBe('Out of licence keys: tag "pro"');
    expect(out[1].text).toContain("1 order is waiting");

    await addKeys(shop.id, tag.id, 10, "RESTOCK");
    await fillWaitingOrders({ shopId: shop.id, tagIds: [tag.id] });
    expect(await prisma.tag.findUniqueOrThrow({ where: { id: tag.id } })).toMatchObject({
      lowStockAlertedAt: null,
      outOfStockAlertedAt: null,
    });
    await buy(6); // 3 left again: a new crossing
    expect(await prisma.mailMessage.count()).toBe(3);
  });
});

describe("webhook verification", () => {
  it("refuses a bad HMAC with 401 and changes nothing", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 5);
    await link(shop.id, PRODUCT, { tagId: tag.id });
    const response = await deliver("orders/create", TEST_SHOP, orderPayload({ lines: [{ productId: PRODUCT }] }), {
      secret: "wrong",
    });
    expect(response.status).toBe(401);
    expect(await prisma.order.count()).toBe(0);
    expect(await prisma.webhookEvent.count()).toBe(0);
  });

  it.each([
    "X-Shopify-Hmac-Sha256",
    "X-Shopify-Topic",
    "X-Shopify-Shop-Domain",
    "X-Shopify-Webhook-Id",
    "X-Shopify-API-Version",
  ])("answers 400 without %s", async (header) => {
    await shopWithTag(TEST_SHOP, "pro", 1);
    const response = await deliver("orders/create", TEST_SHOP, orderPayload({ lines: [] }), { omitHeaders: [header] });
    expect(response.status).toBe(400);
    expect(await prisma.order.count()).toBe(0);
  });

  it("answers 400 to a signed body that is not JSON or not an order", async () => {
    await shopWithTag(TEST_SHOP, "pro", 1);
    expect((await deliver("orders/create", TEST_SHOP, undefined, { rawBody: "{not json" })).status).toBe(400);
    expect((await deliver("orders/create", TEST_SHOP, { line_items: "nope" })).status).toBe(400);
    expect(await prisma.order.count()).toBe(0);
    expect(await prisma.webhookEvent.count()).toBe(0);
  });
});
