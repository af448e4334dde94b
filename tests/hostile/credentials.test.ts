// Forged and broken credentials on every surface: admin session tokens on actions that change data,
// customer-facing extension tokens, and webhook deliveries on every webhook route (bad HMACs, missing
// headers, a valid HMAC over malformed or oversized JSON). Each gets its status and the database does
// not change by a single row.
import { FIXTURES_DIR } from "tests/helpers/fixtures";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { dataPath, handle } from "tests/helpers/app";
import { prisma, unchangedBy } from "tests/helpers/db";
import { checkoutToken, customerAccountToken, EXTENSION_ORIGIN } from "tests/helpers/extension-tokens";
import { addKeys, createTag } from "tests/helpers/library";
import { seedOrderWithKeys } from "tests/helpers/orders";
import { randomUUID } from "node:crypto";
import {
  adminRequest,
  BROWSER_UA,
  sessionToken,
  signJwt,
  TEST_API_KEY,
  TEST_API_SECRET,
  TEST_APP_URL,
  TEST_SHOP,
  webhookRequest,
} from "tests/helpers/shopify";

const ORDER_ID = 5_700_000_000_001n;
const CUSTOMER = 7_700_000_000_001n;

let tagId: number;
let keyIds: number[];

beforeAll(async () => {
  const seeded = await seedOrderWithKeys({
    shop: TEST_SHOP,
    shopifyId: ORDER_ID,
    customerId: CUSTOMER,
    confirmationNumber: "CREDCONF1",
    lines: [{ title: "Suite", keys: ["CRED-ORDER-KEY-1"] }],
  });
  const tag = await createTag(seeded.shop.id, "credentials");
  tagId = tag.id;
  keyIds = await addKeys(seeded.shop.id, ["CRED-1", "CRED-2", "CRED-1"], { tagIds: [tag.id] });
  // Load the server build once here rather than inside the first test's time budget.
  await handle(adminRequest(dataPath("/app", "routes/app._index"), { shop: TEST_SHOP }));
});

describe("admin actions with forged session tokens", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const tokens: Array<[string, () => string | null]> = [
    ["signed with another secret", () => sessionToken({ shop: TEST_SHOP, secret: "not-the-app-secret" })],
    ["for another app (audience)", () => sessionToken({ shop: TEST_SHOP, aud: "someone-elses-api-key" })],
    ["expired", () => sessionToken({ shop: TEST_SHOP, expiresIn: -120, notBeforeIn: -180 })],
    ["not valid yet", () => sessionToken({ shop: TEST_SHOP, notBeforeIn: 600, expiresIn: 900 })],
    ["with alg none", () => {
      const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
      return `${part({ alg: "none", typ: "JWT" })}.${part({ dest: `https://${TEST_SHOP}`, aud: "keyshelf-test-api-key", exp: now() + 60, nbf: now() - 5 })}.`;
    }],
    ["truncated", () => sessionToken({ shop: TEST_SHOP }).split(".").slice(0, 2).join(".")],
    ["missing", () => null],
  ];
  const actions: Array<[string, () => Request]> = [];
  const build = (token: string | null, pathname: string, routeId: string, form: Record<string, string>) => {
    const request = adminRequest(dataPath(pathname, routeId), { shop: TEST_SHOP, form, token: token ?? "x" });
    if (token === null) request.headers.delete("Authorization");
    return request;
  };
  for (const [label, token] of tokens) {
    actions.push(
      [`delete-tag, token ${label}`, () => build(token(), `/app/tags/${tagId}`, "routes/app.tags.$tagId", { intent: "delete-tag" })],
      [`delete-keys, token ${label}`, () => build(token(), `/app/tags/${tagId}`, "routes/app.tags.$tagId", { intent: "delete-keys", scope: "ids", ids: keyIds.join(",") })],
      [`clean-up-duplicates, token ${label}`, () => build(token(), `/app/tags/${tagId}`, "routes/app.tags.$tagId", { intent: "clean-up-duplicates" })],
      [`start export, token ${label}`, () => build(token(), "/app/exports", "routes/app.exports._index", { intent: "start" })],
    );
  }

  it.each(actions)("%s: refused and nothing changes", async (label, request) => {
    const { status, headers } = await unchangedBy(() => handle(request()));
    if (label.endsWith("token missing")) {
      // No token at all: the library bounces to the session-token page (a data request gets Remix's redirect).
      expect(status).toBe(204);
      expect(headers.get("X-Remix-Redirect")).toMatch(/^\/auth\//);
    } else {
      expect(status).toBe(401);
      expect(headers.get("X-Shopify-Retry-Invalid-Session-Request")).toBe("1");
    }
  });

  it("a valid token for a shop that never installed the app changes nothing", async () => {
    const { status } = await unchangedBy(() =>
      handle(adminRequest(dataPath(`/app/tags/${tagId}`, "routes/app.tags.$tagId"), { shop: "never-installed.myshopify.com", form: { intent: "delete-tag" } })).catch(
        (error: unknown) => (error instanceof Response ? error : new Response(String(error), { status: 599 })),
      ),
    );
    // Without a stored session the library would exchange the token with Shopify: the test's fetch guard refuses that,
    // so the request must fail closed (never 2xx) rather than act.
    expect(status).not.toBeLessThan(300);
  });
});

describe("tokens of another kind, signed with the app's own secret", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const base = () => ({ aud: TEST_API_KEY, exp: now() + 60, nbf: now() - 5, iat: now() - 5, jti: randomUUID() });
  const admin = (change: Record<string, unknown>) =>
    signJwt({ ...base(), iss: `https://${TEST_SHOP}/admin`, dest: `https://${TEST_SHOP}`, sub: "70000001", sid: randomUUID(), ...change });
  const notAdmin: Array<[string, () => string]> = [
    ["a customer-account token with an https:// dest", () => customerAccountToken({ shop: TEST_SHOP, customerId: CUSTOMER, dest: "url" })],
    ["a customer-account token with a bare dest", () => customerAccountToken({ shop: TEST_SHOP, customerId: CUSTOMER, dest: "bare" })],
    ["a checkout token of a signed-out buyer", () => checkoutToken({ shop: TEST_SHOP, dest: "url" })],
    ["an admin-shaped token without a session id", () => admin({ sid: undefined })],
    ["an admin-shaped token without a staff member", () => admin({ sub: undefined })],
    ["an admin-shaped token whose sub is a customer", () => admin({ sub: `gid://shopify/Customer/${CUSTOMER}` })],
    ["an admin-shaped token without an issuer", () => admin({ iss: undefined })],
    ["an admin-shaped token issued by another shop's admin", () => admin({ iss: "https://other-shop.myshopify.com/admin" })],
    ["an admin-shaped token whose dest is not a myshopify domain", () => admin({ dest: "https://evil.example.com", iss: "https://evil.example.com/admin" })],
    ["an admin-shaped token with a bare dest", () => admin({ dest: TEST_SHOP })],
  ];
  const requests = notAdmin.flatMap(([label, token]) => [
    [`${label}: delete-tag`, () => adminRequest(dataPath(`/app/tags/${tagId}`, "routes/app.tags.$tagId"), { shop: TEST_SHOP, token: token(), form: { intent: "delete-tag" } })],
    [`${label}: export download`, () => adminRequest(dataPath(`/app/exports/download?tagId=${tagId}`, "routes/app.exports.download"), { shop: TEST_SHOP, token: token() })],
    [`${label}: the tag's keys`, () => adminRequest(dataPath(`/app/tags/${tagId}`, "routes/app.tags.$tagId"), { shop: TEST_SHOP, token: token() })],
  ] as Array<[string, () => Request]>);

  it.each(requests)("admin route, %s: 401, no keys, nothing changes", async (_label, request) => {
    const { status, body } = await unchangedBy(() =>
      handle(request()).catch((error: unknown) => (error instanceof Response ? error : Promise.reject(error))),
    );
    expect(status).toBe(401);
    expect(body).not.toContain("CRED-1");
  });

  it("the same requests with a genuine admin token are answered (the refusals are about the kind)", async () => {
    const response = await handle(adminRequest(dataPath(`/app/tags/${tagId}`, "routes/app.tags.$tagId"), { shop: TEST_SHOP, token: admin({}) }));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("CRED-1");
  });

  it.each([
    ["customer account", `/api/customer-account/orders/${ORDER_ID}/licence-keys`],
    ["checkout", `/api/checkout/orders/${ORDER_ID}/licence-keys?confirmation=CREDCONF1`],
  ])("%s endpoint with an admin session token: 401, no keys, nothing marked Used", async (_label, pathname) => {
    const { status, body } = await unchangedBy(() =>
      handle(new Request(new URL(pathname, TEST_APP_URL), { headers: { "User-Agent": BROWSER_UA, Origin: EXTENSION_ORIGIN, Authorization: `Bearer ${admin({})}` } })),
    );
    expect(status).toBe(401);
    expect(body).not.toContain("CRED-ORDER-KEY-1");
  });
});

describe("customer-facing endpoints with forged tokens", () => {
  const ask = (kind: "customer" | "checkout", token: string | null) => {
    const url =
      kind === "customer"
        ? new URL(`/api/customer-account/orders/${ORDER_ID}/licence-keys`, TEST_APP_URL)
        : new URL(`/api/checkout/orders/${ORDER_ID}/licence-keys?confirmation=CREDCONF1`, TEST_APP_URL);
    const headers: Record<string, string> = { "User-Agent": BROWSER_UA, Origin: EXTENSION_ORIGIN };
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    return new Request(url, { headers });
  };
  const forge = { customer: customerAccountToken, checkout: checkoutToken };
  const cases = (["customer", "checkout"] as const).flatMap((kind) => [
    [kind, "another secret", () => forge[kind]({ shop: TEST_SHOP, customerId: CUSTOMER, secret: "wrong" })],
    [kind, "another audience", () => forge[kind]({ shop: TEST_SHOP, customerId: CUSTOMER, aud: "other-app" })],
    [kind, "expired", () => forge[kind]({ shop: TEST_SHOP, customerId: CUSTOMER, expiresIn: -60 })],
    [kind, "missing", () => null],
    [kind, "garbage", () => "a.b.c"],
  ] as Array<[typeof kind, string, () => string | null]>);

  it.each(cases)("%s endpoint, token %s: 401, no keys, nothing marked Used", async (kind, _label, token) => {
    const { status, body } = await unchangedBy(() => handle(ask(kind, token())));
    expect(status).toBe(401);
    expect(body).not.toContain("CRED-ORDER-KEY-1");
  });
});

describe("webhook deliveries", () => {
  const routes = readdirSync(path.resolve("app/routes"))
    .filter((file) => file.startsWith("webhooks.") && file.endsWith(".tsx"))
    .map((file) => file.replace(/^webhooks\./, "").replace(/\.tsx$/, "").replace(/\./g, "/"));
  const order = JSON.parse(readFileSync(`${FIXTURES_DIR}/orders-create-shipping.json`, "utf8")) as Record<string, unknown>;

  it("covers every webhook route", () => {
    expect(routes).toEqual(expect.arrayContaining(["orders/create", "app/uninstalled", "shop/redact", "customers/redact"]));
  });

  const variants: Array<[string, (topic: string) => Request, number[]]> = [
    ["signed with another secret", (topic) => webhookRequest({ topic, shop: TEST_SHOP, payload: order, secret: "not-the-secret" }), [401]],
    [
      "HMAC of a different body",
      (topic) => {
        const request = webhookRequest({ topic, shop: TEST_SHOP, payload: order });
        return new Request(request.url, { method: "POST", headers: request.headers, body: JSON.stringify({ ...order, id: 1 }) });
      },
      [401],
    ],
    [
      "HMAC not base64",
      (topic) => {
        const request = webhookRequest({ topic, shop: TEST_SHOP, payload: order });
        const headers = new Headers(request.headers);
        headers.set("X-Shopify-Hmac-Sha256", "%%%not-base64%%%");
        return new Request(request.url, { method: "POST", headers, body: JSON.stringify(order) });
      },
      [401],
    ],
    ["without an HMAC header", (topic) => webhookRequest({ topic, shop: TEST_SHOP, payload: order, omitHeaders: ["X-Shopify-Hmac-Sha256"] }), [400, 401]],
    ["without a topic header", (topic) => webhookRequest({ topic, shop: TEST_SHOP, payload: order, omitHeaders: ["X-Shopify-Topic"] }), [400]],
    ["without a shop header", (topic) => webhookRequest({ topic, shop: TEST_SHOP, payload: order, omitHeaders: ["X-Shopify-Shop-Domain"] }), [400]],
    ["without a webhook id", (topic) => webhookRequest({ topic, shop: TEST_SHOP, payload: order, omitHeaders: ["X-Shopify-Webhook-Id"] }), [400]],
    ["valid HMAC over malformed JSON", (topic) => webhookRequest({ topic, shop: TEST_SHOP, rawBody: '{"id": 5700000000001, "line_items": [' }), [400]],
    ["valid HMAC over an empty body", (topic) => webhookRequest({ topic, shop: TEST_SHOP, rawBody: "" }), [400]],
    [
      "valid HMAC over 12 MB of JSON",
      (topic) => webhookRequest({ topic, shop: TEST_SHOP, rawBody: JSON.stringify({ id: 1, note: "x".repeat(12 * 1024 * 1024) }) }),
      [413],
    ],
  ];
  // Topics whose work depends on the payload's fields: a signed body without them is a bad request.
  // (app/uninstalled, app/scopes_update and shop/redact act on the signed shop header alone.)
  const payloadVariants: typeof variants = [
    ["valid HMAC over a JSON string", (topic) => webhookRequest({ topic, shop: TEST_SHOP, rawBody: '"hello"' }), [400]],
    ["valid HMAC over JSON null", (topic) => webhookRequest({ topic, shop: TEST_SHOP, rawBody: "null" }), [400]],
    ["valid HMAC over an array", (topic) => webhookRequest({ topic, shop: TEST_SHOP, rawBody: "[1,2,3]" }), [400]],
  ];
  const readsPayload = (route: string) => /^(orders|refunds|customers)\//.test(route);

  const cases = routes.flatMap((route) =>
    [...variants, ...(readsPayload(route) ? payloadVariants : [])].map(([label, request, statuses]) => [route, label, request, statuses] as const),
  );
  it.each(cases)("%s, %s: refused, nothing stored", async (route, _label, request, statuses) => {
    const { status } = await unchangedBy(() => handle(request(route)));
    expect(statuses).toContain(status);
  });

  it("the same delivery correctly signed is accepted (the refusals above are not a broken route)", async () => {
    const response = await handle(webhookRequest({ topic: "orders/create", shop: TEST_SHOP, payload: order }));
    expect(response.status).toBe(200);
    expect(await prisma.webhookEvent.count()).toBeGreaterThan(0);
    expect(TEST_API_SECRET).toBeTruthy();
  });
});
