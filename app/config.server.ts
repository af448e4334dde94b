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

// Getters: each value is read when used, so a script that never talks to Shopify (a migration, a
// benchmark's dataset build) needs none of Shopify's variables. The server reads them as it starts
// (app/shopify.server.ts), so a production server without them fails at boot, not at a request.
export const config = {
  get apiKey() {
    return isDemo ? (process.env.SHOPIFY_API_KEY ?? DEMO_API_KEY) : required("SHOPIFY_API_KEY");
  },
  get apiSecret() {
    return isDemo ? (process.env.SHOPIFY_API_SECRET ?? DEMO_API_SECRET) : required("SHOPIFY_API_SECRET");
  },
  get appUrl() {
    return process.env.SHOPIFY_APP_URL ?? "http://localhost:3000";
  },
  get scopes() {
    return (process.env.SCOPES ?? "read_orders,read_products")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  },
  /** Shopify library log level: error, warning, info (default) or debug. */
  get shopifyLogLevel() {
    return (process.env.SHOPIFY_LOG_LEVEL ?? "info") as "error" | "warning" | "info" | "debug";
  },
  /** Where the demo serves its App Bridge stand-in; null outside the demo. */
  appBridgeStandInUrl: isDemo ? "/demo/app-bridge.js" : null,
};

/**
 * PostgreSQL: DATABASE_URL (required; the demo, dev, tests and benchmarks set it to their local
 * server), DATABASE_POOL_SIZE (10: Prisma's pool and the hot pool each) and
 * DATABASE_STREAM_POOL_SIZE (4: each of the two stream pools). Read when a pool opens.
 */
export function databaseSettings() {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error("DATABASE_URL is not set. In production point it at PostgreSQL; locally use npm run demo / dev / test.");
  }
  return {
    url,
    poolSize: Number(process.env.DATABASE_POOL_SIZE ?? 10),
    streamPoolSize: Number(process.env.DATABASE_STREAM_POOL_SIZE ?? 4),
  };
}

/**
 * KEYSHELF_DISABLE_WORKERS=1 keeps this process from running background work (tests, which run
 * one round at a time, or a deployment with separate web and worker processes). Read when the
 * loops would start.
 */
export function backgroundWorkDisabled() {
  return process.env.KEYSHELF_DISABLE_WORKERS === "1";
}

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
