// Thank-you page (checkout): the keys of the order just placed. Shown seconds after payment, often
// before Shopify's orders/create webhook reaches the app, hence the "being prepared" polling.
import "@shopify/ui-extensions/preact";
import { render } from "preact";
import { LicenceKeys } from "../../shared/LicenceKeys";
import { configuredAppUrl, numericOrderId } from "../../shared/licence-keys";

export default async () => {
  render(<ThankYouKeys />, document.body);
};

const appUrl = configuredAppUrl(() => process.env.APP_URL);

function ThankYouKeys() {
  const confirmation = shopify.orderConfirmation.value;
  const orderId = numericOrderId(confirmation?.order?.id);
  // The confirmation number proves this checkout placed the order; without one, ask nothing.
  const number = confirmation?.number;
  const url =
    appUrl !== null && orderId && number
      ? `${appUrl}/api/checkout/orders/${orderId}/licence-keys?confirmation=${encodeURIComponent(number)}`
      : null;
  return (
    <LicenceKeys
      url={url}
      getToken={() => shopify.sessionToken.get()}
      t={(key, options) => shopify.i18n.translate(key, options)}
    />
  );
}
