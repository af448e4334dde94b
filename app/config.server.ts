// Every environment variable the app reads, in one place, checked once.
const DEMO_API_KEY = "keyshelf-demo-api-key";
const DEMO_API_SECRET = "keyshelf-demo-api-secret-do-not-use-in-production";

export const DEMO_DEFAULTS = { apiKey: DEMO_API_KEY, apiSecret: DEMO_API_SECRET } as const;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set. See "Configuration" in README.md.`);
  return value;
}

// Read at run time on purpose: the Remix compiler replaces `process.env.NODE_ENV` with the *build*
// mode (always "production" for `remix build`), but what matters is how the server is started.
// remix-serve defaults NODE_ENV to production, so a deployed server is never in demo mode.
const { NODE_ENV } = process.env;
export const isProduction = NODE_ENV === "production";

/**
 * The demo (app/demo/) sets KEYSHELF_DEMO=1 and refuses NODE_ENV=production;
 * the app honours the flag only outside production, so a stray variable can never
 * switch a production server to the stand-ins.
 */
export const isDemo = process.env.KEYSHELF_DEMO === "1" && !isProduction;

export const config = {
  apiKey: isDemo ? (process.env.SHOPIFY_API_KEY ?? DEMO_API_KEY) : required("SHOPIFY_API_KEY"),
  apiSecret: isDemo ? (process.env.SHOPIFY_API_SECRET ?? DEMO_API_SECRET) : required("SHOPIFY_API_SECRET"),
  appUrl: process.env.SHOPIFY_APP_URL ?? "http://localhost:3000",
  scopes: (process.env.SCOPES ?? "read_orders,read_products,read_customers").split(",").map((s) => s.trim()).filter(Boolean),
  /** Shopify library log level: error, warning, info (default) or debug. */
  shopifyLogLevel: (process.env.SHOPIFY_LOG_LEVEL ?? "info") as "error" | "warning" | "info" | "debug",
  /** Where the demo serves its App Bridge stand-in; null outside the demo. */
  appBridgeStandInUrl: isDemo ? "/demo/app-bridge.js" : null,
};

/**
 * Outgoing mail (exports, stock alerts): SMTP_URL, e.g. smtp://user:pass@smtp.example.com:587
 * (STARTTLS) or smtps://...:465, and MAIL_FROM, e.g. "Keyshelf <reports@example.com>". Without
 * SMTP_URL nothing is sent: messages wait in the outbox and the admin says so. Read when used, so a
 * mail catcher started after the app's modules loaded (tests) is picked up.
 */
export function mailSettings() {
  const smtpUrl = process.env.SMTP_URL?.trim() || null;
  const from = process.env.MAIL_FROM?.trim() || `Keyshelf <no-reply@${new URL(config.appUrl).hostname}>`;
  return { smtpUrl, from };
}
