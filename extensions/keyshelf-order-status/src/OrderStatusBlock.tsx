// Order status page (customer accounts): the signed-in customer's keys for this order.
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
      getToken={() => shopify.sessionToken.get()}
      t={(key, options) => shopify.i18n.translate(key, options)}
      stale={isStale(order?.processedAt)}
    />
  );
}
