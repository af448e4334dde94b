// customers/data_request (mandatory): the customer's orders and keys are emailed to the merchant.
import type { ActionFunctionArgs } from "@remix-run/node";
import { compileCustomerData } from "~/models/privacy.server";
import { authenticate } from "~/shopify.server";
import { eventIdOf, handleWebhook, rejectMalformedBody, readWebhook } from "~/webhooks.server";

export async function action({ request }: ActionFunctionArgs) {
  const webhook = await authenticate.webhook(await readWebhook(request)).catch(rejectMalformedBody);
  return handleWebhook(() =>
    compileCustomerData({
      shopDomain: webhook.shop,
      topic: webhook.topic,
      eventId: eventIdOf(webhook),
      webhookId: webhook.webhookId,
      payload: webhook.payload,
    }),
  );
}
