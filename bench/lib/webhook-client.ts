// Shopify's side of a webhook delivery, for the benchmarks that fire thousands of them at app servers
// on the same machine: a signed POST over kept-alive sockets with node:http. The client shares the
// CPU with the servers it measures, so it stays lean (global fetch costs about twice the CPU per
// request: with 50 deliveries in flight it took a third of a core the app servers needed).
import { createHmac, randomUUID } from "node:crypto";
import http from "node:http";

export interface SignedDelivery {
  topic: string;
  shop: string;
  eventId: string;
  body: string;
}

export function createWebhookClient({ secret, sockets }: { secret: string; sockets: number }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets, keepAliveMsecs: 1000 });

  /** Sends one delivery (fresh webhook id, as on each of Shopify's attempts); resolves with the status. */
  function post(baseUrl: string, delivery: SignedDelivery, { timeoutMs = 5_000 } = {}): Promise<number> {
    const headers = {
      "Content-Type": "application/json",
      "Content-Length": String(Buffer.byteLength(delivery.body)),
      "X-Shopify-Topic": delivery.topic,
      "X-Shopify-Shop-Domain": delivery.shop,
      "X-Shopify-Hmac-Sha256": createHmac("sha256", secret).update(delivery.body, "utf8").digest("base64"),
      "X-Shopify-Webhook-Id": randomUUID(),
      "X-Shopify-Event-Id": delivery.eventId,
      "X-Shopify-API-Version": "2026-07",
      "X-Shopify-Triggered-At": new Date().toISOString(),
    };
    return new Promise((resolve, reject) => {
      const request = http.request(new URL(`/webhooks/${delivery.topic}`, baseUrl), { method: "POST", headers, agent }, (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
        response.on("error", reject);
      });
      // Shopify gives up on a delivery after 5 s and retries it later.
      request.setTimeout(timeoutMs, () => request.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
      request.on("error", reject);
      request.end(delivery.body);
    });
  }

  return { post, close: () => agent.destroy() };
}
