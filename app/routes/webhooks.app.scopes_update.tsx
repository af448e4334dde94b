// app/scopes_update: stored sessions carry the scopes the merchant granted now.
import type { ActionFunctionArgs } from "@remix-run/node";
import { updateGrantedScopes } from "~/models/privacy.server";
import { authenticate } from "~/shopify.server";
import { eventIdOf, handleWebhook, rejectMalformedBody, readWebhook } from "~/webhooks.server";

export async function action({ request }: ActionFunctionArgs) {
  const webhook = await authenticate.webhook(await readWebhook(request)).catch(rejectMalformedBody);
  return handleWebhook(() =>
    updateGrantedScopes({
      shopDomain: webhook.shop,
      topic: webhook.topic,
      eventId: eventIdOf(webhook),
      webhookId: webhook.webhookId,
      payload: webhook.payload,
    }),
  );
}
