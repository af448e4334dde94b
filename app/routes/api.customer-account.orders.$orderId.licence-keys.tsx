// The order status page's extension asks for this order's licence keys (customer account session token).
// A signed-in customer gets their keys; a signed-out visitor is asked to sign in.
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { extensionJson, rejectNonGet, requireCustomerAccount } from "~/extension-auth.server";
import { shopifyOrderIdSchema } from "~/lib/extension-requests";
import { answerSignedOut, revealKeysToCustomer } from "~/models/customer-keys.server";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const context = await requireCustomerAccount(request);
  const orderId = shopifyOrderIdSchema.safeParse(params.orderId ?? "");
  if (!orderId.success) {
    return extensionJson(context, { errors: { orderId: orderId.error.issues[0]?.message } }, 400);
  }
  // No customer in the token: the visitor came from the order confirmation email, signed out.
  if (context.customerId === null) {
    return extensionJson(context, await answerSignedOut({ shop: context.shop, orderId: orderId.data }));
  }
  const answer = await revealKeysToCustomer({
    shop: context.shop,
    orderId: orderId.data,
    customerId: context.customerId,
  });
  return extensionJson(context, answer);
}

// CORS preflight arrives as OPTIONS, which Remix routes to the action.
export async function action({ request }: ActionFunctionArgs) {
  return rejectNonGet(request, "customerAccount");
}
