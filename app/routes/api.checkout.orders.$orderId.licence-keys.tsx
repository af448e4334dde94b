// The thank-you page's extension asks for this order's licence keys (checkout session token). The
// order id alone proves nothing: the caller must also know the order's confirmation number.
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { extensionJson, rejectNonGet, requireCheckout } from "~/extension-auth.server";
import { confirmationNumberSchema, shopifyOrderIdSchema } from "~/lib/extension-requests";
import { revealKeysAtCheckout } from "~/models/customer-keys.server";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const context = await requireCheckout(request);
  const orderId = shopifyOrderIdSchema.safeParse(params.orderId ?? "");
  const confirmation = confirmationNumberSchema.safeParse(new URL(request.url).searchParams.get("confirmation") ?? "");
  if (!orderId.success || !confirmation.success) {
    const errors = {
      orderId: orderId.success ? undefined : orderId.error.issues[0]?.message,
      confirmation: confirmation.success ? undefined : confirmation.error.issues[0]?.message,
    };
    return extensionJson(context, { errors }, 400);
  }
  const answer = await revealKeysAtCheckout({
    shop: context.shop,
    orderId: orderId.data,
    confirmationNumber: confirmation.data,
  });
  return extensionJson(context, answer);
}

// CORS preflight arrives as OPTIONS, which Remix routes to the action.
export async function action({ request }: ActionFunctionArgs) {
  return rejectNonGet(request, "checkout");
}
