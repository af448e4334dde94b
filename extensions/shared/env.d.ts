// Shopify CLI replaces `process.env.NAME` at build time with the variable's value (APP_URL: the
// app's URL). There is no `process` at run time in the extension sandbox.
declare const process: { env: Record<string, string | undefined> };
