// An app instance that starts while its database is unreachable (a deploy or a new instance during a
// failover): it must answer webhooks with an error while the database is away, so that Shopify
// redelivers, and serve them as soon as it is back, without a restart. The database sits behind a
// TCP relay in this test, so that "unreachable" is a refused connection, as it is during a failover.
import http from "node:http";
import net from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { startAppServer, type AppServer } from "~/local/app-server";
import { freePort } from "~/local/postgres";
import { closePgPool } from "~/pg.server";
import { TEST_SHOP, webhookRequest } from "tests/helpers/shopify";
import { expectConsistent, keysOfOrder, link, orderPayload, shopWithTag } from "tests/fulfilment/support";

const PRODUCT = 8_400_000_000_001;

/** A relay to the test database that refuses connections until it is opened. */
function databaseRelay(port: number) {
  const target = new URL(process.env.DATABASE_URL!);
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const url = new URL(target);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return {
    url: url.toString(),
    open: () => new Promise<void>((resolve) => relay.listen(port, "127.0.0.1", resolve)),
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      return new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}

/** One signed delivery on a fresh connection; resolves with the status code. */
async function post(server: AppServer, payload: unknown, eventId: string): Promise<number> {
  const signed = webhookRequest({ topic: "orders/create", shop: TEST_SHOP, payload, eventId });
  const body = await signed.text();
  return new Promise((resolve, reject) => {
    const request = http.request(
      new URL(new URL(signed.url).pathname, server.url),
      { method: "POST", headers: Object.fromEntries(signed.headers), agent: false },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

let server: AppServer | undefined;
let relay: ReturnType<typeof databaseRelay> | undefined;

afterAll(async () => {
  await server?.stop();
  await relay?.close();
  await closePgPool();
});

describe("an app instance started while the database is unreachable", () => {
  it("refuses deliveries until the database is back, then serves them without a restart", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "outage", 5, "OUT");
    await link(shop.id, PRODUCT, { tagId: tag.id });
    const order = orderPayload({ lines: [{ productId: PRODUCT, quantity: 2 }] });

    relay = databaseRelay(await freePort());
    server = await startAppServer({ databaseUrl: relay.url });

    // The session storage's start-up check has failed by now. Shopify gets an error and will retry.
    const whileDown = await post(server, order, "evt-outage-1");
    expect(whileDown).toBeGreaterThanOrEqual(500);
    expect(await keysOfOrder(order.id)).toHaveLength(0);

    await relay.open();
    // Shopify's redelivery of the same event, now that the database answers.
    expect(await post(server, order, "evt-outage-1")).toBe(200);
    const keys = await keysOfOrder(order.id);
    expect(keys.map((key) => key.value)).toEqual(["OUT-000001", "OUT-000002"]);
    // And the instance keeps serving: a new order, with no restart in between.
    const next = orderPayload({ lines: [{ productId: PRODUCT, quantity: 1 }] });
    expect(await post(server, next, "evt-outage-2")).toBe(200);
    expect((await keysOfOrder(next.id)).map((key) => key.value)).toEqual(["OUT-000003"]);
    await expectConsistent();
  }, 60_000);
});
