// Cancellations and refunds: what happens to an order's keys when it is cancelled (orders/cancelled)
// or refunded (refunds/create). The order stops owing what was cancelled or refunded; keys the
// customer never viewed go back to the pool when the shop's cancellation setting says so
// (RETURN_UNVIEWED), and then waiting orders get them. A key the customer has seen (Used) always
// stays with the order. Each event counts once (webhook-events), and a refund once under any event id.
import type { CancelPolicy } from "@prisma/client";
import prisma from "~/db.server";
import { orderPayloadSchema, parsePayload, refundPayloadSchema } from "~/lib/shopify-payloads";
import { col, prismaDb, sql, transaction, type Db } from "~/sql.server";
import { recordAudit } from "../audit.server";
import type { OrderEvent } from "./orders-arriving.server";
import { iso, insertOrders, orderColumns, orderRow } from "./order-rows.server";
import { fillWaitingOrders } from "./waiting-orders.server";
import { claimWebhookEvent, normaliseTopic } from "./webhook-events.server";

export interface ReturnOutcome {
  status: "duplicate" | "ignored" | "recorded";
  keysReturned: number;
}

async function findShopForWebhook(shopDomain: string) {
  return prisma.shop.findUnique({
    where: { domain: shopDomain },
    select: { id: true, cancelPolicy: true, uninstalledAt: true },
  });
}

const returnedPerLine = { lineId: col.int.nullable(), tagId: col.int.nullable(), n: col.int };
type Returned = Array<{ lineId: number | null; tagId: number | null; n: number }>;

/**
 * Keys of the given lines that the customer never viewed go back to the pool: Pending, no order.
 * Used keys stay with the order. `limitPerLine` caps how many each line returns (refunds).
 */
async function returnUnviewedKeys(
  db: Db,
  { shopId, orderId, limitPerLine }: { shopId: number; orderId: number; limitPerLine?: Map<number, number> },
): Promise<Returned> {
  const limits = limitPerLine ? [...limitPerLine.entries()] : null;
  return db.rows(
    returnedPerLine,
    sql`
    WITH candidates AS (
      SELECT k."id", k."order_line_id",
        row_number() OVER (PARTITION BY k."order_line_id" ORDER BY k."id" DESC) AS rn
      FROM "license_key" k
      WHERE k."shop_id" = ${shopId} AND k."order_id" = ${orderId} AND k."status" = 'ASSIGNED'
    ), chosen AS (
      SELECT c."id", c."order_line_id" FROM candidates c
      LEFT JOIN jsonb_to_recordset(${limits === null ? null : JSON.stringify(limits.map(([line, n]) => ({ line, n })))}::jsonb)
        AS lim(line int, n int) ON lim.line = c."order_line_id"
      WHERE ${limits === null}::boolean OR c.rn <= COALESCE(lim.n, 0)
    ), returned AS (
      UPDATE "license_key" k SET "status" = 'PENDING', "order_id" = NULL, "order_line_id" = NULL, "assigned_at" = NULL
      FROM chosen WHERE k."id" = chosen."id" AND k."status" = 'ASSIGNED'
      RETURNING chosen."order_line_id"
    ), per_line AS (
      SELECT "order_line_id", count(*)::int AS n FROM returned GROUP BY 1
    ), lowered AS (
      UPDATE "order_line" ol SET "keys_assigned" = ol."keys_assigned" - per_line.n, "keys_needed" = ol."keys_needed" - per_line.n
      FROM per_line WHERE ol."id" = per_line."order_line_id"
      RETURNING ol."id", ol."tag_id", per_line.n
    )
    SELECT "id" AS "lineId", "tag_id" AS "tagId", n FROM lowered`,
  );
}

/** orders/cancelled: the order stops owing keys; unviewed keys return to the pool if the shop says so. */
export async function cancelOrder(event: OrderEvent): Promise<ReturnOutcome> {
  const topic = normaliseTopic(event.topic);
  const order = parsePayload(orderPayloadSchema, event.payload);
  const shop = await findShopForWebhook(event.shopDomain);
  const result = await transaction(async (tx) => {
    const db = prismaDb(tx);
    if (!(await claimWebhookEvent(db, { ...event, topic })))
      return { status: "duplicate" as const, keysReturned: 0, tagIds: [] as number[] };
    if (!shop || shop.uninstalledAt) return { status: "ignored" as const, keysReturned: 0, tagIds: [] };
    const [row] = await db.rows(
      { id: col.int, name: col.text, cancelledAt: col.time.nullable() },
      sql`
      SELECT "id", "name", "cancelled_at" AS "cancelledAt" FROM "order"
      WHERE "shop_id" = ${shop.id} AND "shopify_id" = ${order.id}::bigint FOR UPDATE`,
    );
    if (!row) {
      // Webhooks can arrive out of order: record the order as cancelled, so that an orders/create
      // delivered after this finds it and hands out nothing.
      const columns = orderColumns(order, { paidNow: false, cancelledAt: iso(order.cancelled_at ?? new Date()) });
      await db.run(insertOrders(orderRow(shop.id, columns), sql`ON CONFLICT ("shop_id", "shopify_id") DO NOTHING`));
      return { status: "recorded" as const, keysReturned: 0, tagIds: [] };
    }
    // Already cancelled: nothing more to do.
    if (row.cancelledAt) return { status: "recorded" as const, keysReturned: 0, tagIds: [] };
    const returned =
      shop.cancelPolicy === "RETURN_UNVIEWED" ? await returnUnviewedKeys(db, { shopId: shop.id, orderId: row.id }) : [];
    await db.run(sql`
      UPDATE "order_line" SET "keys_needed" = "keys_assigned" WHERE "order_id" = ${row.id} AND "keys_needed" <> "keys_assigned"`);
    await db.run(sql`
      UPDATE "order" SET "cancelled_at" = ${iso(order.cancelled_at ?? new Date())}::timestamptz, "shortfall" = 0, "awaiting_payment" = false,
        "updated_at" = now()
      WHERE "id" = ${row.id}`);
    const keysReturned = returned.reduce((sum, r) => sum + r.n, 0);
    await recordAudit({
      tx,
      shopId: shop.id,
      actor: "Shopify",
      action: "orders.cancel",
      summary: describeReturn(`Order ${row.name} was cancelled`, keysReturned, shop.cancelPolicy),
      count: keysReturned,
      details: { orderId: row.id },
    });
    return { status: "recorded" as const, keysReturned, tagIds: tagsOf(returned) };
  });
  if (shop && result.tagIds.length) await fillWaitingOrders({ shopId: shop.id, tagIds: result.tagIds });
  return { status: result.status, keysReturned: result.keysReturned };
}

/** refunds/create: refunded units stop owing keys; their unviewed keys return if the shop says so. */
export async function refundOrder(event: OrderEvent): Promise<ReturnOutcome> {
  const topic = normaliseTopic(event.topic);
  const refund = parsePayload(refundPayloadSchema, event.payload);
  const shop = await findShopForWebhook(event.shopDomain);
  const result = await transaction(async (tx) => {
    const db = prismaDb(tx);
    const none = { keysReturned: 0, tagIds: [] as number[] };
    if (!(await claimWebhookEvent(db, { ...event, topic }))) return { status: "duplicate" as const, ...none };
    // The same refund under another event id must not release keys twice.
    if (!(await claimWebhookEvent(db, { shopDomain: event.shopDomain, topic, eventId: `refund:${refund.id}` }))) {
      return { status: "duplicate" as const, ...none };
    }
    if (!shop || shop.uninstalledAt) return { status: "ignored" as const, ...none };
    const [row] = await db.rows(
      { id: col.int, name: col.text },
      sql`
      SELECT "id", "name" FROM "order" WHERE "shop_id" = ${shop.id} AND "shopify_id" = ${refund.order_id}::bigint FOR UPDATE`,
    );
    if (!row || refund.refund_line_items.length === 0) return { status: "recorded" as const, ...none };

    // Per line: refunded units x keys per unit are released: first from what is still owed, then
    // (policy permitting) from keys the customer never viewed. Keys the customer keeps stay needed.
    const refunded = refund.refund_line_items.map((item) => ({
      line_item_id: String(item.line_item_id),
      quantity: item.quantity,
    }));
    const lines = await db.rows(
      { id: col.int, release: col.int, owed: col.int },
      sql`
      SELECT ol."id", (sum(r.quantity) * ol."keys_per_unit")::int AS "release", ol."keys_needed" - ol."keys_assigned" AS "owed"
      FROM "order_line" ol
      JOIN jsonb_to_recordset(${JSON.stringify(refunded)}::jsonb) AS r(line_item_id bigint, quantity int)
        ON r.line_item_id = ol."line_item_id"
      WHERE ol."order_id" = ${row.id}
      GROUP BY ol."id"`,
    );
    if (lines.length === 0) return { status: "recorded" as const, ...none };
    const fromOwed = lines.map((l) => ({ id: l.id, n: Math.min(l.release, l.owed) }));
    await db.run(sql`
      UPDATE "order_line" ol SET "keys_needed" = ol."keys_needed" - x.n
      FROM jsonb_to_recordset(${JSON.stringify(fromOwed)}::jsonb) AS x(id int, n int)
      WHERE ol."id" = x.id AND x.n > 0`);
    let returned: Returned = [];
    if (shop.cancelPolicy === "RETURN_UNVIEWED") {
      const limits = new Map(lines.map((l) => [l.id, l.release - Math.min(l.release, l.owed)] as [number, number]));
      returned = await returnUnviewedKeys(db, { shopId: shop.id, orderId: row.id, limitPerLine: limits });
    }
    await db.run(sql`
      UPDATE "order" o SET "shortfall" = COALESCE((SELECT sum(ol."keys_needed" - ol."keys_assigned") FROM "order_line" ol WHERE ol."order_id" = o."id"), 0),
        "updated_at" = now()
      WHERE o."id" = ${row.id}`);
    const keysReturned = returned.reduce((sum, r) => sum + r.n, 0);
    await recordAudit({
      tx,
      shopId: shop.id,
      actor: "Shopify",
      action: "orders.refund",
      summary: describeReturn(`Order ${row.name} was refunded`, keysReturned, shop.cancelPolicy),
      count: keysReturned,
      details: { orderId: row.id, refundId: String(refund.id) },
    });
    return { status: "recorded" as const, keysReturned, tagIds: tagsOf(returned) };
  });
  if (shop && result.tagIds.length) await fillWaitingOrders({ shopId: shop.id, tagIds: result.tagIds });
  return { status: result.status, keysReturned: result.keysReturned };
}

function tagsOf(rows: Returned) {
  return [...new Set(rows.filter((r) => r.tagId !== null && r.n > 0).map((r) => r.tagId as number))];
}

function describeReturn(what: string, returned: number, policy: CancelPolicy) {
  if (policy === "KEEP_ASSIGNED") return `${what}: its licence keys stay assigned (cancellation setting)`;
  if (returned === 0) return `${what}: no unviewed licence keys to return`;
  return `${what}: ${returned} unviewed licence ${returned === 1 ? "key" : "keys"} returned to the pool`;
}
