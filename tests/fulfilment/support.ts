// Shared by the fulfilment tests: keys in tags, product links, order payloads shaped like Shopify's
// (the captured fixtures, or built ones), signed deliveries through the real handler, and a checker
// of every invariant that "exactly once" promises.
import { expect } from "vitest";
import { handle } from "tests/helpers/app";
import { prisma } from "tests/helpers/db";
import { readFixture } from "tests/helpers/fixtures";
import { installShop, webhookRequest } from "tests/helpers/shopify";

/** A captured payload (tests/fixtures/shopify-webhooks/<name>.json). */
export function fixture(name: string) {
  return readFixture<Record<string, unknown> & { id: number; line_items: Array<Record<string, unknown>> }>(
    `${name}.json`,
  );
}

export async function shopWithTag(shop: string, tagName: string, keys: number, prefix = tagName.toUpperCase()) {
  const row = await installShop(shop);
  const tag = await prisma.tag.upsert({
    where: { shopId_name: { shopId: row.id, name: tagName } },
    create: { shopId: row.id, name: tagName },
    update: {},
  });
  if (keys > 0) await addKeys(row.id, tag.id, keys, prefix);
  return { shop: row, tag };
}

/** Pending keys into a tag, as an import leaves them (key_tag status copied from the key). */
export async function addKeys(shopId: number, tagId: number, count: number, prefix: string) {
  const start = await prisma.licenseKey.count({ where: { shopId } });
  await prisma.$executeRaw`
    WITH k AS (
      INSERT INTO "license_key" ("shop_id", "value")
      SELECT ${shopId}::int, ${prefix} || '-' || lpad(g::text, 6, '0') FROM generate_series(${start + 1}::int, ${start + count}::int) g
      RETURNING "id", "status")
    INSERT INTO "key_tag" ("tag_id", "key_id", "shop_id", "status") SELECT ${tagId}::int, k."id", ${shopId}::int, k."status" FROM k`;
}

export async function link(
  shopId: number,
  productId: number | bigint,
  options: {
    tagId?: number;
    variantId?: number | bigint;
    keysPerUnit?: number;
    auto?: { pattern: string; prefix?: string };
  } = {},
) {
  return prisma.productLink.create({
    data: {
      shopId,
      productId: BigInt(productId),
      variantId: options.variantId === undefined ? null : BigInt(options.variantId),
      source: options.auto ? "AUTO_GENERATE" : "TAG",
      tagId: options.auto ? null : options.tagId,
      keysPerUnit: options.keysPerUnit ?? 1,
      autoPattern: options.auto?.pattern,
      autoPrefix: options.auto?.prefix,
    },
  });
}

let nextId = 7_000_000_000_000;

export interface LineSpec {
  productId: number | null;
  variantId?: number | null;
  quantity?: number;
  title?: string;
  giftCard?: boolean;
}

/** An orders/create payload with the fields the app reads, shaped like the captured ones. */
export function orderPayload({
  id = ++nextId,
  lines,
  email = "buyer@example.com",
  customerId = 8_100_000_000_001,
  financialStatus = "paid",
  createdAt = new Date().toISOString(),
  cancelledAt = null,
}: {
  id?: number;
  lines: LineSpec[];
  email?: string | null;
  customerId?: number | null;
  financialStatus?: string;
  createdAt?: string;
  cancelledAt?: string | null;
}) {
  return {
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    name: `#${id % 100000}`,
    email,
    contact_email: email || null,
    confirmation_number: `C${id % 100000000}`,
    financial_status: financialStatus,
    created_at: createdAt,
    cancelled_at: cancelledAt,
    source_name: "web",
    customer: customerId === null ? null : { id: customerId, email, first_name: "Buyer" },
    line_items: lines.map((line, i) => ({
      id: id * 10 + i,
      product_id: line.productId,
      variant_id: line.variantId ?? (line.productId === null ? null : line.productId + 1),
      quantity: line.quantity ?? 1,
      current_quantity: line.quantity ?? 1,
      title: line.title ?? (line.productId === null ? "Custom item" : `Product ${line.productId}`),
      variant_title: null,
      gift_card: line.giftCard ?? false,
      requires_shipping: false,
      sku: "",
    })),
    refunds: [],
  };
}

export async function deliver(
  topic: string,
  shop: string,
  payload: unknown,
  options: { eventId?: string; secret?: string; omitHeaders?: string[]; rawBody?: string } = {},
) {
  return handle(webhookRequest({ topic, shop, payload, ...options }));
}

/** Every promise of exactly-once fulfilment, checked over the whole database. */
export async function expectConsistent() {
  // A line's keys_assigned is the number of its Assigned or Used keys, never above what it needs.
  const lineMismatch = await prisma.$queryRaw<Array<{ id: number; counted: number; recorded: number }>>`
    SELECT ol."id", ol."keys_assigned" AS recorded,
      (SELECT count(*)::int FROM "license_key" k WHERE k."order_line_id" = ol."id" AND k."status" IN ('ASSIGNED', 'USED')) AS counted
    FROM "order_line" ol
    WHERE ol."keys_assigned" <> (SELECT count(*) FROM "license_key" k WHERE k."order_line_id" = ol."id" AND k."status" IN ('ASSIGNED', 'USED'))
       OR ol."keys_assigned" > ol."keys_needed"`;
  expect(lineMismatch).toEqual([]);
  // Keys on an order belong to a line of that order; pending keys belong to nobody.
  const misplaced = await prisma.$queryRaw<Array<{ id: number }>>`
    SELECT k."id" FROM "license_key" k LEFT JOIN "order_line" ol ON ol."id" = k."order_line_id"
    WHERE (k."status" IN ('ASSIGNED', 'USED') AND (ol."id" IS NULL OR ol."order_id" IS DISTINCT FROM k."order_id"))
       OR (k."status" = 'PENDING' AND (k."order_id" IS NOT NULL OR k."order_line_id" IS NOT NULL))`;
  expect(misplaced).toEqual([]);
  // An order's shortfall is what its lines are still owed (0 while awaiting payment or cancelled).
  const shortfalls = await prisma.$queryRaw<Array<{ id: number }>>`
    SELECT o."id" FROM "order" o
    WHERE o."shortfall" <> CASE WHEN o."awaiting_payment" OR o."cancelled_at" IS NOT NULL THEN 0 ELSE
      COALESCE((SELECT sum(ol."keys_needed" - ol."keys_assigned") FROM "order_line" ol WHERE ol."order_id" = o."id"), 0) END`;
  expect(shortfalls).toEqual([]);
  // Tag counters agree with the keys (the triggers were never bypassed).
  const counters = await prisma.$queryRaw<Array<{ id: number }>>`
    SELECT t."id" FROM "tag" t
    WHERE t."pending_count" <> (SELECT count(*) FROM "key_tag" kt WHERE kt."tag_id" = t."id" AND kt."status" = 'PENDING')
       OR t."assigned_count" <> (SELECT count(*) FROM "key_tag" kt WHERE kt."tag_id" = t."id" AND kt."status" = 'ASSIGNED')`;
  expect(counters).toEqual([]);
  // So do the shops' own counters (the library's summary).
  const shopCounters = await prisma.$queryRaw<Array<{ shop_id: number }>>`
    SELECT c."shop_id" FROM "shop_key_count" c
    WHERE (c."pending", c."assigned", c."used", c."retired") <> (
      SELECT count(*) FILTER (WHERE k."status" = 'PENDING'), count(*) FILTER (WHERE k."status" = 'ASSIGNED'),
        count(*) FILTER (WHERE k."status" = 'USED'), count(*) FILTER (WHERE k."status" = 'RETIRED')
      FROM "license_key" k WHERE k."shop_id" = c."shop_id")`;
  expect(shopCounters).toEqual([]);
}

export async function keysOfOrder(shopifyId: number | bigint) {
  return prisma.licenseKey.findMany({
    where: { order: { shopifyId: BigInt(shopifyId) } },
    orderBy: { id: "asc" },
    select: { id: true, value: true, status: true, type: true, orderLineId: true },
  });
}

export async function orderRow(shopifyId: number | bigint) {
  return prisma.order.findFirst({
    where: { shopifyId: BigInt(shopifyId) },
    include: { lines: { orderBy: { id: "asc" } } },
  });
}
