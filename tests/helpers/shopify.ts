// Shopify, faked at its network boundary: session tokens and webhook HMACs forged with the test
// secret, offline sessions stored so the library needs no network, and a guard that fails any
// Admin API call a test did not expect.
import { createHmac, randomUUID } from "node:crypto";
import { setAbstractFetchFunc } from "@shopify/shopify-api/runtime";
import prisma from "~/db.server";
import { ensureShop } from "~/models/shop.server";
import { unexpectedCalls } from "../setup/guards";
import { TEST_API_KEY, TEST_API_SECRET, TEST_APP_URL } from "./constants";

export { OTHER_SHOP, TEST_API_KEY, TEST_API_SECRET, TEST_APP_URL, TEST_SHOP } from "./constants";

export const BROWSER_UA =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";

const base64url = (input: Buffer | string) => Buffer.from(input).toString("base64url");

export function signJwt(payload: Record<string, unknown>, secret = TEST_API_SECRET) {
  const head = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = base64url(JSON.stringify(payload));
  const signature = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${signature}`;
}

/** An admin session token as App Bridge mints it. */
export function sessionToken({
  shop,
  sub = "70000001",
  secret = TEST_API_SECRET,
  aud = TEST_API_KEY,
  expiresIn = 60,
  notBeforeIn = -5,
}: {
  shop: string;
  sub?: string;
  secret?: string;
  aud?: string;
  expiresIn?: number;
  notBeforeIn?: number;
}) {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(
    {
      iss: `https://${shop}/admin`,
      dest: `https://${shop}`,
      aud,
      sub,
      exp: now + expiresIn,
      nbf: now + notBeforeIn,
      iat: now,
      jti: randomUUID(),
      sid: randomUUID(),
    },
    secret,
  );
}

/** The shop's row and a stored offline session, as after installation. */
export async function installShop(shop: string) {
  const scope = (process.env.SCOPES ?? "read_orders,read_products");
  await prisma.session.upsert({
    where: { id: `offline_${shop}` },
    create: { id: `offline_${shop}`, shop, state: "", isOnline: false, scope, accessToken: `token-${shop}` },
    update: {},
  });
  return ensureShop(shop);
}

export function adminRequest(
  path: string,
  {
    shop,
    method = "GET",
    form,
    json,
    token,
    headers = {},
  }: {
    shop: string;
    method?: string;
    form?: Record<string, string | string[]> | FormData;
    json?: unknown;
    token?: string;
    headers?: Record<string, string>;
  },
) {
  const init: RequestInit & { headers: Record<string, string> } = {
    method,
    headers: {
      Authorization: `Bearer ${token ?? sessionToken({ shop })}`,
      "User-Agent": BROWSER_UA,
      ...headers,
    },
  };
  if (form) {
    const body = form instanceof FormData ? form : new FormData();
    if (!(form instanceof FormData)) {
      for (const [key, value] of Object.entries(form)) {
        for (const item of Array.isArray(value) ? value : [value]) body.append(key, item);
      }
    }
    init.body = body;
    init.method = method === "GET" ? "POST" : method;
  } else if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
    init.method = method === "GET" ? "POST" : method;
  }
  return new Request(new URL(path, TEST_APP_URL), init);
}

/** A webhook delivery as Shopify sends it, signed with the app's secret unless told otherwise. */
export function webhookRequest({
  topic,
  shop,
  payload,
  rawBody,
  secret = TEST_API_SECRET,
  eventId = randomUUID(),
  webhookId = randomUUID(),
  path,
  omitHeaders = [],
}: {
  topic: string;
  shop: string;
  payload?: unknown;
  rawBody?: string;
  secret?: string;
  eventId?: string;
  webhookId?: string;
  path?: string;
  omitHeaders?: string[];
}) {
  const body = rawBody ?? JSON.stringify(payload ?? {});
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "X-Shopify-Topic": topic,
    "X-Shopify-Shop-Domain": shop,
    "X-Shopify-Hmac-Sha256": createHmac("sha256", secret).update(body, "utf8").digest("base64"),
    "X-Shopify-Webhook-Id": webhookId,
    "X-Shopify-Event-Id": eventId,
    "X-Shopify-API-Version": "2026-07",
    "X-Shopify-Triggered-At": new Date().toISOString(),
  };
  for (const name of omitHeaders) delete headers[name];
  return new Request(new URL(path ?? `/webhooks/${topic}`, TEST_APP_URL), { method: "POST", headers, body });
}

type GraphqlHandler = (query: string, variables: Record<string, unknown> | undefined, shop: string) => unknown;

let graphqlHandler: GraphqlHandler | undefined;

/** Answer Admin GraphQL calls for the rest of the file (pass undefined to stop). */
export function mockAdminGraphql(handler: GraphqlHandler | undefined) {
  graphqlHandler = handler;
}

setAbstractFetchFunc(async (input, init) => {
  const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
  if (graphqlHandler && /\/admin\/api\/[^/]+\/graphql\.json$/.test(url.pathname)) {
    const { query, variables } = JSON.parse(String(init?.body ?? "{}"));
    const data = await graphqlHandler(query, variables, url.hostname);
    return new Response(JSON.stringify({ data }), { status: 200, headers: { "Content-Type": "application/json" } });
  }
  unexpectedCalls.push(url.href);
  throw new Error(`Unexpected outbound call to Shopify in a test: ${url.href}`);
});
