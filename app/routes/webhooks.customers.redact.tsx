// customers/redact (mandatory): the customer's email and id leave their orders; keys stay.
import type { ActionFunctionArgs } from "@remix-run/node";
import { redactCustomer } from "~/models/privacy.server";
import { authenticate } from "~/shopify.server";
import { eventIdOf, handleWebhook, rejectMalformedBody, readWebhook } from "~/webhooks.server";

export async function action({ request }: ActionFunctionArgs) {
  const webhook = await authenticate.webhook(await readWebhook(request)).catch(rejectMalformedBody);
  return handleWebhook(() =>
    redactCustomer({
      shopDomain: webhook.shop,
      topic: webhook.topic,
      eventId: eventIdOf(webhook),
      webhookId: webhook.webhookId,
      payload: webhook.payload,
    }),
  );
}
