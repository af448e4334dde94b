// app/uninstalled: the shop's sessions are deleted and the shop is marked uninstalled (data stays until shop/redact).
import type { ActionFunctionArgs } from "@remix-run/node";
import { uninstallShop } from "~/models/privacy.server";
import { authenticate } from "~/shopify.server";
import { eventIdOf, handleWebhook, rejectMalformedBody, readWebhook } from "~/webhooks.server";

export async function action({ request }: ActionFunctionArgs) {
  const webhook = await authenticate.webhook(await readWebhook(request)).catch(rejectMalformedBody);
  return handleWebhook(() =>
    uninstallShop({
      shopDomain: webhook.shop,
      topic: webhook.topic,
      eventId: eventIdOf(webhook),
      webhookId: webhook.webhookId,
      triggeredAt: webhook.triggeredAt,
      payload: webhook.payload,
    }),
  );
}
