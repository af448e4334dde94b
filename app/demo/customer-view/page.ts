// The demo's "Customer view": a demo order as its customer sees it on Shopify's order status page
// (or thank-you page), with Keyshelf's real extension code running in it. The extension module is
// bundled for the browser with esbuild, given stand-ins for what Shopify's page provides
// (extension-host.ts), and calls the app's real endpoint with a customer account session token
// that this server signs with the demo's API secret, exactly as Shopify would.
//
// On the order status page the visitor is signed in (the token names the order's customer) or
// signed out: pre-authenticated, as after following the order confirmation email's link, with a
// token that names no customer. A guest order has no customer to sign in as, so it is always seen
// signed out. The switch lives in the URL (`auth`), like the surface and the locale.
//
// App modules are imported inside handlers: this file is loaded (through pages.ts) before the demo
// has set DATABASE_URL.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Request, Response, Router } from "express";
import { DEMO_CUSTOMERS, DEMO_SHOP_NAME } from "../catalog";
import type { DemoContext } from "../pages";
import { signJwt } from "../session-token";
import type { ExtensionHostConfig } from "./extension-host";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const HOST_MODULE = path.join(ROOT, "app/demo/customer-view/extension-host.ts");

const SURFACES = {
  "order-status": {
    label: "Order status page",
    extension: "keyshelf-order-status",
    entry: "extensions/keyshelf-order-status/src/OrderStatusBlock.tsx",
    endpoint: (orderId: string) => `/api/customer-account/orders/${orderId}/licence-keys`,
  },
  "thank-you": {
    label: "Thank-you page",
    extension: "keyshelf-thank-you",
    entry: "extensions/keyshelf-thank-you/src/ThankYouBlock.tsx",
    endpoint: (orderId: string) => `/api/checkout/orders/${orderId}/licence-keys?confirmation=…`,
  },
} as const;

type Surface = keyof typeof SURFACES;

const LOCALES: Record<string, { label: string; file: string }> = {
  en: { label: "English", file: "en.default.json" },
  de: { label: "Deutsch", file: "de.json" },
};

const SIGN_INS = {
  "signed-in": { label: "Signed in" },
  "signed-out": { label: "Signed out" },
} as const;

type SignIn = keyof typeof SIGN_INS;

const TOKEN_TTL_SECONDS = 300;

function escapeHtml(value: unknown) {
  return String(value).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** JSON inside a <script>: nothing in it can close the element. */
function scriptJson(value: unknown) {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function surfaceOf(value: unknown): Surface {
  return value === "thank-you" ? "thank-you" : "order-status";
}

function localeOf(value: unknown): string {
  return typeof value === "string" && value in LOCALES ? value : "en";
}

function signInOf(value: unknown): SignIn {
  return value === "signed-out" ? "signed-out" : "signed-in";
}

/** What the order status page's visitor is: a guest order's visitor is never signed in. */
function authenticationOf(surface: Surface, signIn: SignIn, customerId: bigint | null) {
  return surface === "order-status" && (signIn === "signed-out" || customerId === null)
    ? "pre_authenticated"
    : "fully_authenticated";
}

function orderIdOf(value: unknown): bigint | null {
  return typeof value === "string" && /^\d{1,19}$/.test(value) ? BigInt(value) : null;
}

function customerName(customerId: bigint | null) {
  const customer = DEMO_CUSTOMERS.find((c) => customerId !== null && BigInt(c.id) === customerId);
  return customer ? { name: `${customer.firstName} ${customer.lastName}`, email: customer.email } : null;
}

function viewUrl(params: { order?: bigint | string; surface: Surface; locale: string; auth: SignIn }) {
  const query = new URLSearchParams({ surface: params.surface, locale: params.locale, auth: params.auth });
  if (params.order !== undefined) query.set("order", String(params.order));
  return `/demo/customer?${query.toString()}`;
}

/** Bundles the real extension entry behind the host stand-ins (esbuild: Remix's own bundler). */
async function bundleExtension(surface: Surface) {
  const { build } = await import("esbuild");
  const entry = path.join(ROOT, SURFACES[surface].entry);
  const result = await build({
    stdin: {
      // Same shape as Shopify CLI's entry: the host first, then the extension's default export is called.
      contents: `import ${JSON.stringify(HOST_MODULE)};\nimport extension from ${JSON.stringify(entry)};\nvoid extension();\n`,
      resolveDir: ROOT,
      sourcefile: `customer-view-${surface}.ts`,
      loader: "ts",
    },
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2020",
    jsx: "automatic",
    // The endpoint is on this same origin, so the app URL is empty: the extension fetches "/api/...".
    define: { "process.env.APP_URL": JSON.stringify(""), "process.env.NODE_ENV": JSON.stringify("development") },
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

// Only this demo's own pages may have tokens signed: a cross-site page must not mint them.
function sameOrigin(request: Request) {
  const site = request.get("Sec-Fetch-Site");
  const origin = request.get("Origin");
  return !(site && site !== "same-origin") && !(origin && origin !== `${request.protocol}://${request.get("Host")}`);
}

const PAGE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,sans-serif;color:#303030;background:#f6f6f7}
header{background:#fff;border-bottom:1px solid #e3e3e3;padding:14px 28px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header .shop{font-weight:700;font-size:18px}
.badge{background:#ffd79d;color:#4a3400;border-radius:8px;padding:2px 8px;font-size:12px;font-weight:600}
nav.switch{margin-left:auto;display:flex;gap:8px;flex-wrap:wrap}
nav.switch a{padding:4px 10px;border-radius:8px;border:1px solid #d4d4d4;text-decoration:none;color:#303030;background:#fff}
nav.switch a[aria-current="true"]{background:#303030;color:#fff;border-color:#303030}
nav.switch span[aria-disabled="true"]{padding:4px 10px;border-radius:8px;border:1px dashed #d4d4d4;color:#8a8a8a}
nav.switch .divider{width:1px;background:#d4d4d4;margin:0 4px}
main{display:grid;grid-template-columns:minmax(0,2fr) minmax(260px,1fr);gap:24px;max-width:1100px;margin:24px auto;padding:0 24px}
@media (max-width:800px){main{grid-template-columns:1fr}}
.card{background:#fff;border:1px solid #e3e3e3;border-radius:12px;padding:20px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:15px;margin:0 0 10px}
.muted{color:#616161}
.order-head{display:flex;flex-direction:column;gap:2px;margin-bottom:16px}
.status{display:inline-flex;gap:6px;align-items:center;color:#2e7d4f;font-weight:600}
iframe{width:100%;border:0;display:block;min-height:40px;background:transparent}
.slot{border:2px dashed #c9cccf;border-radius:14px;padding:8px;position:relative;margin-top:16px}
.slot-label{position:absolute;top:-11px;left:14px;background:#f6f6f7;padding:0 6px;font-size:12px;color:#616161}
ul.orders{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:6px}
ul.orders a{display:flex;justify-content:space-between;gap:8px;padding:8px 10px;border-radius:8px;text-decoration:none;color:#303030;border:1px solid #ececec}
ul.orders a:hover{background:#f3f3f3} ul.orders a[aria-current="true"]{border-color:#303030}
.pill{font-size:12px;border-radius:8px;padding:1px 8px;background:#e7f5ec;color:#173d27;white-space:nowrap}
.pill.waiting{background:#fff5d6;color:#4d3900}
code{font-size:12px;background:#f1f1f1;border-radius:4px;padding:1px 4px;word-break:break-all}
`;

export function mountCustomerView(router: Router, context: DemoContext) {
  router.get("/demo/customer", (request, response, next) => {
    renderPage(request, response, context).catch(next);
  });

  router.get("/demo/customer/frame", (request, response, next) => {
    renderFrame(request, response, context).catch(next);
  });

  router.get("/demo/customer/extension-:surface.js", (request, response, next) => {
    bundleExtension(surfaceOf(request.params.surface)).then(
      (code) => response.type("application/javascript").set("Cache-Control", "no-store").send(code),
      next,
    );
  });

  router.post("/demo/customer/session-token", (request, response, next) => {
    mintCustomerToken(request, response, context).catch(next);
  });
}

async function renderPage(request: Request, response: Response, context: DemoContext) {
  const { findOrderForCustomerView, listOrdersForCustomerView } = await import("~/models/customer-keys.server");
  const surface = surfaceOf(request.query.surface);
  const locale = localeOf(request.query.locale);
  const auth = signInOf(request.query.auth);
  // Guest orders too: on the order status page their visitor is signed out (pre-authenticated).
  const orders = await listOrdersForCustomerView({ shop: context.shop, limit: 12 });
  const requested = orderIdOf(request.query.order);
  const order = requested
    ? await findOrderForCustomerView({ shop: context.shop, orderId: requested })
    : (orders[0] ?? null);
  if (!requested && order) {
    response.redirect(viewUrl({ order: order.shopifyId, surface, locale, auth }));
    return;
  }
  const authentication = authenticationOf(surface, auth, order?.customerId ?? null);

  const link = (href: string, current: boolean, label: string, attributes = "") =>
    `<a href="${escapeHtml(href)}" aria-current="${current}"${attributes}>${escapeHtml(label)}</a>`;
  const switches = [
    ...Object.entries(SURFACES).map(([key, value]) =>
      link(viewUrl({ order: order?.shopifyId, surface: key as Surface, locale, auth }), key === surface, value.label),
    ),
    ...Object.entries(LOCALES).map(([key, value]) =>
      link(
        viewUrl({ order: order?.shopifyId, surface, locale: key, auth }),
        key === locale,
        value.label,
        ` lang="${key}"`,
      ),
    ),
  ];
  if (surface === "order-status") {
    switches.push(`<span class="divider" aria-hidden="true"></span>`);
    for (const [key, value] of Object.entries(SIGN_INS)) {
      const signedIn = key === "signed-in";
      if (signedIn && order && order.customerId === null) {
        switches.push(
          `<span aria-disabled="true" title="A guest order has no customer account to sign in to.">${escapeHtml(value.label)}</span>`,
        );
        continue;
      }
      const current = (authentication === "fully_authenticated") === signedIn;
      switches.push(
        link(viewUrl({ order: order?.shopifyId, surface, locale, auth: key as SignIn }), current, value.label),
      );
    }
  }

  const list = orders
    .map((item) => {
      const who = customerName(item.customerId)?.name ?? "Guest";
      const pill =
        item.shortfall > 0
          ? `<span class="pill waiting">waiting for stock</span>`
          : `<span class="pill">${item.keys} ${item.keys === 1 ? "key" : "keys"}</span>`;
      return `<li><a href="${escapeHtml(viewUrl({ order: item.shopifyId, surface, locale, auth }))}" aria-current="${order?.shopifyId === item.shopifyId}"><span>${escapeHtml(item.name)} · ${escapeHtml(who)}</span>${pill}</a></li>`;
    })
    .join("");

  let body: string;
  if (!order) {
    body = `<div class="card"><h1>${requested ? "No such order" : "No orders with licence keys yet"}</h1><p class="muted">Pick one of the demo shop's orders on the right, or place one with <code>npm run demo:order</code>.</p></div>`;
  } else {
    const customer = customerName(order.customerId);
    const placed = order.placedAt.toLocaleString("en-GB", { dateStyle: "long", timeStyle: "short" });
    const frameSrc = `/demo/customer/frame?${new URLSearchParams({ order: String(order.shopifyId), surface, locale, auth }).toString()}`;
    const heading = surface === "thank-you" ? "Thank you for your purchase!" : `Order ${order.name}`;
    const signedIn =
      surface === "order-status"
        ? !customer
          ? "Guest order (no customer account), opened from the order confirmation email: pre-authenticated"
          : authentication === "pre_authenticated"
            ? `Signed out: ${escapeHtml(customer.name)}'s order, opened from the order confirmation email (pre-authenticated)`
            : `Signed in as ${escapeHtml(customer.name)} (${escapeHtml(customer.email)})`
        : `Confirmation ${escapeHtml(order.confirmationNumber ?? "(none)")}`;
    body = `<div class="card">
  <div class="order-head">
    <span class="muted">${escapeHtml(surface === "thank-you" ? `Order ${order.name}` : `Confirmation ${order.confirmationNumber ?? ""}`)}</span>
    <h1>${escapeHtml(heading)}</h1>
    <span class="status">✓ Confirmed ${escapeHtml(placed)}</span>
    <span class="muted" id="visitor">${signedIn}</span>
  </div>
  <div class="slot"><span class="slot-label">Keyshelf extension · ${escapeHtml(SURFACES[surface].label)}</span>
    <iframe id="extension-frame" title="Keyshelf licence keys" src="${escapeHtml(frameSrc)}"></iframe>
  </div>
</div>`;
  }

  const endpoint = order ? SURFACES[surface].endpoint(String(order.shopifyId)) : "";
  response.type("html").set("Cache-Control", "no-store").send(`<!DOCTYPE html>
<html lang="${locale}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,">
<title>Customer view · ${escapeHtml(DEMO_SHOP_NAME)} (demo)</title><style>${PAGE_CSS}</style></head>
<body>
<header><span class="shop">${escapeHtml(DEMO_SHOP_NAME)}</span><span class="badge">Customer view · demo</span><nav class="switch" aria-label="View">${switches.join("")}</nav></header>
<main>
<section>${body}</section>
<aside class="card">
  <h2>What you are looking at</h2>
  <p class="muted">The block inside the dashed frame is Keyshelf's real extension code
  (<code>extensions/${escapeHtml(SURFACES[surface].extension)}</code>), bundled for this page. It asks the app at
  <code>${escapeHtml(endpoint)}</code> with a session token the demo signs with the app's secret, as Shopify would.
  The first time keys are shown they become <strong>Used</strong> in the admin.</p>
  ${surface === "order-status" ? `<p class="muted"><strong>Signed out</strong> is how a customer arrives from the order confirmation email: the page is pre-authenticated and its token names no customer, so the block offers to sign in (here, switching to <strong>Signed in</strong>). A guest order is always seen signed out.</p>` : ""}
  <h2>Orders with keys</h2>
  <ul class="orders">${list || `<li class="muted">No orders yet: run <code>npm run demo:order</code>.</li>`}</ul>
</aside>
</main>
<script>
addEventListener("message", (event) => {
  if (event.origin !== location.origin || typeof event.data?.keyshelfFrameHeight !== "number") return;
  const frame = document.getElementById("extension-frame");
  if (frame) frame.style.height = event.data.keyshelfFrameHeight + "px";
});
</script>
</body></html>`);
}

async function renderFrame(request: Request, response: Response, context: DemoContext) {
  const { findOrderForCustomerView } = await import("~/models/customer-keys.server");
  const surface = surfaceOf(request.query.surface);
  const locale = localeOf(request.query.locale);
  const auth = signInOf(request.query.auth);
  const orderId = orderIdOf(request.query.order);
  const order = orderId ? await findOrderForCustomerView({ shop: context.shop, orderId }) : null;
  if (!order) {
    response.status(404).type("text/plain").send("No such demo order.");
    return;
  }
  const authentication = authenticationOf(surface, auth, order.customerId);
  const messages = JSON.parse(
    await readFile(path.join(ROOT, "extensions", SURFACES[surface].extension, "locales", LOCALES[locale].file), "utf8"),
  ) as ExtensionHostConfig["messages"];
  const config: ExtensionHostConfig = {
    surface,
    order: {
      id: `gid://shopify/Order/${order.shopifyId}`,
      name: order.name,
      processedAt: order.placedAt.toISOString(),
      confirmationNumber: order.confirmationNumber,
    },
    locale,
    messages,
    tokenUrl: `/demo/customer/session-token?${new URLSearchParams({ order: String(order.shopifyId), surface, auth }).toString()}`,
    authenticationState: authentication,
    // Signing in shows the order signed in; a guest order has no account to sign in to.
    signInUrl:
      authentication === "pre_authenticated" && order.customerId !== null
        ? viewUrl({ order: order.shopifyId, surface, locale, auth: "signed-in" })
        : null,
  };
  response.type("html").set("Cache-Control", "no-store").send(`<!DOCTYPE html>
<html lang="${locale}"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<style>body{margin:0;padding:4px;font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,sans-serif;color:#303030;background:transparent}</style>
<script>window.__KEYSHELF_EXTENSION__ = ${scriptJson(config)};</script>
<script type="module" src="/demo/customer/extension-${surface}.js"></script>
</head><body></body></html>`);
}

/**
 * The session token Shopify would hand this order's extension: a customer account token naming the
 * order's customer (order status; no customer when signed out or for a guest order), or a checkout
 * token (thank-you page), HS256 with the app's secret.
 */
async function mintCustomerToken(request: Request, response: Response, context: DemoContext) {
  if (!sameOrigin(request)) {
    response.status(403).json({ error: "Session tokens are only handed to the demo's own customer view." });
    return;
  }
  const { findOrderForCustomerView } = await import("~/models/customer-keys.server");
  const surface = surfaceOf(request.query.surface);
  const orderId = orderIdOf(request.query.order);
  const order = orderId ? await findOrderForCustomerView({ shop: context.shop, orderId }) : null;
  if (!order) {
    response.status(404).json({ error: "No such demo order." });
    return;
  }
  const signedOut = surface === "order-status" && signInOf(request.query.auth) === "signed-out";
  const now = Math.floor(Date.now() / 1000);
  const token = signJwt(
    {
      dest: context.shop,
      aud: context.apiKey,
      ...(order.customerId !== null && !signedOut ? { sub: `gid://shopify/Customer/${order.customerId}` } : {}),
      exp: now + TOKEN_TTL_SECONDS,
      nbf: now,
      iat: now,
      jti: randomUUID(),
    },
    context.apiSecret,
  );
  response.set("Cache-Control", "no-store").json({ token, expiresAt: (now + TOKEN_TTL_SECONDS) * 1000, surface });
}
