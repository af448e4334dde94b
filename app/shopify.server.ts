import "@shopify/shopify-app-remix/adapters/node";
import { ApiVersion, AppDistribution, LogSeverity, shopifyApp } from "@shopify/shopify-app-remix/server";
import { config } from "./config.server";
import prisma from "./db.server";
import { CachedSessionStorage } from "./session-cache.server";
import { RecoveringSessionStorage } from "./session-storage.server";
import { syncShopDetails } from "./models/shop.server";

export const apiVersion = ApiVersion.July26;

const LOG_LEVELS = {
  error: LogSeverity.Error,
  warning: LogSeverity.Warning,
  info: LogSeverity.Info,
  debug: LogSeverity.Debug,
};

const shopify = shopifyApp({
  apiKey: config.apiKey,
  apiSecretKey: config.apiSecret,
  apiVersion,
  scopes: config.scopes,
  appUrl: config.appUrl,
  authPathPrefix: "/auth",
  // Every webhook and admin request loads a session: a few seconds in memory spare most of those
  // round trips (see session-cache.server.ts for why that is safe across instances). Behind it, the
  // library's Prisma storage, made to recover from a database outage at start-up.
  sessionStorage: new CachedSessionStorage(new RecoveringSessionStorage(prisma)),
  distribution: AppDistribution.AppStore,
  logger: { level: LOG_LEVELS[config.shopifyLogLevel] ?? LogSeverity.Info },
  future: {
    // Token exchange: no OAuth redirects inside the admin; session tokens authenticate every request.
    unstable_newEmbeddedAuthStrategy: true,
  },
  hooks: {
    afterAuth: async ({ session, admin }) => {
      await syncShopDetails({ shop: session.shop, admin });
    },
  },
});

export default shopify;
export const addDocumentResponseHeaders = shopify.addDocumentResponseHeaders;
export const authenticate = shopify.authenticate;
export const unauthenticated = shopify.unauthenticated;
export const sessionStorage = shopify.sessionStorage;
