// refunds/create: refunded units stop owing keys; their unviewed keys go back to the pool if the shop says so.
import type { ActionFunctionArgs } from "@remix-run/node";
import { refundOrder } from "~/models/fulfilment/returns.server";
import { authenticate } from "~/shopify.server";
import { eventIdOf, handleWebhook, rejectMalformedBody, readWebhook } from "~/webhooks.server";

export async function action({ request }: ActionFunctionArgs) {
  const webhook = await authenticate.webhook(await readWebhook(request)).catch(rejectMalformedBody);
  return handleWebhook(() =>
    refundOrder({
      shopDomain: webhook.shop,
      topic: webhook.topic,
      eventId: eventIdOf(webhook),
      webhookId: webhook.webhookId,
      payload: webhook.payload,
    }),
  );
}
