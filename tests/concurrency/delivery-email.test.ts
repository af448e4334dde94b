// GIVEN two app server processes, both running their background work against one database and one
// real SMTP server
// WHEN orders arrive at both at once, each redelivered (same event id) and re-sent under new event ids
// THEN every order's customer receives exactly one delivery email, with exactly that order's keys.
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startMailCatcher, type MailCatcher } from "~/demo/mail-catcher";
import { startAppServer, type AppServer } from "~/local/app-server";
import { closePgPool } from "~/pg.server";
import { prisma } from "tests/helpers/db";
import { TEST_SHOP, webhookRequest } from "tests/helpers/shopify";
import { link, orderPayload, shopWithTag } from "tests/fulfilment/support";

const ORDERS = 30;
const PRODUCT = 8_400_000_000_001;

let servers: AppServer[] = [];
let catcher: MailCatcher;

beforeAll(async () => {
  catcher = await startMailCatcher();
  servers = await Promise.all(
    [0, 1].map(() =>
      startAppServer({
        databaseUrl: process.env.DATABASE_URL!,
        env: { KEYSHELF_DISABLE_WORKERS: "0", SMTP_URL: catcher.url },
      }),
    ),
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await catcher.close();
  await closePgPool();
});

async function send(server: AppServer, payload: { id: number }, eventId: string) {
  const request = webhookRequest({ topic: "orders/create", shop: TEST_SHOP, payload, eventId });
  const response = await fetch(new URL(new URL(request.url).pathname, server.url), {
    method: "POST",
    headers: request.headers,
    body: await request.text(),
  });
  return response.status;
}

describe("delivery emails on two app instances", () => {
  it("sends one email per order, with that order's keys, whatever the redeliveries", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", ORDERS * 2);
    await link(shop.id, PRODUCT, { tagId: tag.id });
    const orders = Array.from({ length: ORDERS }, (_, i) =>
      orderPayload({ lines: [{ productId: PRODUCT, quantity: 2 }], email: `buyer${i}@example.com` }),
    );
    // Each order: the same event to both servers, and once more under a new event id.
    const statuses = await Promise.all(
      orders.flatMap((order, i) => [
        send(servers[0], order, `event-${order.id}`),
        send(servers[1], order, `event-${order.id}`),
        send(servers[i % 2], order, `event-${order.id}-again`),
      ]),
    );
    expect(new Set(statuses)).toEqual(new Set([200]));

    // Both instances' mail loops run on their own; wait until every order's email is out.
    await vi.waitFor(
      async () => {
        const sent = await prisma.mailMessage.count({ where: { kind: "KEY_DELIVERY", state: "SENT" } });
        expect(sent).toBeGreaterThanOrEqual(ORDERS);
        expect(catcher.messages().length).toBeGreaterThanOrEqual(ORDERS);
      },
      { timeout: 60_000, interval: 250 },
    );
    // Nothing more is queued or undelivered, so no further email can come.
    expect(await prisma.mailMessage.count({ where: { state: { not: "SENT" } } })).toBe(0);
    expect(await prisma.licenseKey.count({ where: { orderId: { not: null }, deliveryId: null } })).toBe(0);

    const messages = catcher.messages();
    expect(messages).toHaveLength(ORDERS);
    const byRecipient = new Map<string, string>();
    for (const message of messages) {
      expect(message.envelope.to).toHaveLength(1);
      const mail = await simpleParser(message.raw);
      expect(byRecipient.has(message.envelope.to[0])).toBe(false);
      byRecipient.set(message.envelope.to[0], mail.text ?? "");
    }
    for (const [i, order] of orders.entries()) {
      const keys = await prisma.licenseKey.findMany({
        where: { order: { shopifyId: BigInt(order.id) } },
        select: { value: true, status: true },
      });
      expect(keys).toHaveLength(2);
      const text = byRecipient.get(`buyer${i}@example.com`);
      expect(text).toBeDefined();
      for (const key of keys) {
        expect(text).toContain(key.value);
        expect(key.status).toBe("USED");
      }
      // No other order's key in this customer's email.
      expect(text!.match(/PRO-\d{6}/g)?.sort()).toEqual(keys.map((key) => key.value).sort());
    }
  }, 120_000);
});
