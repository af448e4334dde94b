// The products, orders and settings screens through the real handler with session tokens: what the
// merchant sees and changes, validation answered 422 with field errors, and another shop's ids
// answered 404 with nothing changed.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { closePgPool } from "~/pg.server";
import { dataPath, handle } from "tests/helpers/app";
import { prisma, resetDatabase } from "tests/helpers/db";
import { adminRequest, OTHER_SHOP, TEST_SHOP} from "tests/helpers/shopify";
import { addKeys, deliver, expectConsistent, keysOfOrder, link, orderPayload, shopWithTag } from "./support";

const PRODUCT = 8_100_000_000_001;
const products = dataPath("/app/products", "routes/app.products");
const orders = (query = "") => dataPath(`/app/orders${query}`, "routes/app.orders");
const order = (id: number) => dataPath(`/app/orders/${id}`, "routes/app.orders.$orderId");
const settings = dataPath("/app/settings", "routes/app.settings");

beforeEach(async () => {
  await resetDatabase();
});

afterAll(closePgPool);

async function post(path: string, shop: string, form: Record<string, string>) {
  const response = await handle(adminRequest(path, { shop, form }));
  return { status: response.status, body: await response.json() };
}

async function get(path: string, shop = TEST_SHOP) {
  const response = await handle(adminRequest(path, { shop }));
  return { status: response.status, body: response.status === 200 ? await response.json() : null };
}

describe("products screen", () => {
  it("links picked products and variants to a tag or to automatic generation, and shows what remains", async () => {
    const { tag } = await shopWithTag(TEST_SHOP, "pro", 7);
    const items = [
      { productId: String(PRODUCT), variantId: null, productTitle: "PhotoForge Pro", variantTitle: null },
      {
        productId: String(PRODUCT + 1),
        variantId: "4510000000042",
        productTitle: "SecureNet VPN",
        variantTitle: "2 years",
      },
    ];

    const toTag = await post(products, TEST_SHOP, {
      intent: "link",
      items: JSON.stringify(items.slice(0, 1)),
      source: "TAG",
      tagId: String(tag.id),
      keysPerUnit: "2",
    });
    const toAuto = await post(products, TEST_SHOP, {
      intent: "link",
      items: JSON.stringify(items.slice(1)),
      source: "AUTO_GENERATE",
      pattern: "xxxxx-xxxxx-xxxxx",
      prefix: "SNV-",
      keysPerUnit: "1",
    });

    expect(toTag).toMatchObject({ status: 200, body: { ok: true } });
    expect(toAuto).toMatchObject({ status: 200, body: { ok: true } });
    const { body } = await get(products);
    expect(body.links).toEqual([
      expect.objectContaining({
        productTitle: "PhotoForge Pro",
        variantId: null,
        source: "TAG",
        tagName: "pro",
        keysPerUnit: 2,
        remaining: 7,
      }),
      expect.objectContaining({
        productTitle: "SecureNet VPN",
        variantId: "4510000000042",
        source: "AUTO_GENERATE",
        autoPattern: "XXXXX-XXXXX-XXXXX",
        autoPrefix: "SNV-",
        remaining: null,
      }),
    ]);
    expect(body.tags.map((t: { label: string }) => t.label)).toEqual(["pro", "No tag (keys without a tag)"]);
    expect(await prisma.auditEvent.count({ where: { action: "products.link" } })).toBe(2);

    // Linking the same product again updates its link instead of adding a second one.
    await post(products, TEST_SHOP, {
      intent: "link",
      items: JSON.stringify(items.slice(0, 1)),
      source: "TAG",
      tagId: String(tag.id),
      keysPerUnit: "3",
    });
    expect(await prisma.productLink.count()).toBe(2);
    expect((await prisma.productLink.findFirstOrThrow({ where: { variantId: null } })).keysPerUnit).toBe(3);
  });

  it("answers 422 with field errors for an invalid format, keys per unit or tag", async () => {
    await shopWithTag(TEST_SHOP, "pro", 1);
    const other = await shopWithTag(OTHER_SHOP, "theirs", 1);
    const items = JSON.stringify([
      { productId: String(PRODUCT), variantId: null, productTitle: "P", variantTitle: null },
    ]);

    const badFormat = await post(products, TEST_SHOP, {
      intent: "link",
      items,
      source: "AUTO_GENERATE",
      pattern: "XX-XX",
      prefix: "",
      keysPerUnit: "0",
    });
    expect(badFormat.status).toBe(422);
    expect(Object.keys(badFormat.body.errors).sort()).toEqual(["keysPerUnit", "pattern"]);

    const foreignTag = await post(products, TEST_SHOP, {
      intent: "link",
      items,
      source: "TAG",
      tagId: String(other.tag.id),
      keysPerUnit: "1",
    });
    expect(foreignTag).toMatchObject({ status: 422, body: { errors: { tagId: "Pick one of your tags." } } });
    expect(await prisma.productLink.count()).toBe(0);

    expect((await post(products, TEST_SHOP, { intent: "explode" })).status).toBe(400);
  });

  it("edits and removes only this shop's links", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 1);
    const theirs = await shopWithTag(OTHER_SHOP, "theirs", 1);
    const mine = await link(shop.id, PRODUCT, { tagId: tag.id });
    const foreign = await link(theirs.shop.id, PRODUCT, { tagId: theirs.tag.id });

    const edit = await post(products, TEST_SHOP, {
      intent: "update",
      linkId: String(foreign.id),
      source: "TAG",
      tagId: String(tag.id),
      keysPerUnit: "9",
    });
    const removal = await post(products, TEST_SHOP, { intent: "remove", linkId: String(foreign.id) });

    expect(edit.status).toBe(404);
    expect(removal.status).toBe(404);
    expect(await prisma.productLink.findUniqueOrThrow({ where: { id: foreign.id } })).toMatchObject({
      keysPerUnit: 1,
      tagId: theirs.tag.id,
    });

    expect(
      (
        await post(products, TEST_SHOP, {
          intent: "update",
          linkId: String(mine.id),
          source: "TAG",
          tagId: String(tag.id),
          keysPerUnit: "5",
        })
      ).status,
    ).toBe(200);
    expect((await prisma.productLink.findUniqueOrThrow({ where: { id: mine.id } })).keysPerUnit).toBe(5);
    expect((await post(products, TEST_SHOP, { intent: "remove", linkId: String(mine.id) })).status).toBe(200);
    expect(await prisma.productLink.count({ where: { shopId: shop.id } })).toBe(0);
  });
});

async function shopWithOrders() {
  const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 6);
  await link(shop.id, PRODUCT, { tagId: tag.id });
  const ada = orderPayload({
    id: 5_000_000_001_001,
    lines: [{ productId: PRODUCT, quantity: 2 }],
    email: "Ada@Example.com",
    createdAt: "2026-03-01T09:00:00Z",
  });
  const bob = orderPayload({
    id: 5_000_000_001_002,
    lines: [{ productId: PRODUCT, quantity: 3 }],
    email: "bob@example.com",
    createdAt: "2026-03-02T09:00:00Z",
  });
  const cyd = orderPayload({
    id: 5_000_000_001_003,
    lines: [{ productId: PRODUCT, quantity: 4 }],
    email: "cyd@example.com",
    createdAt: "2026-03-03T09:00:00Z",
  });
  for (const payload of [ada, bob, cyd]) await deliver("orders/create", TEST_SHOP, payload);
  const rows = await prisma.order.findMany({ orderBy: { placedAt: "asc" } });
  return { shop, tag, ada, bob, cyd, ids: rows.map((r) => r.id) };
}

describe("orders screen", () => {
  it("lists orders with keys newest first, finds them by name or email, and lists waiting orders oldest first", async () => {
    const { ada, bob, cyd } = await shopWithOrders();
    await shopWithTag(OTHER_SHOP, "theirs", 0);

    const all = (await get(orders())).body;
    expect(all.orders.map((o: { name: string }) => o.name)).toEqual([cyd.name, bob.name, ada.name]);
    expect(all.counts).toEqual({ waiting: 1, awaitingPayment: 0 });

    const byName = (await get(orders(`?q=${encodeURIComponent(ada.name.replace("#", ""))}`))).body;
    expect(byName.orders.map((o: { name: string }) => o.name)).toEqual([ada.name]);
    const byEmail = (await get(orders("?q=ada%40exa"))).body;
    expect(byEmail.orders.map((o: { email: string }) => o.email)).toEqual(["Ada@Example.com"]);

    const waiting = (await get(orders("?view=waiting"))).body;
    expect(waiting.orders).toEqual([
      expect.objectContaining({
        name: cyd.name,
        shortfall: 3,
        waitingFor: [{ title: `Product ${PRODUCT}`, tagName: "pro", needed: 4, assigned: 1 }],
      }),
    ]);

    const foreign = (await get(orders(), OTHER_SHOP)).body;
    expect(foreign.orders).toEqual([]);
  });

  it("answers 404 for another shop's order, and for keys that are not on the order", async () => {
    const { ids } = await shopWithOrders();
    await shopWithTag(OTHER_SHOP, "theirs", 0);
    const [first, second] = ids;
    const secondKey = await prisma.licenseKey.findFirstOrThrow({ where: { orderId: second } });

    expect((await get(order(first), OTHER_SHOP)).status).toBe(404);
    expect((await post(order(first), OTHER_SHOP, { intent: "revoke", keyId: String(secondKey.id) })).status).toBe(404);
    expect((await post(order(first), TEST_SHOP, { intent: "revoke", keyId: String(secondKey.id) })).status).toBe(404);
    expect((await get(order(999_999))).status).toBe(404);
    expect(await prisma.licenseKey.count({ where: { status: "RETIRED" } })).toBe(0);
  });

  it("replaces a key with the tag's next pending key and retires the old one", async () => {
    const { shop, tag, ids } = await shopWithOrders();
    await addKeys(shop.id, tag.id, 4, "SPARE");
    const [first] = ids;
    const detail = (await get(order(first))).body.order;
    const broken = detail.keys[0];

    const result = await post(order(first), TEST_SHOP, { intent: "replace", keyId: String(broken.id) });

    expect(result).toMatchObject({ status: 200, body: { ok: true } });
    expect(await prisma.licenseKey.findUniqueOrThrow({ where: { id: broken.id } })).toMatchObject({
      status: "RETIRED",
      retireReason: "REPLACED",
      orderId: first,
    });
    const after = (await get(order(first))).body.order;
    const held = after.keys
      .filter((k: { status: string }) => k.status === "ASSIGNED")
      .map((k: { value: string }) => k.value);
    expect(held).toEqual(["PRO-000002", "SPARE-000007"]);
    expect(after.lines[0]).toMatchObject({ keysNeeded: 2, keysAssigned: 2 });
    expect(await prisma.auditEvent.findFirst({ where: { action: "order.key.replace" } })).not.toBeNull();
    await expectConsistent();
  });

  it("refuses to replace when the tag has no pending key, changing nothing", async () => {
    const { ids } = await shopWithOrders();
    const [first] = ids;
    const key = await prisma.licenseKey.findFirstOrThrow({ where: { orderId: first } });

    const result = await post(order(first), TEST_SHOP, { intent: "replace", keyId: String(key.id) });

    expect(result.status).toBe(409);
    expect(result.body.error).toContain("No pending licence keys left in tag pro");
    expect(await prisma.licenseKey.findUniqueOrThrow({ where: { id: key.id } })).toMatchObject({ status: "ASSIGNED" });
    await expectConsistent();
  });

  it("returns only unviewed keys to the pool, and revokes keys the customer holds", async () => {
    const { ids, cyd } = await shopWithOrders();
    const [first, second] = ids;
    const [viewed, unviewed] = await prisma.licenseKey.findMany({ where: { orderId: first }, orderBy: { id: "asc" } });
    await prisma.licenseKey.update({ where: { id: viewed.id }, data: { status: "USED", usedAt: new Date() } });

    const refused = await post(order(first), TEST_SHOP, { intent: "return", keyId: String(viewed.id) });
    expect(refused.status).toBe(409);

    const returned = await post(order(first), TEST_SHOP, { intent: "return", keyId: String(unviewed.id) });
    expect(returned.status).toBe(200);
    // The returned key went straight to the order that was waiting for keys.
    expect((await keysOfOrder(cyd.id)).map((k) => k.value)).toContain(unviewed.value);

    const secondKey = await prisma.licenseKey.findFirstOrThrow({ where: { orderId: second } });
    expect((await post(order(second), TEST_SHOP, { intent: "revoke", keyId: String(secondKey.id) })).status).toBe(200);
    expect(await prisma.licenseKey.findUniqueOrThrow({ where: { id: secondKey.id } })).toMatchObject({
      status: "RETIRED",
      retireReason: "REVOKED",
    });
    expect((await post(order(second), TEST_SHOP, { intent: "revoke", keyId: String(secondKey.id) })).status).toBe(409);
    expect((await post(order(second), TEST_SHOP, { intent: "steal", keyId: String(secondKey.id) })).status).toBe(400);
    await expectConsistent();
  });
});

describe("settings screen", () => {
  it("saves the assign trigger, cancellation policy and report email, refusing bad input with field errors", async () => {
    const { shop } = await shopWithTag(TEST_SHOP, "pro", 0);

    const bad = await post(settings, TEST_SHOP, {
      intent: "settings",
      assignTrigger: "WHENEVER",
      cancelPolicy: "KEEP_ASSIGNED",
      reportEmail: "not-an-email",
    });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.errors).sort()).toEqual(["assignTrigger", "reportEmail"]);

    const good = await post(settings, TEST_SHOP, {
      intent: "settings",
      assignTrigger: "ORDER_PAID",
      cancelPolicy: "KEEP_ASSIGNED",
      reportEmail: "keys@alpha.test",
    });
    expect(good.status).toBe(200);
    expect(await prisma.shop.findUniqueOrThrow({ where: { id: shop.id } })).toMatchObject({
      assignTrigger: "ORDER_PAID",
      cancelPolicy: "KEEP_ASSIGNED",
      reportEmail: "keys@alpha.test",
    });
    expect((await get(settings)).body).toMatchObject({ assignTrigger: "ORDER_PAID", reportEmail: "keys@alpha.test" });
  });

  it("sets thresholds of this shop's linked tags only", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 3);
    const theirs = await shopWithTag(OTHER_SHOP, "theirs", 3);
    await link(shop.id, PRODUCT, { tagId: tag.id });
    await prisma.shop.update({ where: { id: shop.id }, data: { email: "owner@alpha.test" } });

    expect((await get(settings)).body.tags).toEqual([
      expect.objectContaining({ id: tag.id, name: "pro", threshold: null, linked: 1 }),
    ]);
    expect(
      (await post(settings, TEST_SHOP, { intent: "thresholds", [`threshold:${theirs.tag.id}`]: "5" })).status,
    ).toBe(404);
    expect((await prisma.tag.findUniqueOrThrow({ where: { id: theirs.tag.id } })).lowStockThreshold).toBeNull();
    expect((await post(settings, TEST_SHOP, { intent: "thresholds", [`threshold:${tag.id}`]: "-2" })).status).toBe(422);

    expect((await post(settings, TEST_SHOP, { intent: "thresholds", [`threshold:${tag.id}`]: "5" })).status).toBe(200);
    expect((await prisma.tag.findUniqueOrThrow({ where: { id: tag.id } })).lowStockThreshold).toBe(5);
    // Already below the new threshold: the alert goes out at once.
    expect(await prisma.mailMessage.count({ where: { kind: "LOW_STOCK" } })).toBe(1);
  });
});
