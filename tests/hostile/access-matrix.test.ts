// The access matrix: every admin route and action, called by shop A with shop B's ids, answers 404 (or
// reveals nothing, for routes that take no id) and leaves every row of shop B exactly as it was. Every
// customer-facing endpoint called as another customer or another shop reveals nothing and marks nothing
// Used. A route file under app/routes/app.* that the matrix does not list fails the first test, so the
// matrix cannot fall behind the app.
import { readdirSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { beforeAll, describe, expect, it } from "vitest";
import { dataPath, handle } from "tests/helpers/app";
import { prisma } from "tests/helpers/db";
import { checkoutToken, customerAccountToken, EXTENSION_ORIGIN } from "tests/helpers/extension-tokens";
import { addKeys, createTag } from "tests/helpers/library";
import { seedOrderWithKeys } from "tests/helpers/orders";
import { adminRequest, BROWSER_UA, installShop, OTHER_SHOP, TEST_APP_URL, TEST_SHOP } from "tests/helpers/shopify";
import { stageKeyImport } from "~/models/key-import.server";

// What shop B holds; none of these strings may ever reach shop A.
const SECRET_TAG = "bravosecret";
const SECRET_KEYS = ["BRAVO-SECRET-KEY-0001", "BRAVO-SECRET-KEY-0002", "BRAVO-SECRET-KEY-0003"];
const SECRET_ORDER_NAME = "#BRAVO-9001";
const SECRET_EMAIL = "secret-buyer@bravo.example";
const SECRET_STAGED = "BRAVO-STAGED-KEY-77";
const SECRET_MAIL_SUBJECT = "Bravo private export";
const MARKERS = [SECRET_TAG, ...SECRET_KEYS, SECRET_ORDER_NAME, SECRET_EMAIL, SECRET_STAGED, SECRET_MAIL_SUBJECT];

const B_ORDER_SHOPIFY_ID = 5_900_000_000_001n;
const B_CUSTOMER = 7_900_000_000_001n;
const B_CONFIRMATION = "BRAVOCONF1";

interface Ids {
  aTag: number;
  aKey: number;
  bTag: number;
  bKeys: number[];
  bOrderKey: number;
  bOrder: number;
  bExportJob: number;
  bMail: number;
  bBatch: number;
  bAuditCursor: string;
  bProductLink: number;
  bOrderShopifyId: bigint;
}

type Expect = "not-found" | "no-leak";
interface Case {
  name: string;
  request: (ids: Ids) => Request;
  expect: Expect;
  /** Other statuses that are this route's own "not found" for a secondary id (a destination tag). */
  alsoAccept?: number[];
  /** A closer look at the answer, where a marker is echoed back by design. */
  check?: (body: string) => void;
}

const shopA = { shop: TEST_SHOP };
const get = (url: string, routeId: string) => adminRequest(dataPath(url, routeId), shopA);
const post = (url: string, routeId: string, form: Record<string, string | string[]>) =>
  adminRequest(dataPath(url, routeId), { ...shopA, form });

const TAG = "routes/app.tags.$tagId";
const ORDER = "routes/app.orders.$orderId";
const tagIntent = (intent: string, extra: (ids: Ids) => Record<string, string | string[]> = () => ({})) => ({
  // Shop B's tag in the URL: every intent must stop at the tag.
  onForeignTag: {
    name: `${intent} on shop B's tag`,
    request: (ids: Ids) => post(`/app/tags/${ids.bTag}`, TAG, { intent, ...extra(ids) }),
    expect: "not-found" as const,
  },
});
const selectionOfB = (ids: Ids) => ({ scope: "ids", ids: ids.bKeys.join(",") });

/** One entry per route file under app/routes/app.*; keyed by file name. */
const MATRIX: Record<string, Case[]> = {
  "app.tsx": [{ name: "layout loader", request: () => get("/app", "routes/app"), expect: "no-leak" }],
  "app._index.tsx": [
    { name: "overview", request: () => get("/app", "routes/app._index"), expect: "no-leak" },
    {
      name: "overview searched for B's tag",
      request: () => get(`/app?q=${SECRET_TAG}`, "routes/app._index"),
      expect: "no-leak",
      check: (body) => expect((JSON.parse(body) as { tags: unknown[] }).tags).toEqual([]),
    },
  ],
  "app.activity.tsx": [
    { name: "activity log", request: () => get("/app/activity", "routes/app.activity"), expect: "no-leak" },
    {
      name: "activity paged from B's cursor",
      request: (ids) => get(`/app/activity?after=${encodeURIComponent(ids.bAuditCursor)}`, "routes/app.activity"),
      expect: "no-leak",
    },
  ],
  "app.tags.$tagId.tsx": [
    { name: "B's tag page", request: (ids) => get(`/app/tags/${ids.bTag}`, TAG), expect: "not-found" },
    {
      name: "B's tag page searched",
      request: (ids) => get(`/app/tags/${ids.bTag}?q=BRAVO&status=PENDING`, TAG),
      expect: "not-found",
    },
    ...[
      tagIntent("preview-key", (ids) => ({ keyId: String(ids.bKeys[0]) })),
      tagIntent("delete-key", (ids) => ({ keyId: String(ids.bKeys[0]) })),
      tagIntent("preview-selection", selectionOfB),
      tagIntent("delete-keys", selectionOfB),
      tagIntent("move-keys", (ids) => ({ ...selectionOfB(ids), destination: String(ids.aTag) })),
      tagIntent("add-tags", (ids) => ({ ...selectionOfB(ids), tagId: String(ids.aTag) })),
      tagIntent("rename", () => ({ name: "stolen" })),
      tagIntent("preview-delete-tag"),
      tagIntent("delete-tag"),
      tagIntent("preview-duplicates"),
      tagIntent("clean-up-duplicates"),
    ].map((entry) => entry.onForeignTag),
    // A's own tag in the URL, B's ids in the form.
    {
      name: "preview-key of B's key from A's tag",
      request: (ids) => post(`/app/tags/${ids.aTag}`, TAG, { intent: "preview-key", keyId: String(ids.bKeys[0]) }),
      expect: "not-found",
    },
    {
      name: "delete-key of B's assigned key from A's tag",
      request: (ids) => post(`/app/tags/${ids.aTag}`, TAG, { intent: "delete-key", keyId: String(ids.bOrderKey) }),
      expect: "not-found",
    },
    {
      name: "delete-keys ticking B's keys from A's tag",
      request: (ids) => post(`/app/tags/${ids.aTag}`, TAG, { intent: "delete-keys", ...selectionOfB(ids) }),
      expect: "no-leak",
      alsoAccept: [404, 422],
    },
    {
      name: "preview-selection ticking B's keys from A's tag",
      request: (ids) => post(`/app/tags/${ids.aTag}`, TAG, { intent: "preview-selection", ...selectionOfB(ids) }),
      expect: "no-leak",
      alsoAccept: [404, 422],
    },
    {
      name: "move A's keys into B's tag",
      request: (ids) =>
        post(`/app/tags/${ids.aTag}`, TAG, {
          intent: "move-keys",
          scope: "ids",
          ids: String(ids.aKey),
          destination: String(ids.bTag),
        }),
      expect: "not-found",
      alsoAccept: [422],
    },
    {
      name: "add B's tag to A's keys",
      request: (ids) =>
        post(`/app/tags/${ids.aTag}`, TAG, { intent: "add-tags", scope: "ids", ids: String(ids.aKey), tagId: String(ids.bTag) }),
      expect: "not-found",
      alsoAccept: [422],
    },
    {
      name: "move B's keys (ticked) into A's other tag",
      request: (ids) =>
        post(`/app/tags/${ids.aTag}`, TAG, { intent: "move-keys", ...selectionOfB(ids), destination: String(ids.aTag) }),
      expect: "no-leak",
      alsoAccept: [404, 422],
    },
  ],
  "app.import.tsx": [
    {
      name: "preview of B's upload",
      request: (ids) => get(`/app/import?batch=${ids.bBatch}`, "routes/app.import"),
      expect: "not-found",
    },
    {
      name: "import page opened from B's tag name",
      request: () => get(`/app/import?tag=${SECRET_TAG}`, "routes/app.import"),
      expect: "no-leak",
    },
    {
      name: "commit of B's upload",
      request: (ids) => post("/app/import", "routes/app.import", { intent: "commit", batchId: String(ids.bBatch), duplicates: "skip" }),
      expect: "not-found",
    },
    {
      name: "discard of B's upload",
      request: (ids) => post("/app/import", "routes/app.import", { intent: "discard", batchId: String(ids.bBatch) }),
      expect: "not-found",
    },
  ],
  "app.exports._index.tsx": [
    { name: "exports and mail list", request: () => get("/app/exports", "routes/app.exports._index"), expect: "no-leak" },
    {
      name: "start an export of B's tag",
      request: (ids) => post("/app/exports", "routes/app.exports._index", { intent: "start", tagId: String(ids.bTag) }),
      expect: "not-found",
    },
    {
      name: "retry B's email",
      request: (ids) => post("/app/exports", "routes/app.exports._index", { intent: "retry-mail", mailId: String(ids.bMail) }),
      expect: "not-found",
    },
  ],
  "app.products.tsx": [
    { name: "product links", request: () => get("/app/products", "routes/app.products"), expect: "no-leak" },
    {
      name: "update B's product link",
      request: (ids) =>
        post("/app/products", "routes/app.products", {
          intent: "update",
          linkId: String(ids.bProductLink),
          source: "TAG",
          tagId: String(ids.aTag),
          keysPerUnit: "2",
        }),
      expect: "not-found",
    },
    {
      name: "remove B's product link",
      request: (ids) => post("/app/products", "routes/app.products", { intent: "remove", linkId: String(ids.bProductLink) }),
      expect: "not-found",
    },
    {
      name: "link a product to B's tag",
      request: (ids) =>
        post("/app/products", "routes/app.products", {
          intent: "link",
          items: JSON.stringify([{ productId: "8800000002", variantId: null, productTitle: "Stolen", variantTitle: null }]),
          source: "TAG",
          tagId: String(ids.bTag),
          keysPerUnit: "1",
        }),
      expect: "not-found",
      alsoAccept: [422],
    },
  ],
  "app.orders.tsx": [
    { name: "orders list", request: () => get("/app/orders", "routes/app.orders"), expect: "no-leak" },
    {
      name: "orders searched for B's order and customer",
      request: () => get(`/app/orders?q=${encodeURIComponent(SECRET_ORDER_NAME)}`, "routes/app.orders"),
      expect: "no-leak",
      check: (body) => expect((JSON.parse(body) as { orders: unknown[] }).orders).toEqual([]),
    },
    {
      name: "orders searched by B's customer email",
      request: () => get(`/app/orders?q=${encodeURIComponent(SECRET_EMAIL)}`, "routes/app.orders"),
      expect: "no-leak",
      check: (body) => expect((JSON.parse(body) as { orders: unknown[] }).orders).toEqual([]),
    },
  ],
  "app.orders.$orderId.tsx": [
    { name: "B's order page", request: (ids) => get(`/app/orders/${ids.bOrder}`, ORDER), expect: "not-found" },
    ...(["replace", "return", "revoke"] as const).flatMap((intent) => [
      {
        name: `${intent} a key of B's order`,
        request: (ids: Ids) => post(`/app/orders/${ids.bOrder}`, ORDER, { intent, keyId: String(ids.bOrderKey) }),
        expect: "not-found" as const,
      },
    ]),
  ],
  "app.settings.tsx": [
    { name: "settings", request: () => get("/app/settings", "routes/app.settings"), expect: "no-leak" },
    {
      name: "low-stock threshold on B's tag",
      request: (ids) => post("/app/settings", "routes/app.settings", { intent: "thresholds", [`threshold:${ids.bTag}`]: "5" }),
      expect: "not-found",
    },
  ],
  "app.exports.$id.tsx": [
    { name: "B's export", request: (ids) => get(`/app/exports/${ids.bExportJob}`, "routes/app.exports.$id"), expect: "not-found" },
  ],
  "app.exports.preview.tsx": [
    {
      name: "export preview of B's tag",
      request: (ids) => get(`/app/exports/preview?tagId=${ids.bTag}`, "routes/app.exports.preview"),
      expect: "not-found",
    },
  ],
  "app.exports.download.tsx": [
    {
      name: "download B's tag",
      // A resource route: no _data parameter.
      request: (ids) => adminRequest(`/app/exports/download?tagId=${ids.bTag}`, shopA),
      expect: "not-found",
    },
    {
      name: "download everything (A's own keys only)",
      request: () => adminRequest(`/app/exports/download`, shopA),
      expect: "no-leak",
    },
  ],
};

/** Every row of shop B in every table that has a shop, plus its staged rows and sessions. */
async function snapshotShop(shopId: number, domain: string) {
  const tables = await prisma.$queryRaw<{ table: string }[]>`
    SELECT c.table_name::text AS table FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
    WHERE c.table_schema = 'public' AND c.column_name = 'shop_id' AND t.table_type = 'BASE TABLE'
    ORDER BY 1`;
  const snapshot: Record<string, string[]> = {};
  for (const { table } of tables) {
    const rows = await prisma.$queryRawUnsafe<{ row: string }[]>(
      `SELECT to_jsonb(t)::text AS row FROM "${table}" t WHERE t."shop_id" = $1 ORDER BY 1`,
      shopId,
    );
    snapshot[table] = rows.map((r) => r.row);
  }
  const staged = await prisma.$queryRaw<{ row: string }[]>`
    SELECT to_jsonb(r)::text AS row FROM "import_row" r JOIN "import_batch" b ON b."id" = r."batch_id"
    WHERE b."shop_id" = ${shopId} ORDER BY 1`;
  snapshot.import_row = staged.map((r) => r.row);
  const sessions = await prisma.$queryRaw<{ row: string }[]>`
    SELECT to_jsonb(s)::text AS row FROM "session" s WHERE s."shop" = ${domain} ORDER BY 1`;
  snapshot.session = sessions.map((r) => r.row);
  return snapshot;
}

let ids: Ids;
let bShopId: number;

beforeAll(async () => {
  const a = await installShop(TEST_SHOP);
  const aTag = await createTag(a.id, "alphagames");
  const [aKey] = await addKeys(a.id, ["ALPHA-OWN-KEY-1", "ALPHA-OWN-KEY-2"], { tagIds: [aTag.id] });

  const b = await installShop(OTHER_SHOP);
  bShopId = b.id;
  const bTag = await createTag(b.id, SECRET_TAG);
  const bKeys = await addKeys(b.id, SECRET_KEYS, { tagIds: [bTag.id] });
  // Duplicates, so that a clean-up in the wrong shop would have something to remove.
  await addKeys(b.id, [SECRET_KEYS[0]], { tagIds: [bTag.id] });
  const seeded = await seedOrderWithKeys({
    shop: OTHER_SHOP,
    shopifyId: B_ORDER_SHOPIFY_ID,
    customerId: B_CUSTOMER,
    confirmationNumber: B_CONFIRMATION,
    name: SECRET_ORDER_NAME,
    lines: [{ title: "Bravo Suite", keys: ["BRAVO-SECRET-ORDER-KEY"] }],
  });
  await prisma.order.update({ where: { id: seeded.order.id }, data: { email: SECRET_EMAIL, carriesKeys: true } });
  const link = await prisma.productLink.create({
    data: { shopId: b.id, productId: 8_800_000_001n, productTitle: "Bravo Suite", tagId: bTag.id },
  });
  const job = await prisma.job.create({
    data: { shopId: b.id, kind: "EXPORT", state: "SUCCEEDED", payload: { fileName: "bravo.csv" }, finishedAt: new Date() },
  });
  const mail = await prisma.mailMessage.create({
    data: { shopId: b.id, kind: "EXPORT", state: "FAILED", to: SECRET_EMAIL, subject: SECRET_MAIL_SUBJECT, text: "x", jobId: job.id },
  });
  const audit = await prisma.auditEvent.create({
    data: { shopId: b.id, actor: SECRET_EMAIL, action: "keys.delete", summary: `Deleted ${SECRET_KEYS[2]}`, count: 1 },
  });
  const staged = await stageKeyImport({
    shopId: b.id,
    source: "file",
    fileName: "bravo.txt",
    tagNames: [SECRET_TAG],
    body: Readable.from([Buffer.from(`${SECRET_STAGED}\n`)]),
  });
  if (!staged.ok) throw new Error("could not stage shop B's upload");
  // The log's cursor format: one past B's newest entry, so a leaking query would list it.
  const cursor = `${audit.createdAt.getTime() + 1000}_${audit.id + 1}`;

  ids = {
    aTag: aTag.id,
    aKey,
    bTag: bTag.id,
    bKeys,
    bOrderKey: seeded.keyIds[0],
    bOrder: seeded.order.id,
    bExportJob: job.id,
    bMail: mail.id,
    bBatch: staged.batchId,
    bAuditCursor: cursor,
    bProductLink: link.id,
    bOrderShopifyId: B_ORDER_SHOPIFY_ID,
  };
  // Load the server build once here rather than inside the first test's time budget.
  await handle(get("/app", "routes/app._index"));
});

describe("the access matrix", () => {
  it("lists every admin route file", () => {
    const routes = readdirSync(path.resolve("app/routes")).filter((file) => /^app(\..+)?\.tsx?$/.test(file));
    expect(routes.length).toBeGreaterThan(5);
    const missing = routes.filter((file) => !(file in MATRIX));
    expect(missing, "admin routes the access matrix does not cover: add their cases to MATRIX").toEqual([]);
    const stale = Object.keys(MATRIX).filter((file) => !routes.includes(file));
    expect(stale, "matrix entries for route files that no longer exist").toEqual([]);
  });

  const cases = Object.entries(MATRIX).flatMap(([file, list]) => list.map((entry) => ({ file, ...entry })));
  it.each(cases)("$file: $name", async (entry) => {
    const before = await snapshotShop(bShopId, OTHER_SHOP);
    const request = entry.request(ids);
    // A search echoes its own query back; only what the request did not carry counts as a leak.
    const asked = decodeURIComponent(request.url);
    const response = await handle(request);
    const body = await response.text();
    if (entry.expect === "not-found") {
      expect([404, ...(entry.alsoAccept ?? [])], body.slice(0, 300)).toContain(response.status);
    } else {
      expect(response.status, body.slice(0, 300)).toBeLessThan(500);
      if (entry.alsoAccept === undefined) expect(response.status).toBeLessThan(400);
    }
    for (const marker of MARKERS.filter((m) => !asked.includes(m))) expect(body).not.toContain(marker);
    entry.check?.(body);
    expect(await snapshotShop(bShopId, OTHER_SHOP)).toEqual(before);
  });
});

describe("customer-facing endpoints", () => {
  const PREPARING = { state: "preparing", keys: [] };
  const extensionHeaders = (token: string) => ({ "User-Agent": BROWSER_UA, Origin: EXTENSION_ORIGIN, Authorization: `Bearer ${token}` });
  const customerAsk = (token: string) =>
    new Request(new URL(`/api/customer-account/orders/${B_ORDER_SHOPIFY_ID}/licence-keys`, TEST_APP_URL), {
      headers: extensionHeaders(token),
    });
  const checkoutAsk = (token: string, confirmation: string) => {
    const url = new URL(`/api/checkout/orders/${B_ORDER_SHOPIFY_ID}/licence-keys`, TEST_APP_URL);
    url.searchParams.set("confirmation", confirmation);
    return new Request(url, { headers: extensionHeaders(token) });
  };

  it.each([
    ["another customer of the same shop", () => customerAsk(customerAccountToken({ shop: OTHER_SHOP, customerId: 7_900_000_000_002n })), PREPARING],
    ["the same customer id at another shop", () => customerAsk(customerAccountToken({ shop: TEST_SHOP, customerId: B_CUSTOMER })), PREPARING],
    // Signed out (pre-authenticated): asked to sign in, and nothing of the order.
    ["a token naming no customer", () => customerAsk(customerAccountToken({ shop: OTHER_SHOP, customerId: null })), { state: "sign-in", keys: [] }],
    ["checkout at another shop with the right confirmation", () => checkoutAsk(checkoutToken({ shop: TEST_SHOP }), B_CONFIRMATION), PREPARING],
    ["checkout at the right shop with a guessed confirmation", () => checkoutAsk(checkoutToken({ shop: OTHER_SHOP }), "BRAVOCONF2"), PREPARING],
  ])("%s gets no keys (the answer of an order not arrived yet, or sign in), and nothing is marked Used", async (_label, request, expected) => {
    const before = await snapshotShop(bShopId, OTHER_SHOP);
    const response = await handle(request());
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual(expected);
    for (const marker of [...MARKERS, "BRAVO-SECRET-ORDER-KEY", "Bravo Suite"]) expect(body).not.toContain(marker);
    expect(await snapshotShop(bShopId, OTHER_SHOP)).toEqual(before);
  });

  it("the right customer does see the keys (so the refusals above are not a broken endpoint)", async () => {
    const response = await handle(customerAsk(customerAccountToken({ shop: OTHER_SHOP, customerId: B_CUSTOMER })));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { state: string; keys: { value: string }[] };
    expect(body.state).toBe("ready");
    expect(body.keys.map((k) => k.value)).toEqual(["BRAVO-SECRET-ORDER-KEY"]);
  });

  it("a signed export link for another shop's export id cannot be forged", async () => {
    const forged = Buffer.from(JSON.stringify({ shop: TEST_SHOP, job: ids.bExportJob, exp: Date.now() + 60_000 })).toString("base64url");
    const response = await handle(new Request(new URL(`/exports/${forged}.AAAA`, TEST_APP_URL), { headers: { "User-Agent": BROWSER_UA } }));
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain(SECRET_TAG);
  });
});
