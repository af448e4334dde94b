// Hostile input on every surface, through the real Remix handler: NUL bytes and control characters,
// numbers beyond the column types (int4 ids, int8 Shopify ids, quantities), malformed cursors, search
// terms over the limit, odd upload file names and signed webhooks no real store sends. Every one gets a
// clear 4xx (a webhook: a 4xx, or a 200 that records and ignores an impossible delivery), never a 500,
// and a request that was refused changes not one row.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { dataPath, handle } from "tests/helpers/app";
import { unchangedBy } from "tests/helpers/db";
import { checkoutToken, customerAccountToken, EXTENSION_ORIGIN } from "tests/helpers/extension-tokens";
import { FIXTURES_DIR } from "tests/helpers/fixtures";
import { addKeys, createTag } from "tests/helpers/library";
import { seedOrderWithKeys } from "tests/helpers/orders";
import { adminRequest, BROWSER_UA, TEST_APP_URL, TEST_SHOP, webhookRequest } from "tests/helpers/shopify";

const ORDER_ID = 5_800_000_000_001n;
const CUSTOMER = 7_800_000_000_001n;
const INT4_OVER = "2147483648";
const INT8_OVER = "9223372036854775808";
const HUGE = "9".repeat(40);
const NUL = "\u0000";

let tagId: number;
let orderRowId: number;
let keyIds: number[];

beforeAll(async () => {
  const seeded = await seedOrderWithKeys({
    shop: TEST_SHOP,
    shopifyId: ORDER_ID,
    customerId: CUSTOMER,
    confirmationNumber: "INPUTCONF1",
    lines: [{ title: "Suite", keys: ["INPUT-ORDER-KEY-1"] }],
  });
  orderRowId = seeded.order.id;
  tagId = (await createTag(seeded.shop.id, "hostile")).id;
  keyIds = await addKeys(seeded.shop.id, ["HOSTILE-1", "HOSTILE-2"], { tagIds: [tagId] });
  await handle(adminRequest(dataPath("/app", "routes/app._index"), { shop: TEST_SHOP }));
});

const get = (pathAndQuery: string, routeId: string) => adminRequest(dataPath(pathAndQuery, routeId), { shop: TEST_SHOP });
const post = (pathname: string, routeId: string, form: Record<string, string>) =>
  adminRequest(dataPath(pathname, routeId), { shop: TEST_SHOP, form });
const q = (value: string) => encodeURIComponent(value);
const TAG = "routes/app.tags.$tagId";

/** Whatever a request answers, as a Response (a thrown Response is the route's answer too). */
async function answer(request: Request) {
  return handle(request).catch((error: unknown) => {
    if (error instanceof Response) return error;
    throw error;
  });
}

describe("admin pages and data requests with hostile query strings and ids", () => {
  const cases: Array<[string, () => Request, number[]]> = [
    ["overview search with a NUL byte", () => get(`/app?q=${q(`ab${NUL}c`)}`, "routes/app._index"), [400]],
    ["overview sort with a NUL byte", () => get(`/app?sort=${q(NUL)}`, "routes/app._index"), [200, 400]],
    ["overview page beyond any number", () => get(`/app?page=${HUGE}`, "routes/app._index"), [200, 400]],
    ["activity cursor with a NUL byte", () => get(`/app/activity?after=${q(NUL)}`, "routes/app.activity"), [200, 400]],
    ["activity cursor beyond int8", () => get(`/app/activity?after=${HUGE}`, "routes/app.activity"), [200, 400]],
    ["activity cursor negative", () => get(`/app/activity?before=-5`, "routes/app.activity"), [200, 400]],
    ["tag id beyond int4", () => get(`/app/tags/${INT4_OVER}`, TAG), [404]],
    ["tag id with a NUL byte", () => get(`/app/tags/${q(`1${NUL}`)}`, TAG), [404]],
    ["tag id as an exponent", () => get(`/app/tags/1e3`, TAG), [404]],
    ["tag search with a NUL byte", () => get(`/app/tags/${tagId}?q=${q(`HOST${NUL}`)}`, TAG), [400]],
    ["tag status with a NUL byte", () => get(`/app/tags/${tagId}?status=${q(`PENDING${NUL}`)}`, TAG), [200, 400]],
    ["tag cursor beyond int4", () => get(`/app/tags/${tagId}?after=${INT4_OVER}`, TAG), [200, 400]],
    ["order id beyond int4", () => get(`/app/orders/${INT4_OVER}`, "routes/app.orders.$orderId"), [404]],
    ["order id with a NUL byte", () => get(`/app/orders/${q(`1${NUL}`)}`, "routes/app.orders.$orderId"), [404]],
    ["orders list with NUL bytes in every parameter", () => get(`/app/orders?view=${q(NUL)}&page=${q(NUL)}&q=${q(NUL)}`, "routes/app.orders"), [200, 400]],
    ["orders list page beyond any number", () => get(`/app/orders?page=${HUGE}`, "routes/app.orders"), [200, 400]],
    ["export job id beyond int4", () => get(`/app/exports/${INT4_OVER}`, "routes/app.exports.$id"), [404]],
    ["export job id with a NUL byte", () => get(`/app/exports/${q(`1${NUL}`)}`, "routes/app.exports.$id"), [404]],
    ["export download with a NUL byte in the search", () => get(`/app/exports/download?tagId=${tagId}&q=${q(NUL)}`, "routes/app.exports.download"), [400, 422]],
    ["export download of a tag beyond int4", () => get(`/app/exports/download?tagId=${INT4_OVER}`, "routes/app.exports.download"), [400, 404, 422]],
    ["export preview with a NUL byte in the search", () => get(`/app/exports/preview?tagId=${tagId}&q=${q(NUL)}`, "routes/app.exports.preview"), [400, 422]],
    ["import from a tag named with a NUL byte", () => get(`/app/import?tag=${q(NUL)}`, "routes/app.import"), [200, 400]],
    ["import preview of a batch beyond int4", () => get(`/app/import?batch=${INT4_OVER}`, "routes/app.import"), [404]],
    ["import preview of a batch with a NUL byte", () => get(`/app/import?batch=${q(`1${NUL}`)}`, "routes/app.import"), [404]],
    ["signed export link with a NUL byte", () => new Request(new URL(`/exports/${q(`abc${NUL}`)}`, TEST_APP_URL), { headers: { "User-Agent": BROWSER_UA } }), [400, 403, 404, 410]],
    ["signed export link of a job id beyond int4", () => new Request(new URL(`/exports/${INT4_OVER}.${"a".repeat(43)}`, TEST_APP_URL), { headers: { "User-Agent": BROWSER_UA } }), [400, 403, 404, 410]],
  ];
  it.each(cases)("%s: a clear 4xx, nothing changed", async (_label, request, statuses) => {
    const { status } = await unchangedBy(() => answer(request()));
    expect(statuses).toContain(status);
  });
});

describe("admin actions with hostile form fields", () => {
  const cases: Array<[string, () => Request, number[]]> = [
    ["delete a key id beyond int4", () => post(`/app/tags/${tagId}`, TAG, { intent: "delete-key", keyId: INT4_OVER }), [404]],
    ["delete a key id with a NUL byte", () => post(`/app/tags/${tagId}`, TAG, { intent: "delete-key", keyId: `1${NUL}` }), [404]],
    ["bulk delete ids beyond int4", () => post(`/app/tags/${tagId}`, TAG, { intent: "delete-keys", scope: "ids", ids: `${keyIds[0]},${INT4_OVER}` }), [400, 404, 422]],
    ["bulk delete all matching a NUL byte", () => post(`/app/tags/${tagId}`, TAG, { intent: "delete-keys", scope: "all", q: `HOST${NUL}` }), [400, 422]],
    ["bulk delete all matching an over-long search", () => post(`/app/tags/${tagId}`, TAG, { intent: "delete-keys", scope: "all", q: "H".repeat(300) }), [400, 422]],
    ["move to a tag id beyond int4", () => post(`/app/tags/${tagId}`, TAG, { intent: "move-keys", scope: "ids", ids: String(keyIds[0]), destination: INT4_OVER }), [404, 422]],
    ["add a tag id with a NUL byte", () => post(`/app/tags/${tagId}`, TAG, { intent: "add-tags", scope: "ids", ids: String(keyIds[0]), tagId: `1${NUL}` }), [404, 422]],
    ["rename to a name with a NUL byte", () => post(`/app/tags/${tagId}`, TAG, { intent: "rename", name: `abc${NUL}` }), [400, 422]],
    ["an intent with a NUL byte", () => post(`/app/tags/${tagId}`, TAG, { intent: `rename${NUL}` }), [400]],
    ["order key action on a key id beyond int4", () => post(`/app/orders/${orderRowId}`, "routes/app.orders.$orderId", { intent: "revoke", keyId: INT4_OVER }), [400, 404]],
    ["link a product id beyond int8", () => post(`/app/products`, "routes/app.products", { intent: "link", items: JSON.stringify([{ productId: INT8_OVER, variantId: null }]), source: "tag", tagId: String(tagId), keysPerUnit: "1" }), [404, 422]],
    ["link a product from a tag id beyond int4", () => post(`/app/products`, "routes/app.products", { intent: "link", items: JSON.stringify([{ productId: "123", variantId: null }]), source: "tag", tagId: INT4_OVER, keysPerUnit: "1" }), [404, 422]],
    ["link with a product title holding a NUL byte", () => post(`/app/products`, "routes/app.products", { intent: "link", items: JSON.stringify([{ productId: "123", variantId: null, productTitle: `Suite${NUL}` }]), source: "tag", tagId: String(tagId), keysPerUnit: "1" }), [422]],
    ["keys per unit beyond any number", () => post(`/app/products`, "routes/app.products", { intent: "link", items: JSON.stringify([{ productId: "123", variantId: null }]), source: "tag", tagId: String(tagId), keysPerUnit: HUGE }), [422]],
    ["product link id beyond int4", () => post(`/app/products`, "routes/app.products", { intent: "remove", linkId: INT4_OVER }), [404]],
    ["report email with a NUL byte", () => post(`/app/settings`, "routes/app.settings", { intent: "settings", assignTrigger: "ORDER_CREATED", cancelPolicy: "KEEP", reportEmail: `a${NUL}@example.com` }), [400, 422]],
    ["threshold for a tag id beyond int4", () => post(`/app/settings`, "routes/app.settings", { intent: "thresholds", [`threshold:${INT4_OVER}`]: "5" }), [404]],
    ["threshold beyond int4", () => post(`/app/settings`, "routes/app.settings", { intent: "thresholds", [`threshold:${tagId}`]: INT4_OVER }), [400, 422]],
    ["export with a NUL byte in the search", () => post(`/app/exports`, "routes/app.exports._index", { intent: "start", tagId: String(tagId), q: NUL }), [400, 422]],
    ["export of a tag id beyond int4", () => post(`/app/exports`, "routes/app.exports._index", { intent: "start", tagId: INT4_OVER }), [404, 422]],
    ["retry a mail id with a NUL byte", () => post(`/app/exports`, "routes/app.exports._index", { intent: "retry-mail", mailId: `1${NUL}` }), [404]],
    ["commit an import batch beyond int4", () => post(`/app/import`, "routes/app.import", { intent: "commit", batchId: INT4_OVER, duplicates: "skip" }), [404]],
    ["discard an import batch with a NUL byte", () => post(`/app/import`, "routes/app.import", { intent: "discard", batchId: `1${NUL}` }), [404]],
  ];
  it.each(cases)("%s: a clear 4xx, nothing changed", async (_label, request, statuses) => {
    const { status } = await unchangedBy(() => answer(request()));
    expect(statuses).toContain(status);
  });
});

describe("key uploads with odd file names", () => {
  const names = ["keys=1.csv", "keys;2.csv", 'ke"ys.csv', "a;b=c; filename=evil.csv", "k\u00e9ys \u2603.txt", `${"k".repeat(300)}.csv`];
  it.each(names)("uploading %j gives a preview", async (fileName) => {
    const form = new FormData();
    form.append("intent", "upload");
    form.append("source", "file");
    form.append("file", new File(["ODD-NAME-KEY-1\nODD-NAME-KEY-2\n"], fileName, { type: "text/csv" }));
    const response = await answer(adminRequest(dataPath("/app/import", "routes/app.import"), { shop: TEST_SHOP, form }));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { ok: boolean; batchId: number };
    expect(body.ok).toBe(true);
    const preview = await answer(get(`/app/import?batch=${body.batchId}`, "routes/app.import"));
    expect(preview.status).toBe(200);
    expect(await preview.text()).toContain("ODD-NAME-KEY-1");
  });
});

describe("customer-facing endpoints with hostile ids", () => {
  const ask = (path: string, token: string) =>
    new Request(new URL(path, TEST_APP_URL), { headers: { "User-Agent": BROWSER_UA, Origin: EXTENSION_ORIGIN, Authorization: `Bearer ${token}` } });
  const customer = () => customerAccountToken({ shop: TEST_SHOP, customerId: CUSTOMER });
  const checkout = () => checkoutToken({ shop: TEST_SHOP, customerId: CUSTOMER });
  const cases: Array<[string, () => Request]> = [
    ["customer account, order id beyond int8", () => ask(`/api/customer-account/orders/${INT8_OVER}/licence-keys`, customer())],
    ["customer account, order id with a NUL byte", () => ask(`/api/customer-account/orders/${q(`1${NUL}`)}/licence-keys`, customer())],
    ["checkout, order id beyond int8", () => ask(`/api/checkout/orders/${INT8_OVER}/licence-keys?confirmation=INPUTCONF1`, checkout())],
    ["checkout, confirmation with a NUL byte", () => ask(`/api/checkout/orders/${ORDER_ID}/licence-keys?confirmation=${q(`INPUT${NUL}`)}`, checkout())],
  ];
  it.each(cases)("%s: a 4xx, no keys, nothing marked Used", async (_label, request) => {
    const { status, body } = await unchangedBy(() => answer(request()));
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect(body).not.toContain("INPUT-ORDER-KEY-1");
  });
});

describe("signed webhooks with values no real store sends", () => {
  const order = JSON.parse(readFileSync(`${FIXTURES_DIR}/orders-create-shipping.json`, "utf8")) as Record<string, unknown> & {
    line_items: Array<Record<string, unknown>>;
  };
  const withLine = (change: Record<string, unknown>) => ({ ...order, line_items: [{ ...order.line_items[0], ...change }] });
  const deliveries: Array<[string, string, unknown, string?]> = [
    ["orders/create", "an order id beyond int8", { ...order, id: Number(INT8_OVER) * 10 }],
    ["orders/create", "an order id as a string beyond int8", { ...order, id: INT8_OVER }],
    ["orders/create", "a line quantity beyond int4", withLine({ quantity: 2 ** 40 })],
    ["orders/create", "a product id beyond int8", withLine({ product_id: 1e30 })],
    ["orders/create", "a line id of 1e300", withLine({ id: 1e300 })],
    ["orders/create", "a title with a NUL byte", withLine({ title: `Suite${NUL}` })],
    ["orders/create", "a customer id beyond int8", { ...order, customer: { id: 1e25 } }],
    ["orders/paid", "an order id beyond int8", { ...order, id: 1e25 }],
    ["orders/cancelled", "an order id beyond int8", { ...order, id: 1e25 }],
    ["refunds/create", "ids beyond int8", { id: 1e25, order_id: 1e25, refund_line_items: [{ line_item_id: 1e25, quantity: 2 ** 40 }] }],
    ["customers/redact", "ids beyond int8", { shop_domain: TEST_SHOP, customer: { id: 1e25 }, orders_to_redact: [1e25] }],
    ["customers/data_request", "ids beyond int8", { shop_domain: TEST_SHOP, customer: { id: 1e25 }, orders_requested: [1e25] }],
    ["orders/create", "from a shop that is not a myshopify domain", order, "evil.example.com"],
    ["app/uninstalled", "from a shop that is not a myshopify domain", {}, "evil.example.com"],
    ["shop/redact", "from a shop that is not a myshopify domain", { shop_domain: "evil.example.com" }, "evil.example.com"],
    ["orders/create", "from a shop domain with a NUL byte", order, `${TEST_SHOP}${NUL}`],
  ];
  it.each(deliveries)("%s with %s: a 4xx, or a 200 that records it and does nothing else", async (topic, _label, payload, shop = TEST_SHOP) => {
    let request: Request;
    try {
      request = webhookRequest({ topic, shop, payload });
    } catch (error) {
      // A header value fetch cannot carry (a NUL byte) never reaches the app at all.
      expect(String(error)).toMatch(/header/i);
      return;
    }
    // webhook_event may gain the delivery's id, so that Shopify's redeliveries are answered at once.
    const { status } = await unchangedBy(() => answer(request), { except: ["webhook_event"] });
    expect(status === 200 || (status >= 400 && status < 500)).toBe(true);
  });
});

describe("request bodies over their route's limit", () => {
  /** A body of `total` bytes that counts what the server pulled from it. */
  const counted = (total: number, chunk = 64 * 1024) => {
    const state = { pulled: 0 };
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (state.pulled >= total) return controller.close();
        state.pulled += chunk;
        controller.enqueue(new Uint8Array(chunk).fill(0x61));
      },
    });
    return { stream, state };
  };
  const streamed = (pathname: string, routeId: string, contentType: string, body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}) => {
    const base = adminRequest(dataPath(pathname, routeId), { shop: TEST_SHOP });
    return new Request(base.url, {
      method: "POST",
      headers: { Authorization: base.headers.get("Authorization")!, "User-Agent": BROWSER_UA, "Content-Type": contentType, ...headers },
      body,
      duplex: "half",
    } as RequestInit);
  };

  it.each([
    ["a tag action", `/app/tags/{tag}`, TAG],
    ["settings", "/app/settings", "routes/app.settings"],
    ["product links", "/app/products", "routes/app.products"],
    ["exports", "/app/exports", "routes/app.exports._index"],
    ["an order's keys", `/app/orders/{order}`, "routes/app.orders.$orderId"],
  ])("%s: a 200 MB form without a length is cut off at the form limit (413), read no further, nothing changed", async (_label, pathname, routeId) => {
    const { stream, state } = counted(200 * 1024 * 1024);
    const url = pathname.replace("{tag}", String(tagId)).replace("{order}", String(orderRowId));
    const { status } = await unchangedBy(() => answer(streamed(url, routeId, "application/x-www-form-urlencoded", stream)));
    expect(status).toBe(413);
    expect(state.pulled).toBeLessThan(1024 * 1024);
  });

  it("a form that declares 200 MB is refused before a byte is read", async () => {
    const { stream, state } = counted(200 * 1024 * 1024);
    const { status } = await unchangedBy(() =>
      answer(streamed(`/app/tags/${tagId}`, TAG, "application/x-www-form-urlencoded", stream, { "Content-Length": String(200 * 1024 * 1024) })),
    );
    expect(status).toBe(413);
    expect(state.pulled).toBeLessThanOrEqual(64 * 1024 * 2);
  });

  it("a key upload streams: a file over the upload limit is refused as too large, the rest of it drained, nothing imported", async () => {
    const boundary = "----keyshelf-hostile";
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="intent"\r\n\r\nupload\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big;=.csv"\r\nContent-Type: text/csv\r\n\r\n`;
    const { stream: file, state } = counted(101 * 1024 * 1024);
    const encoder = new TextEncoder();
    const reader = file.getReader();
    let sentHead = false;
    let ended = false;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (!sentHead) {
          sentHead = true;
          return controller.enqueue(encoder.encode(head));
        }
        if (ended) return controller.close();
        const { done, value } = await reader.read();
        if (done) {
          ended = true;
          return controller.enqueue(encoder.encode(`\r\n--${boundary}--\r\n`));
        }
        controller.enqueue(value.map((byte, i) => (i % 40 === 39 ? 0x0a : byte)));
      },
    });
    const { status, body: text } = await unchangedBy(() =>
      answer(streamed("/app/import", "routes/app.import", `multipart/form-data; boundary=${boundary}`, body)),
    );
    expect(status).toBe(413);
    expect(text).toMatch(/larger than|too large/i);
    expect(state.pulled).toBeGreaterThan(100 * 1024 * 1024);
  });

  it("a multipart form with a field past its limit is a 413, nothing changed", async () => {
    const form = new FormData();
    form.append("intent", "upload");
    form.append("tags", "a".repeat(64 * 1024));
    form.append("file", new File(["FIELD-LIMIT-KEY\n"], "keys.csv", { type: "text/csv" }));
    const { status } = await unchangedBy(() => answer(adminRequest(dataPath("/app/import", "routes/app.import"), { shop: TEST_SHOP, form })));
    expect(status).toBe(413);
  });
});

describe("admin answers are never cached", () => {
  it.each([
    ["the tag's key list (data)", () => get(`/app/tags/${tagId}`, TAG)],
    ["the overview (data)", () => get("/app?q=hostile", "routes/app._index")],
    ["an order's keys (data)", () => get(`/app/orders/${orderRowId}`, "routes/app.orders.$orderId")],
    ["a tag action's answer", () => post(`/app/tags/${tagId}`, TAG, { intent: "preview-key", keyId: String(keyIds[0]) })],
    ["the tag's page (document)", () => adminRequest(`/app/tags/${tagId}?embedded=1&shop=${TEST_SHOP}`, { shop: TEST_SHOP })],
    ["an order's page (document)", () => adminRequest(`/app/orders/${orderRowId}?embedded=1&shop=${TEST_SHOP}`, { shop: TEST_SHOP })],
  ])("%s: Cache-Control: no-store", async (_label, request) => {
    const response = await answer(request());
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(body).toMatch(/HOSTILE-1|INPUT-ORDER-KEY-1|"hostile"/);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
  });
});
