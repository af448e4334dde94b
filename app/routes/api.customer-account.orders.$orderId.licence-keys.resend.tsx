// "Email them again" on the order status page of a guest order, for a visitor who is not signed in:
// the keys go again to the order's own email (never another address), a few times an hour at most.
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { extensionJson, requireCustomerAccount } from "~/extension-auth.server";
import { shopifyOrderIdSchema } from "~/lib/extension-requests";
import { resendToGuest } from "~/models/fulfilment/key-delivery.server";

export async function action({ request, params }: ActionFunctionArgs) {
  const context = await requireCustomerAccount(request);
  if (request.method !== "POST") {
    return context.cors(new Response(undefined, { status: 405, headers: { Allow: "POST, OPTIONS" } }));
  }
  const orderId = shopifyOrderIdSchema.safeParse(params.orderId ?? "");
  if (!orderId.success) {
    return extensionJson(context, { error: "INVALID_ORDER", message: orderId.error.issues[0]?.message }, 400);
  }
  const result = await resendToGuest({ shop: context.shop, orderId: orderId.data });
  switch (result.outcome) {
    case "sent":
      return extensionJson(context, { sent: true, email: result.email }, 202);
    case "rate-limited": {
      const response = extensionJson(context, { error: "RATE_LIMITED", retryAfterSeconds: result.retryAfterSeconds }, 429);
      response.headers.set("Retry-After", String(result.retryAfterSeconds));
      return response;
    }
    case "not-available":
      return extensionJson(context, { error: "NOT_AVAILABLE" }, 404);
  }
}

export async function loader({ request }: LoaderFunctionArgs) {
  const context = await requireCustomerAccount(request);
  return context.cors(new Response(undefined, { status: 405, headers: { Allow: "POST, OPTIONS" } }));
}
