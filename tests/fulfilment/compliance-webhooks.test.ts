// The lifecycle and mandatory compliance webhooks: each does what Shopify requires, once.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { closePgPool } from "~/pg.server";
import { prisma, resetDatabase } from "tests/helpers/db";
import { OTHER_SHOP, TEST_SHOP } from "tests/helpers/shopify";
import { deliver, keysOfOrder, link, orderPayload, orderRow, shopWithTag } from "./support";

const PRODUCT = 8_100_000_000_001;
const CUSTOMER = 8_200_000_000_007;

beforeEach(async () => {
  await resetDatabase();
});

afterAll(closePgPool);

async function shopWithCustomerOrders() {
  const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 10);
  await prisma.shop.update({ where: { id: shop.id }, data: { email: "owner@alpha.test", name: "Alpha" } });
  await link(shop.id, PRODUCT, { tagId: tag.id });
  const first = orderPayload({
    lines: [{ productId: PRODUCT, quantity: 2 }],
    customerId: CUSTOMER,
    email: "grace@example.com",
  });
  const second = orderPayload({ lines: [{ productId: PRODUCT }], customerId: CUSTOMER, email: "grace@example.com" });
  const stranger = orderPayload({ lines: [{ productId: PRODUCT }], customerId: 42, email: "someone@example.com" });
  for (const payload of [first, second, stranger]) await deliver("orders/create", TEST_SHOP, payload);
  return { shop, tag, first, second, stranger };
}

describe("customers/data_request", () => {
  it("emails the merchant that customer's orders and keys, once per event", async () => {
    const { first, second, stranger } = await shopWithCustomerOrders();
    const request = {
      shop_id: 1,
      shop_domain: TEST_SHOP,
      orders_requested: [first.id, second.id],
      customer: { id: CUSTOMER, email: "grace@example.com", phone: null },
      data_request: { id: 9999 },
    };

    expect((await deliver("customers/data_request", TEST_SHOP, request, { eventId: "dr-1" })).status).toBe(200);
    expect((await deliver("customers/data_request", TEST_SHOP, request, { eventId: "dr-1" })).status).toBe(200);

    const mail = await prisma.mailMessage.findMany({ where: { kind: "DATA_REQUEST" } });
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({ to: "owner@alpha.test", state: "QUEUED" });
    for (const key of [...(await keysOfOrder(first.id)), ...(await keysOfOrder(second.id))]) {
      expect(mail[0].text).toContain(key.value);
    }
    for (const key of await keysOfOrder(stranger.id)) expect(mail[0].text).not.toContain(key.value);
    expect(mail[0].text).toContain(first.name);
  });
});

describe("customers/redact", () => {
  it("removes the customer's email and id from their orders; keys stay", async () => {
    const { first, second, stranger } = await shopWithCustomerOrders();
    const before = await keysOfOrder(first.id);

    const response = await deliver("customers/redact", TEST_SHOP, {
      shop_domain: TEST_SHOP,
      customer: { id: CUSTOMER, email: "grace@example.com", phone: null },
      orders_to_redact: [first.id, second.id],
    });

    expect(response.status).toBe(200);
    for (const payload of [first, second])
      expect(await orderRow(payload.id)).toMatchObject({ email: null, customerId: null });
    expect(await orderRow(stranger.id)).toMatchObject({ email: "someone@example.com", customerId: 42n });
    expect(await keysOfOrder(first.id)).toEqual(before);
    // A late redelivery of the original order does not bring the identifiers back.
    await deliver("orders/create", TEST_SHOP, first);
    expect(await orderRow(first.id)).toMatchObject({ email: null, customerId: null });
  });
});

describe("shop/redact", () => {
  it("deletes all of the shop's data and nothing of other shops", async () => {
    await shopWithCustomerOrders();
    const other = await shopWithTag(OTHER_SHOP, "other", 3);

    const response = await deliver("shop/redact", TEST_SHOP, { shop_id: 1, shop_domain: TEST_SHOP });
    expect(response.status).toBe(200);
    expect((await deliver("shop/redact", TEST_SHOP, { shop_id: 1, shop_domain: TEST_SHOP })).status).toBe(200);

    expect(await prisma.shop.findUnique({ where: { domain: TEST_SHOP } })).toBeNull();
    expect(await prisma.session.count({ where: { shop: TEST_SHOP } })).toBe(0);
    expect(await prisma.licenseKey.count({ where: { shopId: { not: other.shop.id } } })).toBe(0);
    expect(await prisma.order.count()).toBe(0);
    expect(await prisma.licenseKey.count({ where: { shopId: other.shop.id } })).toBe(3);
  });
});

describe("app/uninstalled and app/scopes_update", () => {
  it("deletes the shop's sessions and marks it uninstalled, keeping its keys", async () => {
    const { shop } = await shopWithTag(TEST_SHOP, "pro", 4);

    expect((await deliver("app/uninstalled", TEST_SHOP, { id: 1, domain: TEST_SHOP })).status).toBe(200);

    expect(await prisma.session.count({ where: { shop: TEST_SHOP } })).toBe(0);
    expect((await prisma.shop.findUniqueOrThrow({ where: { id: shop.id } })).uninstalledAt).not.toBeNull();
    expect(await prisma.licenseKey.count({ where: { shopId: shop.id } })).toBe(4);
  });

  it("stores the scopes the merchant granted", async () => {
    await shopWithTag(TEST_SHOP, "pro", 0);
    const response = await deliver("app/scopes_update", TEST_SHOP, {
      id: 1,
      previous: ["read_orders"],
      current: ["read_orders", "read_products"],
      updated_at: new Date().toISOString(),
    });
    expect(response.status).toBe(200);
    expect((await prisma.session.findFirstOrThrow({ where: { shop: TEST_SHOP } })).scope).toBe(
      "read_orders,read_products",
    );
  });

  it.each(["customers/data_request", "customers/redact", "shop/redact", "app/uninstalled"])(
    "%s refuses a bad HMAC",
    async (topic) => {
      const { shop } = await shopWithTag(TEST_SHOP, "pro", 2);
      const response = await deliver(
        topic,
        TEST_SHOP,
        { shop_domain: TEST_SHOP, customer: { id: 1 } },
        { secret: "forged" },
      );
      expect(response.status).toBe(401);
      expect(await prisma.shop.findUnique({ where: { id: shop.id } })).toMatchObject({ uninstalledAt: null });
      expect(await prisma.webhookEvent.count()).toBe(0);
    },
  );
});
