// The demo server: the app's production build behind Express, plus the stand-ins for what Shopify
// would provide (the admin frame, App Bridge, session tokens, the Admin API). Never imported by the
// app; the app only learns it is in a demo through KEYSHELF_DEMO=1, which it ignores in production.
//
// Precondition: DATABASE_URL points at a migrated database (see main.ts); the demo shop is seeded.
import { createHmac, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import type { Server, Socket } from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import express, { type Request, type Response } from "express";
import { renderAdminFrame, productImageSvg } from "./admin-frame";
import { DEMO_PRODUCTS, DEMO_SHOP, DEMO_SHOP_NAME, DEMO_STAFF } from "./catalog";
import { installFakeShopify } from "./fake-shopify";
import { DEMO_PAGES, type DemoContext } from "./pages";
import { pickerCatalog } from "./picker-catalog";
import { signSessionToken } from "./session-token";

export const APP_NAME = "Keyshelf";
export const APP_HANDLE = "keyshelf";

const ASSETS = path.join(path.dirname(fileURLToPath(import.meta.url)), "assets");

export interface DemoServer {
  url: string;
  close(): Promise<void>;
}

export interface DemoCredentials {
  apiKey: string;
  apiSecret: string;
}

export class DemoRefusedError extends Error {}

/** The demo must never run as (or beside) a production server. */
export function assertNotProduction() {
  if (process.env.NODE_ENV === "production") {
    throw new DemoRefusedError(
      "The Keyshelf demo refuses to run with NODE_ENV=production: it signs its own session tokens and fakes Shopify. " +
        "Unset NODE_ENV (or set it to development) to run the demo.",
    );
  }
}

/** The demo's API key and secret: fixed defaults (README), overridable like a real app's. */
export async function demoCredentials(): Promise<DemoCredentials> {
  const { DEMO_DEFAULTS } = await import("~/config.server");
  return {
    apiKey: process.env.SHOPIFY_API_KEY || DEMO_DEFAULTS.apiKey,
    apiSecret: process.env.SHOPIFY_API_SECRET || DEMO_DEFAULTS.apiSecret,
  };
}

/** Shopify's `host` parameter: base64 of the shop's admin URL without the scheme. */
export function adminHost(shop: string) {
  return Buffer.from(`admin.shopify.com/store/${shop.replace(/\.myshopify\.com$/, "")}`).toString("base64url");
}

/** Signs embedding query parameters the way the admin does (hex HMAC of the sorted query). */
export function signEmbedQuery(params: URLSearchParams, secret: string) {
  params.delete("hmac");
  const sorted = new URLSearchParams([...params.entries()].sort(([a], [b]) => a.localeCompare(b)));
  params.set("hmac", createHmac("sha256", secret).update(sorted.toString()).digest("hex"));
  return params;
}

/** The admin URL /apps/keyshelf/<path> shows the app at /<path>; the bare admin opens the app's home. */
function appPathFromFrameUrl(request: Request) {
  const prefix = `/apps/${APP_HANDLE}`;
  if (request.path !== prefix && !request.path.startsWith(`${prefix}/`)) return "/app";
  const rest = request.path.slice(prefix.length) || "/app";
  const query = request.url.includes("?") ? request.url.slice(request.url.indexOf("?")) : "";
  return sanitizeAppPath(rest + query);
}

/** Only paths inside this app: no scheme, no host, no protocol-relative tricks. */
function sanitizeAppPath(input: string) {
  const url = new URL(input.startsWith("/") ? input : `/${input}`, "http://app.invalid");
  if (url.host !== "app.invalid") return "/app";
  return `${url.pathname}${url.search}${url.hash}`;
}

/**
 * The browser assets of the build this server runs, read once: a `remix build` run meanwhile (by the
 * test suite in another terminal, say) replaces public/build, and would leave this server's pages
 * pointing at files that no longer exist.
 */
async function snapshotAssets(dir: string) {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files.set(`/${path.relative(dir, full).split(path.sep).join("/")}`, await readFile(full));
  }
  return files;
}

export async function startDemoServer({ port, host = "127.0.0.1" }: { port: number; host?: string }): Promise<DemoServer> {
  assertNotProduction();
  process.env.KEYSHELF_DEMO = "1";
  const credentials = await demoCredentials();
  const { config } = await import("~/config.server");
  const shop = DEMO_SHOP;
  const adminSessionId = randomUUID();

  const buildPath = path.resolve(process.cwd(), "build", "index.js");
  const build = (await import(pathToFileURL(buildPath).href)) as ServerBuild;

  let baseUrl = `http://${host}:${port}`;
  const context: DemoContext = {
    get url() {
      return baseUrl;
    },
    shop,
    apiKey: credentials.apiKey,
    apiSecret: credentials.apiSecret,
  };

  // After the build: importing it installs the library's real fetch, which this replaces.
  const uninstallFake = installFakeShopify({
    apiKey: credentials.apiKey,
    apiSecret: credentials.apiSecret,
    scopes: config.scopes,
    shop,
    get assetBaseUrl() {
      return baseUrl;
    },
    log: (line) => console.warn(line),
  });

  const mintToken = () =>
    signSessionToken({
      shop,
      apiKey: credentials.apiKey,
      apiSecret: credentials.apiSecret,
      sub: String(DEMO_STAFF.id),
      sid: adminSessionId,
    });

  function embedUrl(appPath: string) {
    const target = new URL(sanitizeAppPath(appPath), "http://app.invalid");
    const params = target.searchParams;
    params.set("embedded", "1");
    params.set("host", adminHost(shop));
    params.set("id_token", mintToken());
    params.set("locale", DEMO_STAFF.locale);
    params.set("session", adminSessionId);
    params.set("shop", shop);
    params.set("timestamp", String(Math.floor(Date.now() / 1000)));
    signEmbedQuery(params, credentials.apiSecret);
    return `${target.pathname}?${params.toString()}${target.hash}`;
  }

  const app = express();
  app.disable("x-powered-by");

  // Only the frame itself may ask for tokens: a cross-site page must not mint them.
  const sameOrigin = (request: Request, response: Response, next: () => void) => {
    const site = request.get("Sec-Fetch-Site");
    const origin = request.get("Origin");
    if ((site && site !== "same-origin") || (origin && origin !== `${request.protocol}://${request.get("Host")}`)) {
      response.status(403).json({ error: "Session tokens are only handed to the demo's own admin frame." });
      return;
    }
    next();
  };

  app.post("/demo/session-token", sameOrigin, (_request, response) => {
    response.set("Cache-Control", "no-store").json({ token: mintToken() });
  });
  app.get("/demo/embed-url", sameOrigin, (request, response) => {
    response.set("Cache-Control", "no-store").json({ url: embedUrl(String(request.query.path ?? "/app")) });
  });
  // `npm run demo:order` asks for the next order number, as Shopify numbers a shop's orders.
  let lastOrderNumber = 0;
  async function allocateOrderNumber() {
    const { default: prisma } = await import("~/db.server");
    const [row] = await prisma.$queryRaw<Array<{ max: number | null }>>`
      SELECT max(NULLIF(regexp_replace(o."name", '[^0-9]', '', 'g'), '')::bigint)::int AS max
      FROM "order" o JOIN "shop" s ON s."id" = o."shop_id"
      WHERE s."domain" = ${shop}`;
    lastOrderNumber = Math.max(lastOrderNumber, row?.max ?? 1000) + 1;
    return lastOrderNumber;
  }
  app.post("/demo/orders/next-number", (_request, response, next) => {
    allocateOrderNumber().then((orderNumber) => response.json({ orderNumber }), next);
  });
  app.get("/demo/catalog.json", (_request, response) => {
    response.json({ shop, products: pickerCatalog(baseUrl) });
  });
  app.get("/demo/images/:handle.svg", (request, response) => {
    const index = DEMO_PRODUCTS.findIndex((p) => p.handle === request.params.handle);
    if (index < 0) {
      response.sendStatus(404);
      return;
    }
    response.type("image/svg+xml").set("Cache-Control", "public, max-age=3600").send(productImageSvg(DEMO_PRODUCTS[index].title, index));
  });
  for (const [route, file, type] of [
    ["/demo/app-bridge.js", "app-bridge.js", "application/javascript"],
    ["/demo/admin.js", "admin.js", "application/javascript"],
    ["/demo/admin.css", "admin.css", "text/css"],
  ] as const) {
    app.get(route, (_request, response, next) => {
      readFile(path.join(ASSETS, file), "utf8").then(
        (text) => response.type(type).set("Cache-Control", "no-cache").send(text),
        next,
      );
    });
  }

  // The library's bounce page loads App Bridge from Shopify's CDN, out of reach offline: the demo
  // answers it with a page that loads the stand-in, which fetches a fresh token and goes back.
  app.get("/auth/session-token", (_request, response) => {
    response
      .type("html")
      .send(
        `<!DOCTYPE html><html><head><meta charset="utf-8"><script data-api-key="${credentials.apiKey}" src="/demo/app-bridge.js"></script></head><body></body></html>`,
      );
  });

  const frame = (request: Request, response: Response, next: () => void) => {
    // Shopify opening the app itself (embedded parameters): that is the app's request, not the admin's.
    if (request.query.embedded === "1" || request.query.shop) {
      next();
      return;
    }
    const appPath = appPathFromFrameUrl(request);
    if (request.get("Sec-Fetch-Dest") === "iframe") {
      // The app, inside the frame, was sent to the admin: the admin reloads the app instead of nesting.
      response
        .type("html")
        .send(
          `<!DOCTYPE html><script>parent.postMessage(${JSON.stringify({ source: "keyshelf-demo", type: "reload", path: appPath }).replace(/</g, "\\u003c")}, location.origin)</script>`,
        );
      return;
    }
    response
      .type("html")
      .set("Cache-Control", "no-store")
      .send(
        renderAdminFrame({
          shop,
          shopName: DEMO_SHOP_NAME,
          appName: APP_NAME,
          appHandle: APP_HANDLE,
          appPath,
          iframeSrc: embedUrl(appPath),
          pages: DEMO_PAGES,
          bootstrap: {
            appHandle: APP_HANDLE,
            appPath,
            shop,
            scopes: config.scopes,
            user: {
              id: DEMO_STAFF.id,
              name: `${DEMO_STAFF.firstName} ${DEMO_STAFF.lastName}`,
              email: DEMO_STAFF.email,
              accountAccess: "Account owner",
            },
          },
        }),
      );
  };
  app.get("/", frame);
  app.get(`/apps/${APP_HANDLE}`, frame);
  app.get(`/apps/${APP_HANDLE}/*`, frame);

  const pagesRouter = express.Router();
  for (const page of DEMO_PAGES) page.mount?.(pagesRouter, context);
  app.use(pagesRouter);

  const assets = await snapshotAssets(path.resolve("public/build"));
  if (!assets.has(build.assets.url.replace(/^\/build/, ""))) {
    console.warn("public/build does not match build/index.js (a build ran meanwhile?): run `npx remix build` and restart.");
  }
  app.get("/build/*", (request, response, next) => {
    const asset = assets.get(request.path.replace(/^\/build/, ""));
    if (!asset) {
      next();
      return;
    }
    response.type(path.extname(request.path)).set("Cache-Control", "public, max-age=31536000, immutable").send(asset);
  });
  app.use("/build", express.static(path.resolve("public/build"), { immutable: true, maxAge: "1y" }));
  app.use(express.static(path.resolve("public"), { maxAge: "1h" }));
  // The app allows framing only by the shop's admin (frame-ancestors); here the admin is this origin.
  // Only headers change: the app's responses are otherwise passed through untouched.
  app.use((_request, response, next) => {
    const setHeader = response.setHeader.bind(response);
    response.setHeader = (name: string, value: string | number | readonly string[]) => {
      const header = name.toLowerCase();
      if (header === "content-security-policy") {
        const allowSelf = (policy: string) => policy.replace(/frame-ancestors([^;]*)/, (_m, sources: string) => `frame-ancestors 'self'${sources}`);
        value = Array.isArray(value) ? value.map((v: string) => allowSelf(v)) : allowSelf(String(value));
      } else if (header === "location") {
        // "Open the app in the admin" (https://admin.shopify.com/store/<store>/apps/<app>/<path>) is this frame.
        value = String(value).replace(/^https:\/\/admin\.shopify\.com\/store\/[^/]+\/apps\/[^/?#]+/, `/apps/${APP_HANDLE}`);
      } else if (header === "link") {
        // The library preloads App Bridge from Shopify's CDN; the demo's stand-in replaces it.
        const local = (link: string) => link.split("https://cdn.shopify.com/shopifycloud/app-bridge.js").join("/demo/app-bridge.js");
        value = Array.isArray(value) ? value.map((v: string) => local(v)) : local(String(value));
      }
      return setHeader(name, value);
    };
    next();
  });
  const remix = createRequestHandler({ build, mode: "production" });
  app.all("*", (request, response, next) => {
    remix(request, response, next).catch(next);
  });

  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(port, host, () => resolve(listening));
    listening.once("error", reject);
  });
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  baseUrl = `http://${host === "0.0.0.0" || host === "::" ? "localhost" : host}:${actualPort}`;

  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  let closed: Promise<void> | undefined;
  return {
    url: baseUrl,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive connections (a browser's) would hold close() open for minutes.
        for (const socket of sockets) socket.destroy();
      }).finally(uninstallFake);
      return closed;
    },
  };
}
