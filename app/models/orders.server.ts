// The orders screen: orders that received keys (searchable by order name or customer email),
// orders waiting for keys (oldest first, the order they are filled in), orders waiting for payment,
// and one order with its keys.
import type { KeyStatus, KeyType, LinkSource, RetireReason } from "@prisma/client";
import prisma from "~/db.server";
import { orderSearch, type OrderView } from "~/lib/orders";
import { LibraryError } from "~/lib/library";
import { col, prismaDb, raw, sql } from "~/sql.server";

export const ORDERS_PER_PAGE = 50;

export interface OrderListRow {
  id: number;
  shopifyId: string;
  name: string;
  email: string | null;
  placedAt: Date;
  keysAssigned: number;
  keysNeeded: number;
  shortfall: number;
  awaitingPayment: boolean;
  cancelledAt: Date | null;
  /** "Stellar Quest (3 of 5)"-style summary of the lines still owed keys (waiting view). */
  waitingFor: Array<{ title: string; tagName: string | null; needed: number; assigned: number }>;
}

const orderListRow = {
  id: col.int,
  shopifyId: col.text,
  name: col.text,
  email: col.text.nullable(),
  placedAt: col.time,
  shortfall: col.int,
  awaitingPayment: col.bool,
  cancelledAt: col.time.nullable(),
  keysAssigned: col.int,
  keysNeeded: col.int,
};

// Keyset cursors "<placedAt ms>_<id>": stable while orders keep arriving.
function encodeCursor(row: { placedAt: Date; id: number }) {
  return `${row.placedAt.getTime()}_${row.id}`;
}

function decodeCursor(cursor: string | null) {
  const match = cursor ? /^(\d{1,15})_(\d{1,10})$/.exec(cursor) : null;
  return match ? { placedAt: new Date(Number(match[1])), id: Number(match[2]) } : null;
}

/**
 * One page of orders. "all": newest first, orders that carry keys. "waiting": orders still owed
 * keys, oldest first (the order fillWaitingOrders serves them in). "awaiting-payment": unpaid
 * orders whose keys wait for payment, oldest first.
 */
export async function listOrders({
  shopId,
  view,
  q,
  after,
}: {
  shopId: number;
  view: OrderView;
  q: string;
  after: string | null;
}): Promise<{ orders: OrderListRow[]; next: string | null }> {
  const cursor = decodeCursor(after);
  const search = orderSearch(q);
  const ascending = view !== "all";
  const names = search.kind === "name" ? search.names : null;
  const emailPrefix = search.kind === "email" ? search.prefix.replace(/[\\%_]/g, (c) => `\\${c}`) : null;
  const cursorAt = cursor ? cursor.placedAt.toISOString().replace("T", " ").replace("Z", "") : null;
  const direction = raw(ascending ? "ASC" : "DESC");
  const rows = await prismaDb(prisma).rows(
    orderListRow,
    sql`SELECT o."id", o."shopify_id"::text AS "shopifyId", o."name", o."email", o."placed_at" AS "placedAt",
       o."shortfall", o."awaiting_payment" AS "awaitingPayment", o."cancelled_at" AS "cancelledAt",
       COALESCE(l.assigned, 0)::int AS "keysAssigned", COALESCE(l.needed, 0)::int AS "keysNeeded"
     FROM "order" o
     LEFT JOIN LATERAL (
       SELECT sum("keys_assigned") AS assigned, sum("keys_needed") AS needed FROM "order_line" WHERE "order_id" = o."id"
     ) l ON true
     WHERE o."shop_id" = ${shopId}
       AND ${raw(view === "waiting" ? `o."shortfall" > 0` : view === "awaiting-payment" ? `o."awaiting_payment"` : `o."carries_keys"`)}
       AND (${names}::text[] IS NULL OR o."name" = ANY(${names}::text[]))
       AND (${emailPrefix}::text IS NULL OR lower(o."email") LIKE ${emailPrefix}::text || '%')
       AND (${cursorAt}::timestamp IS NULL OR (o."placed_at", o."id") ${raw(ascending ? ">" : "<")} (${cursorAt}::timestamp, ${cursor?.id ?? 0}::int))
     ORDER BY o."placed_at" ${direction}, o."id" ${direction}
     LIMIT ${raw(String(ORDERS_PER_PAGE + 1))}`,
  );
  const page = rows.slice(0, ORDERS_PER_PAGE);
  const waitingFor = new Map<number, OrderListRow["waitingFor"]>();
  if (view === "waiting" && page.length) {
    const lines = await prismaDb(prisma).rows(
      { orderId: col.int, title: col.text, tagName: col.text.nullable(), needed: col.int, assigned: col.int },
      sql`
      SELECT ol."order_id" AS "orderId", ol."title", t."name" AS "tagName", ol."keys_needed" AS "needed", ol."keys_assigned" AS "assigned"
      FROM "order_line" ol LEFT JOIN "tag" t ON t."id" = ol."tag_id"
      WHERE ol."order_id" = ANY(${page.map((o) => o.id)}::int[]) AND ol."keys_assigned" < ol."keys_needed"
      ORDER BY ol."id"`,
    );
    for (const line of lines) {
      const list = waitingFor.get(line.orderId) ?? [];
      list.push({ title: line.title, tagName: line.tagName, needed: line.needed, assigned: line.assigned });
      waitingFor.set(line.orderId, list);
    }
  }
  return {
    orders: page.map((row) => ({ ...row, waitingFor: waitingFor.get(row.id) ?? [] })),
    next: rows.length > ORDERS_PER_PAGE ? encodeCursor(page[page.length - 1]) : null,
  };
}

/** How many orders each tab holds (partial indexes keep these cheap). */
export async function countOrderViews({ shopId }: { shopId: number }) {
  const [row] = await prismaDb(prisma).rows(
    { waiting: col.int, awaitingPayment: col.int },
    sql`
    SELECT (SELECT count(*)::int FROM "order" WHERE "shop_id" = ${shopId} AND "shortfall" > 0) AS "waiting",
      (SELECT count(*)::int FROM "order" WHERE "shop_id" = ${shopId} AND "awaiting_payment") AS "awaitingPayment"`,
  );
  return row;
}

export interface OrderKeyRow {
  id: number;
  value: string;
  type: KeyType;
  status: KeyStatus;
  assignedAt: Date | null;
  usedAt: Date | null;
  retiredAt: Date | null;
  retireReason: RetireReason | null;
  lineId: number | null;
  /** When the delivery email that carried this key was sent (null: not emailed, or not yet). */
  emailedAt: Date | null;
}

export interface OrderDetail {
  id: number;
  shopifyId: string;
  name: string;
  email: string | null;
  customerId: string | null;
  confirmationNumber: string | null;
  financialStatus: string | null;
  placedAt: Date;
  cancelledAt: Date | null;
  shortfall: number;
  awaitingPayment: boolean;
  lines: Array<{
    id: number;
    title: string;
    quantity: number;
    keysNeeded: number;
    keysAssigned: number;
    source: LinkSource;
    tagId: number | null;
    tagName: string | null;
    pendingInTag: number | null;
  }>;
  keys: OrderKeyRow[];
}

/** One order of this shop with its lines and every key it ever received; another shop's id is a 404. */
export async function getOrderDetail({ shopId, orderId }: { shopId: number; orderId: number }): Promise<OrderDetail> {
  const order = await prisma.order.findFirst({
    where: { id: orderId, shopId },
    select: {
      id: true,
      shopifyId: true,
      name: true,
      email: true,
      customerId: true,
      confirmationNumber: true,
      financialStatus: true,
      placedAt: true,
      cancelledAt: true,
      shortfall: true,
      awaitingPayment: true,
      lines: {
        orderBy: { id: "asc" },
        select: {
          id: true,
          title: true,
          quantity: true,
          keysNeeded: true,
          keysAssigned: true,
          source: true,
          tagId: true,
          tag: { select: { name: true, pendingCount: true } },
        },
      },
    },
  });
  if (!order) throw new LibraryError("This order does not exist.", 404);
  // Retired keys stay linked to the order they were withdrawn from: the history stays visible.
  const keys = await prisma.licenseKey.findMany({
    where: { shopId, orderId: order.id },
    orderBy: [{ orderLineId: "asc" }, { id: "asc" }],
    take: 5000,
    select: {
      id: true,
      value: true,
      type: true,
      status: true,
      assignedAt: true,
      usedAt: true,
      retiredAt: true,
      retireReason: true,
      orderLineId: true,
      deliveryId: true,
    },
  });
  const deliveryIds = [...new Set(keys.flatMap((key) => (key.deliveryId === null ? [] : [key.deliveryId])))];
  const sent = deliveryIds.length
    ? await prisma.mailMessage.findMany({
        where: { shopId, deliveryId: { in: deliveryIds }, state: "SENT" },
        select: { deliveryId: true, sentAt: true },
      })
    : [];
  return {
    ...order,
    shopifyId: order.shopifyId.toString(),
    customerId: order.customerId?.toString() ?? null,
    lines: order.lines.map(({ tag, ...line }) => ({
      ...line,
      tagName: tag?.name ?? null,
      pendingInTag: line.source === "TAG" ? (tag?.pendingCount ?? null) : null,
    })),
    keys: keys.map(({ orderLineId, deliveryId, ...key }) => ({
      ...key,
      lineId: orderLineId,
      emailedAt: sent.find((mail) => deliveryId !== null && mail.deliveryId === deliveryId)?.sentAt ?? null,
    })),
  };
}
