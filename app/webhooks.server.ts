// What every webhook route shares after `authenticate.webhook` (which verifies the HMAC: 401 on a
// bad one, 400 on missing headers): malformed bodies and payloads answer 400, handled events 200.
import { InvalidPayloadError } from "~/models/fulfilment.server";

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
