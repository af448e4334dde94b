// shop/redact (mandatory, 48 hours after uninstalling): all of the shop's data is deleted.
import type { ActionFunctionArgs } from "@remix-run/node";
import { redactShop } from "~/models/privacy.server";
import { authenticate } from "~/shopify.server";
import { eventIdOf, handleWebhook, rejectMalformedBody, readWebhook } from "~/webhooks.server";

export async function action({ request }: ActionFunctionArgs) {
  const webhook = await authenticate.webhook(await readWebhook(request)).catch(rejectMalformedBody);
  return handleWebhook(() =>
    redactShop({
      shopDomain: webhook.shop,
      topic: webhook.topic,
      eventId: eventIdOf(webhook),
      webhookId: webhook.webhookId,
      triggeredAt: webhook.triggeredAt,
      payload: webhook.payload,
    }),
  );
}
