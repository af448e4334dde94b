// orders/paid: assigns the keys of orders that waited for payment; a no-op for orders already served,
// and a safety net when orders/create never arrived (the payload is the whole order).
import type { ActionFunctionArgs } from "@remix-run/node";
import { receiveOrder } from "~/models/fulfilment/orders-arriving.server";
import { authenticate } from "~/shopify.server";
import { eventIdOf, handleWebhook, rejectMalformedBody, readWebhook } from "~/webhooks.server";

export async function action({ request }: ActionFunctionArgs) {
  const webhook = await authenticate.webhook(await readWebhook(request)).catch(rejectMalformedBody);
  return handleWebhook(() =>
    receiveOrder({
      shopDomain: webhook.shop,
      topic: webhook.topic,
      eventId: eventIdOf(webhook),
      webhookId: webhook.webhookId,
      payload: webhook.payload,
    }),
  );
}
