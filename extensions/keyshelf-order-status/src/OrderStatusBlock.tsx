// Order status page (customer accounts): the signed-in customer's keys for this order. A visitor
// who arrives from the order confirmation email is only pre-authenticated: their session token
// names no customer, so the app shows them no keys and the block asks them to sign in (a guest
// order, which has no account to sign in to, says where its keys were emailed instead).
import "@shopify/ui-extensions/preact";
import { render } from "preact";
import { LicenceKeys } from "../../shared/LicenceKeys";
import { configuredAppUrl, isStale, numericOrderId } from "../../shared/licence-keys";

export default async () => {
  render(<OrderStatusKeys />, document.body);
};

const appUrl = configuredAppUrl(() => process.env.APP_URL);

function OrderStatusKeys() {
  const order = shopify.order.value;
  const orderId = numericOrderId(order?.id);
  const url = appUrl !== null && orderId ? `${appUrl}/api/customer-account/orders/${orderId}/licence-keys` : null;
  return (
    <LicenceKeys
      url={url}
      resendUrl={url && `${url}/resend`}
      getToken={() => shopify.sessionToken.get()}
      t={(key, options) => shopify.i18n.translate(key, options)}
      stale={isStale(order?.processedAt)}
      preAuthenticated={shopify.authenticationState.value === "pre_authenticated"}
      onSignIn={() => shopify.requireLogin()}
    />
  );
}
