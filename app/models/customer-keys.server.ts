// What a customer sees of an order's licence keys, on the order status page (customer account
// extension) and on the thank-you page (checkout extension). Showing keys is what marks them Used.
//
// Privacy rule: an order that does not exist, is another customer's, another shop's, or cannot be
// proven (wrong confirmation number) gets exactly the answer of an order that has not reached the
// app yet. Nothing in the answer lets a caller learn whether an id exists.
import type { Prisma } from "@prisma/client";
import { z } from "zod";
import prisma from "~/db.server";
import { col, prismaDb, sql, transaction } from "~/sql.server";
import { recordAudit } from "./audit.server";
import { guestDeliveryInfo, type GuestDelivery } from "./fulfilment/key-delivery.server";

export type CustomerKeysState = "ready" | "preparing" | "waiting" | "none" | "sign-in";

export interface CustomerKey {
  value: string;
  productTitle: string;
  status: "ASSIGNED" | "USED";
}

export interface CustomerKeysAnswer {
  state: CustomerKeysState;
  keys: CustomerKey[];
  /** Signed out, on a guest order whose keys were emailed: where they went (masked). */
  guest?: GuestDelivery;
}

/** The answer for unknown, foreign and unproven orders alike. */
export const NOT_ARRIVED: CustomerKeysAnswer = Object.freeze({ state: "preparing", keys: [] }) as CustomerKeysAnswer;

type Surface = "order-status" | "thank-you";

const orderSelect = {
  id: true,
  shopId: true,
  name: true,
  customerId: true,
  confirmationNumber: true,
  shortfall: true,
  awaitingPayment: true,
  carriesKeys: true,
} satisfies Prisma.OrderSelect;

type FoundOrder = Prisma.OrderGetPayload<{ select: typeof orderSelect }>;

async function findOrder({ shop, orderId }: { shop: string; orderId: bigint }): Promise<FoundOrder | null> {
  // Two unique lookups (shop by domain, then the (shop, order id) key) rather than one join, so the
  // plan never depends on statistics. An uninstalled shop's orders are not served.
  const shopRow = await prisma.shop.findUnique({ where: { domain: shop }, select: { id: true, uninstalledAt: true } });
  if (!shopRow || shopRow.uninstalledAt) return null;
  return prisma.order.findUnique({
    where: { shopId_shopifyId: { shopId: shopRow.id, shopifyId: orderId } },
    select: orderSelect,
  });
}

/**
 * A visitor of the order status page who is not signed in (pre-authenticated, from the order
 * confirmation email): never keys, only "sign in". A guest order whose keys were emailed also says
 * where they went, masked; every other order (unknown, foreign, with an account) answers the same,
 * except one recorded without any licence-key product, which answers "none" (no block).
 */
export async function answerSignedOut({ shop, orderId }: { shop: string; orderId: bigint }): Promise<CustomerKeysAnswer> {
  // An order the app recorded without any licence-key product (a T-shirt) shows no block at all,
  // rather than "sign in to see your licence keys".
  const order = await findOrder({ shop, orderId });
  if (order && !order.carriesKeys) return { state: "none", keys: [] };
  // Only a guest order can say where its keys went: no further lookup for any other.
  const guest = order && order.customerId === null ? await guestDeliveryInfo({ shop, orderId }) : null;
  return guest ? { state: "sign-in", keys: [], guest } : { state: "sign-in", keys: [] };
}

/** Keys for a signed-in customer: only for that customer's own order in that shop. */
export async function revealKeysToCustomer({
  shop,
  orderId,
  customerId,
}: {
  shop: string;
  orderId: bigint;
  /** The numeric id from the token's `sub`; null when the token names no customer. */
  customerId: bigint | null;
}): Promise<CustomerKeysAnswer> {
  if (customerId === null) return NOT_ARRIVED;
  const order = await findOrder({ shop, orderId });
  if (!order || order.customerId === null || order.customerId !== customerId) return NOT_ARRIVED;
  return reveal(order, "order-status");
}

/** Keys on the thank-you page: the checkout proves the order with its confirmation number. */
export async function revealKeysAtCheckout({
  shop,
  orderId,
  confirmationNumber,
}: {
  shop: string;
  orderId: bigint;
  confirmationNumber: string;
}): Promise<CustomerKeysAnswer> {
  const given = normaliseConfirmationNumber(confirmationNumber);
  if (!given) return NOT_ARRIVED;
  const order = await findOrder({ shop, orderId });
  if (!order?.confirmationNumber) return NOT_ARRIVED;
  if (normaliseConfirmationNumber(order.confirmationNumber) !== given) return NOT_ARRIVED;
  return reveal(order, "thank-you");
}

// Shopify prints confirmation numbers in upper case; a customer typing one may not.
function normaliseConfirmationNumber(value: string) {
  return value.trim().toUpperCase();
}

const customerKey = {
  value: col.text,
  status: z.enum(["ASSIGNED", "USED"]) satisfies z.ZodType<CustomerKey["status"]>,
  productTitle: col.text,
};

async function reveal(order: FoundOrder, surface: Surface): Promise<CustomerKeysAnswer> {
  const keys = await transaction(async (tx) => {
    const db = prismaDb(tx);
    // Only Assigned keys change: a second view (or a concurrent one, which waits on the row locks
    // and then finds them Used) keeps the first time. The status trigger on license_key mirrors the
    // change onto key_tag, whose statement triggers move the tag counters.
    const viewed = await db.run(sql`
      UPDATE "license_key" SET "status" = 'USED', "used_at" = now()
      WHERE "shop_id" = ${order.shopId} AND "order_id" = ${order.id} AND "status" = 'ASSIGNED'`);
    if (viewed > 0) {
      const where = surface === "thank-you" ? "the thank-you page" : "the order status page";
      await recordAudit({
        tx,
        shopId: order.shopId,
        actor: "Customer",
        action: "keys.view",
        summary: `The customer saw ${viewed} licence ${viewed === 1 ? "key" : "keys"} of order ${order.name || order.id} on ${where}`,
        count: viewed,
        details: { orderId: order.id, surface },
      });
    }
    return db.rows(
      customerKey,
      sql`
      SELECT k."value", k."status"::text AS "status", COALESCE(l."title", '') AS "productTitle"
      FROM "license_key" k
      LEFT JOIN "order_line" l ON l."id" = k."order_line_id"
      WHERE k."shop_id" = ${order.shopId} AND k."order_id" = ${order.id} AND k."status" IN ('ASSIGNED', 'USED')
      ORDER BY k."order_line_id" NULLS LAST, k."id"`,
    );
  });

  // Keys still owed (not enough stock) wins over "ready": the customer sees what they have so far
  // and learns that more are coming.
  if (order.shortfall > 0) return { state: "waiting", keys };
  if (keys.length > 0) return { state: "ready", keys };
  // Keys are assigned once the order is paid (the shop's assign-on-payment setting).
  if (order.awaitingPayment) return { state: "preparing", keys: [] };
  return { state: "none", keys: [] };
}

export interface CustomerViewOrder {
  shopifyId: bigint;
  name: string;
  customerId: bigint | null;
  confirmationNumber: string | null;
  placedAt: Date;
  shortfall: number;
  /** Keys the customer can see (Assigned or Used). */
  keys: number;
}

/** Shopify's ids as bigint, whichever driver ran the statement. */
const bigintId = col.bigint.transform((id) => BigInt(id));

const customerViewOrder = {
  shopifyId: bigintId,
  name: col.text,
  customerId: bigintId.nullable(),
  confirmationNumber: col.text.nullable(),
  placedAt: col.time,
  shortfall: col.int,
  keys: col.int,
};

const customerViewColumns = sql`
  o."shopify_id" AS "shopifyId", o."name", o."customer_id" AS "customerId",
  o."confirmation_number" AS "confirmationNumber", o."placed_at" AS "placedAt", o."shortfall",
  (SELECT count(*)::int FROM "license_key" k
    WHERE k."shop_id" = o."shop_id" AND k."order_id" = o."id" AND k."status" IN ('ASSIGNED', 'USED')) AS "keys"`;

/**
 * The demo's customer view: the shop's latest orders that carry keys or wait for them, newest
 * first, to pick one and see it as its customer would. (Reads only; viewing is what marks Used.)
 */
export async function listOrdersForCustomerView({
  shop,
  limit = 25,
}: {
  shop: string;
  limit?: number;
}): Promise<CustomerViewOrder[]> {
  return prismaDb(prisma).rows(
    customerViewOrder,
    sql`
    SELECT ${customerViewColumns}
    FROM "order" o JOIN "shop" s ON s."id" = o."shop_id"
    WHERE s."domain" = ${shop} AND o."carries_keys"
    ORDER BY o."placed_at" DESC, o."id" DESC
    LIMIT ${Math.min(Math.max(limit, 1), 100)}`,
  );
}

export async function findOrderForCustomerView({
  shop,
  orderId,
}: {
  shop: string;
  orderId: bigint;
}): Promise<CustomerViewOrder | null> {
  const rows = await prismaDb(prisma).rows(
    customerViewOrder,
    sql`
    SELECT ${customerViewColumns}
    FROM "order" o JOIN "shop" s ON s."id" = o."shop_id"
    WHERE s."domain" = ${shop} AND o."shopify_id" = ${orderId}::bigint`,
  );
  return rows[0] ?? null;
}
