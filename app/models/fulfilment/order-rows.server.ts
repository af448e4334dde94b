// What an order and its lines are made of in the database, and the one INSERT of each: every path
// that records an order (the batched statement for new orders, the per-order transaction, an
// orders/cancelled that arrives first) composes these fragments.
//
// A line carries keys when its product (or its variant) is linked: linkOfEachItem is the one place
// of that rule. A line's keys_assigned counts its Assigned and Used keys; keys_needed -
// keys_assigned is what it is owed (a CHECK constraint keeps it >= 0).
import { customerFirstName, orderEmail, type OrderPayload } from "~/lib/shopify-payloads";
import { sql, type Raw, type Sql } from "~/sql.server";

/** Timestamps travel as ISO strings with their zone: sessions run in UTC, columns hold UTC. */
export function iso(date: Date | null) {
  return date ? date.toISOString() : null;
}

export function lineTitle(line: OrderPayload["line_items"][number]) {
  const variant = line.variant_title?.trim();
  return variant && variant !== "Default Title" ? `${line.title} - ${variant}` : line.title;
}

/** An order's own columns, as the payload gives them. */
export interface OrderColumns {
  shopify_id: string;
  name: string;
  email: string | null;
  customer_locale: string | null;
  customer_first_name: string | null;
  customer_id: string | null;
  confirmation_number: string | null;
  financial_status: string | null;
  placed_at: string;
  paid_at: string | null;
  cancelled_at: string | null;
}

export function orderColumns(
  order: OrderPayload,
  { paidNow, cancelledAt = iso(order.cancelled_at) }: { paidNow: boolean; cancelledAt?: string | null },
): OrderColumns {
  return {
    shopify_id: String(order.id),
    name: order.name,
    email: orderEmail(order),
    customer_locale: order.customer_locale?.slice(0, 35) ?? null,
    customer_first_name: customerFirstName(order)?.slice(0, 255) ?? null,
    customer_id: order.customer?.id == null ? null : String(order.customer.id),
    confirmation_number: order.confirmation_number,
    financial_status: order.financial_status,
    placed_at: iso(order.created_at) ?? new Date().toISOString(),
    paid_at: paidNow ? new Date().toISOString() : null,
    cancelled_at: cancelledAt,
  };
}

/** One order row from its columns, as a query insertOrders reads. */
export function orderRow(
  shopId: number,
  columns: OrderColumns,
  { carriesKeys = false, awaitingPayment = false }: { carriesKeys?: boolean; awaitingPayment?: boolean } = {},
) {
  return sql`
    SELECT NULL::int AS id, ${shopId}::int AS shop_id, ${columns.shopify_id}::bigint AS shopify_id, ${columns.name}::text AS name,
      ${columns.email}::text AS email, ${columns.customer_locale}::text AS customer_locale,
      ${columns.customer_first_name}::text AS customer_first_name, ${columns.customer_id}::bigint AS customer_id,
      ${columns.confirmation_number}::text AS confirmation_number, ${columns.financial_status}::text AS financial_status,
      ${carriesKeys}::boolean AS carries_keys, ${awaitingPayment}::boolean AS awaiting_payment, 0 AS shortfall,
      ${columns.placed_at}::timestamptz AS placed_at, ${columns.paid_at}::timestamptz AS paid_at,
      ${columns.cancelled_at}::timestamptz AS cancelled_at`;
}

/**
 * The one INSERT of order rows. `rows` yields the columns by name (id null: drawn from the
 * sequence); `tail` is the ON CONFLICT / RETURNING clause. Rows go in key order, so statements
 * recording several orders at once wait for each other in one direction only.
 */
export function insertOrders(rows: Sql, tail: Sql) {
  return sql`
    INSERT INTO "order" ("id", "shop_id", "shopify_id", "name", "email", "customer_locale", "customer_first_name", "customer_id", "confirmation_number",
      "financial_status", "carries_keys", "awaiting_payment", "shortfall", "placed_at", "paid_at", "cancelled_at", "updated_at")
    SELECT COALESCE(r.id, nextval(pg_get_serial_sequence('"order"', 'id'))::int), r.shop_id, r.shopify_id, r.name, r.email,
      r.customer_locale, r.customer_first_name, r.customer_id, r.confirmation_number, r.financial_status, r.carries_keys, r.awaiting_payment, r.shortfall,
      r.placed_at, r.paid_at, r.cancelled_at, now()
    FROM (${rows}) r
    ORDER BY r.shop_id, r.shopify_id
    ${tail}`;
}

/**
 * The one INSERT of order lines. `rows` yields (id or null, shop_id, order_id, line_item_id,
 * product_id, variant_id, title, quantity, source as text, tag_id, keys_per_unit, keys_needed,
 * keys_assigned, auto_pattern, auto_prefix); `tail` is its ON CONFLICT clause, if any.
 */
export function insertOrderLines(rows: Sql, tail: Sql = sql``) {
  return sql`
    INSERT INTO "order_line" ("id", "shop_id", "order_id", "line_item_id", "product_id", "variant_id", "title", "quantity",
      "source", "tag_id", "keys_per_unit", "keys_needed", "keys_assigned", "auto_pattern", "auto_prefix")
    SELECT COALESCE(r.id, nextval(pg_get_serial_sequence('"order_line"', 'id'))::int), r.shop_id, r.order_id, r.line_item_id,
      r.product_id, r.variant_id, r.title, r.quantity, r.source::"LinkSource", r.tag_id, r.keys_per_unit, r.keys_needed,
      r.keys_assigned, r.auto_pattern, r.auto_prefix
    FROM (${rows}) r
    ${tail}`;
}

/**
 * Each line item's product link, the one place of the rule: a variant's own link overrides its
 * product's; an item linked by neither yields no row. `items` is SQL yielding (ord, product_id,
 * variant_id, ...) rows; `shopId` is SQL naming the shop's id in the enclosing query.
 */
export function linkOfEachItem(shopId: Raw, items: Sql) {
  return sql`
    SELECT DISTINCT ON (li.ord) li.*, pl."source"::text AS source, pl."tag_id", pl."keys_per_unit",
      pl."auto_pattern", pl."auto_prefix"
    FROM (${items}) li
    JOIN "product_link" pl ON pl."shop_id" = ${shopId} AND pl."product_id" = li.product_id
      AND (pl."variant_id" IS NULL OR pl."variant_id" = li.variant_id)
    ORDER BY li.ord, pl."variant_id" NULLS LAST`;
}
