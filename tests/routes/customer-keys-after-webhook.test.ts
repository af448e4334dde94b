// The thank-you page's race, end to end through the real handler: the extension asks before Shopify's
// orders/create webhook has reached the app ("preparing"), the webhook assigns keys, the next ask
// shows them (and marks them Used); the order status page shows the same keys to the customer.
import { FIXTURES_DIR } from "tests/helpers/fixtures";
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { handle } from "tests/helpers/app";
import { prisma } from "tests/helpers/db";
import { checkoutToken, customerAccountToken, EXTENSION_ORIGIN } from "tests/helpers/extension-tokens";
import { BROWSER_UA, installShop, TEST_APP_URL, TEST_SHOP, webhookRequest } from "tests/helpers/shopify";

const fixture = JSON.parse(
  readFileSync(
    path.join(FIXTURES_DIR, "orders-create-shipping.json"),
    "utf8",
  ),
) as { id: number; confirmation_number: string; line_items: Array<{ product_id: number; title: string }> };

const CUSTOMER_ID = 7_300_000_000_042;
const payload = { ...fixture, customer: { id: CUSTOMER_ID, email: "buyer@example.com" } };
const licensed = fixture.line_items[1];

function ask(url: string, token: string) {
  return handle(
    new Request(new URL(url, TEST_APP_URL), {
      headers: { Authorization: `Bearer ${token}`, Origin: EXTENSION_ORIGIN, "User-Agent": BROWSER_UA },
    }),
  );
}

const thankYou = () =>
  ask(
    `/api/checkout/orders/${fixture.id}/licence-keys?confirmation=${fixture.confirmation_number}`,
    checkoutToken({ shop: TEST_SHOP, dest: "url" }),
  );

beforeAll(async () => {
  // Loading the app's build is the slow part of the first request: pay it here, not inside a test.
  await handle(new Request(new URL("/", TEST_APP_URL), { headers: { "User-Agent": BROWSER_UA } }));
  const shop = await installShop(TEST_SHOP);
  const tag = await prisma.tag.create({ data: { shopId: shop.id, name: "snowboard" } });
  await prisma.productLink.create({
    data: { shopId: shop.id, productId: BigInt(licensed.product_id), productTitle: licensed.title, tagId: tag.id },
  });
  for (const value of ["SNOW-0001", "SNOW-0002"]) {
    const key = await prisma.licenseKey.create({ data: { shopId: shop.id, value } });
    await prisma.keyTag.create({ data: { tagId: tag.id, keyId: key.id, shopId: shop.id, status: "PENDING" } });
  }
});

describe("keys on the thank-you page when the order arrives after the page", () => {
  it("answers 'preparing', then the keys once orders/create has been handled", async () => {
    const before = await thankYou();
    expect(await before.json()).toEqual({ state: "preparing", keys: [] });

    const delivered = await handle(webhookRequest({ topic: "orders/create", shop: TEST_SHOP, payload }));
    expect(delivered.status).toBe(200);

    const after = await thankYou();
    const body = await after.json();
    expect(body.state).toBe("ready");
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatchObject({
      value: "SNOW-0001",
      productTitle: expect.stringContaining("Green Snowboard"),
    });

    const key = await prisma.licenseKey.findFirstOrThrow({ where: { value: "SNOW-0001" } });
    expect(key.status).toBe("USED");
    expect(key.usedAt).not.toBeNull();

    // The same customer sees the same key on the order status page; the first view's time stays.
    const orderStatus = await ask(
      `/api/customer-account/orders/${fixture.id}/licence-keys`,
      customerAccountToken({ shop: TEST_SHOP, customerId: CUSTOMER_ID }),
    );
    expect((await orderStatus.json()).keys.map((k: { value: string }) => k.value)).toEqual(["SNOW-0001"]);
    const again = await prisma.licenseKey.findFirstOrThrow({ where: { value: "SNOW-0001" } });
    expect(again.usedAt?.toISOString()).toBe(key.usedAt?.toISOString());
  });
});
