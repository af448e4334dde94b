// The app's type-check reaches extensions/shared through these tests; give it the Polaris web
// components of the order status surface, as each extension's own tsconfig does for its surface.
import "@shopify/ui-extensions/customer-account.order-status.block.render";
