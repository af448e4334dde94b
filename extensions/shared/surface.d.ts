// Checks the shared code on its own (tsc -p extensions/shared, the linter) against the order
// status surface's components; each extension's own tsconfig checks it against its surface.
import "@shopify/ui-extensions/customer-account.order-status.block.render";
