// What happens to licence keys when an order arrives, is paid, cancelled or refunded: the one
// place with these rules.
//
// Exactly once, at any concurrency, on any number of app instances sharing one database:
// - a redelivered event is recognised by its event id (webhook_event's primary key), recorded
//   atomically with the work, so an event counts as handled exactly when its work committed;
// - the same order under another event id finds its row (unique shop + Shopify order id) and its
//   lines (unique order + line item): in a transaction the upsert locks the order row, so
//   deliveries of one order run one after the other and each assigns only what is still owed; the
//   one-statement path for new orders loses such a race to its foreign keys and retries here;
// - keys are claimed with `FOR UPDATE SKIP LOCKED` on license_key and re-checked to be Pending in
//   the UPDATE itself, so no key is ever handed out twice, and each line receives at most
//   keys_needed - keys_assigned keys (a CHECK constraint backs this up);
// - nothing waits for a key while holding the rows every assignment in the shop updates (the tag
//   and shop counters kept by triggers), so concurrent orders cannot deadlock on them.
//
// Invariant kept by every function here and the order screen's actions: a line's keys_assigned is
// the number of its keys that are Assigned or Used; keys_needed - keys_assigned is what it is owed,
// and an order's shortfall is the sum over its lines (0 while it awaits payment or is cancelled).
import type { AssignTrigger, CancelPolicy, Prisma } from "@prisma/client";
import prisma from "~/db.server";
import { createBatcher } from "~/lib/batcher";
import { generateKeys, keyFormatOf } from "~/lib/key-format";
import {
  isKeyCandidate,
  orderEmail,
  orderPayloadSchema,
  refundPayloadSchema,
  type OrderPayload,
} from "~/lib/shopify-payloads";
import {
  hotPool,
  hotTransaction,
  isTransientError,
  pgDb,
  prepared,
  prismaDb,
  prismaTransaction,
  raw,
  sql,
  type Db,
  type Raw,
  type Sql,
} from "~/sql.server";
import { recordAudit } from "./audit.server";
import { checkLowStock, lowStockMayHaveChanged, type TagStockSnapshot } from "./low-stock.server";

type Tx = Prisma.TransactionClient;

/** A webhook payload that does not have the shape Shopify sends (answered with 400). */
export class InvalidPayloadError extends Error {
  constructor(public readonly issues: string) {
    super(`Invalid webhook payload: ${issues}`);
  }
}

function parsePayload<T>(
  schema: { safeParse(input: unknown): { success: true; data: T } | { success: false; error: { message: string } } },
  payload: unknown,
): T {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) throw new InvalidPayloadError(parsed.error.message);
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Transactions

/** Prisma interactive transaction with deadlock retries (work that records audit entries). */
export function runTransaction<T>(work: (tx: Tx) => Promise<T>, options?: { timeout?: number }) {
  return prismaTransaction(prisma, work, options);
}

type WebhookEventRef = { shopDomain: string; topic: string; eventId: string; webhookId?: string };

/** Records a webhook event: returns a row only the first time (Shopify redelivers with the same id). */
function insertWebhookEvent(event: WebhookEventRef) {
  return sql`
    INSERT INTO "webhook_event" ("shop_domain", "topic", "event_id", "webhook_id", "processed_at")
    VALUES (${event.shopDomain}::text, ${event.topic}::text, ${event.eventId}::text, ${event.webhookId ?? ""}::text, now())
    ON CONFLICT DO NOTHING
    RETURNING 1`;
}

/** Records a webhook event; false when it was handled before. */
export async function claimWebhookEvent(db: Db, event: WebhookEventRef) {
  const rows = await db.query(prepared("keyshelf_claim_event", insertWebhookEvent(event)));
  return rows.length === 1;
}

// ---------------------------------------------------------------------------------------------
// Orders arriving: orders/create and orders/paid

export interface OrderEvent {
  shopDomain: string;
  /** "orders/create" or "orders/paid" (Shopify's ORDERS_CREATE / ORDERS_PAID are accepted too). */
  topic: string;
  eventId: string;
  webhookId?: string;
  payload: unknown;
}

export type ReceiveOrderResult =
  | { status: "duplicate" }
  | { status: "ignored"; reason: "unknown-shop" | "uninstalled" }
  | {
      status: "recorded";
      orderId: number;
      keysAssigned: number;
      shortfall: number;
      awaitingPayment: boolean;
      cancelled: boolean;
    };

interface ResolvedLine {
  line_item_id: string;
  product_id: string | null;
  variant_id: string | null;
  title: string;
  quantity: number;
  source: "TAG" | "AUTO_GENERATE";
  tag_id: number | null;
  keys_per_unit: number;
  keys_needed: number;
  auto_pattern: string | null;
  auto_prefix: string | null;
}

interface OrderContext {
  shopId: number;
  assignTrigger: AssignTrigger;
  uninstalled: boolean;
  autoTagId: number | null;
  lines: ResolvedLine[];
}

/** Timestamps travel as ISO strings with their zone: sessions run in UTC, columns hold UTC. */
function iso(date: Date | null) {
  return date ? date.toISOString() : null;
}

export function normaliseTopic(topic: string) {
  return topic.toLowerCase().replace("_", "/");
}

function lineTitle(line: OrderPayload["line_items"][number]) {
  const variant = line.variant_title?.trim();
  return variant && variant !== "Default Title" ? `${line.title} - ${variant}` : line.title;
}

/**
 * Each line item's product link, the one place of the rule: a variant's own link overrides its
 * product's; an item linked by neither yields no row. `items` is SQL yielding (ord, product_id,
 * variant_id, ...) rows; `shopId` is SQL naming the shop's id in the enclosing query.
 */
function linkOfEachItem(shopId: Raw, items: Sql) {
  return sql`
    SELECT DISTINCT ON (li.ord) li.*, pl."source"::text AS source, pl."tag_id", pl."keys_per_unit",
      pl."auto_pattern", pl."auto_prefix"
    FROM (${items}) li
    JOIN "product_link" pl ON pl."shop_id" = ${shopId} AND pl."product_id" = li.product_id
      AND (pl."variant_id" IS NULL OR pl."variant_id" = li.variant_id)
    ORDER BY li.ord, pl."variant_id" NULLS LAST`;
}

/**
 * The shop's settings and, for each line item that can carry keys, its link (linkOfEachItem). One
 * round trip, before the transaction (links are configuration). The one-statement path for new
 * orders (recordNewOrder) reads the same links inside its statement.
 */
async function loadOrderContext(shopDomain: string, order: OrderPayload): Promise<OrderContext | null> {
  const candidates = order.line_items.filter(isKeyCandidate);
  const productIds = candidates.map((line) => String(line.product_id));
  const variantIds = candidates.map((line) => (line.variant_id === null ? null : String(line.variant_id)));
  const rows = await pgDb(hotPool()).query<{
    shopId: number;
    assignTrigger: AssignTrigger;
    uninstalled: boolean;
    autoTagId: number | null;
    links: Array<{
      ord: number;
      source: "TAG" | "AUTO_GENERATE";
      tag_id: number | null;
      keys_per_unit: number;
      auto_pattern: string | null;
      auto_prefix: string | null;
    }>;
  }>(
    prepared(
      "keyshelf_order_context",
      sql`
    SELECT s."id" AS "shopId", s."assign_trigger" AS "assignTrigger", s."uninstalled_at" IS NOT NULL AS "uninstalled",
      (SELECT t."id" FROM "tag" t WHERE t."shop_id" = s."id" AND t."kind" = 'AUTO_GENERATED') AS "autoTagId",
      COALESCE((
        SELECT json_agg(chosen) FROM (${linkOfEachItem(
          raw(`s."id"`),
          sql`SELECT product_id, variant_id, ord::int FROM unnest(${productIds}::bigint[], ${variantIds}::bigint[])
            WITH ORDINALITY AS li(product_id, variant_id, ord)`,
        )}) chosen
      ), '[]'::json) AS "links"
    FROM "shop" s WHERE s."domain" = ${shopDomain}`,
    ),
  );
  const row = rows[0];
  if (!row) return null;
  const lines: ResolvedLine[] = [];
  for (const link of row.links) {
    const item = candidates[link.ord - 1];
    const autoGenerate = link.source === "AUTO_GENERATE";
    lines.push({
      line_item_id: String(item.id),
      product_id: item.product_id === null ? null : String(item.product_id),
      variant_id: item.variant_id === null ? null : String(item.variant_id),
      title: lineTitle(item),
      quantity: item.quantity,
      source: link.source,
      tag_id: autoGenerate ? row.autoTagId : link.tag_id,
      keys_per_unit: link.keys_per_unit,
      keys_needed: item.quantity * link.keys_per_unit,
      auto_pattern: autoGenerate ? keyFormatOf(link.auto_pattern, link.auto_prefix).pattern : null,
      auto_prefix: autoGenerate ? (link.auto_prefix ?? "") : null,
    });
  }
  return {
    shopId: row.shopId,
    assignTrigger: row.assignTrigger,
    uninstalled: row.uninstalled,
    autoTagId: row.autoTagId,
    lines,
  };
}

/**
 * orders/create and orders/paid. Records the order and its key-carrying lines, and assigns their
 * keys unless the shop waits for payment. Safe to call any number of times, in any order, from
 * any number of processes: the result is the same as one call.
 */
export async function receiveOrder(event: OrderEvent): Promise<ReceiveOrderResult> {
  const topic = normaliseTopic(event.topic);
  const order = parsePayload(orderPayloadSchema, event.payload);
  const paidNow = topic === "orders/paid" || order.financial_status === "paid";
  const cancelled = order.cancelled_at !== null;

  // Most deliveries are the first of a new order: one statement (shared with the other new orders of
  // the shop arriving meanwhile) reads the shop's settings and links, records the order and serves
  // it. Anything else (an order seen before, orders/paid, generated keys, an unknown or uninstalled
  // shop, a race with another delivery of the same order) loads the context and takes the
  // transaction below, which handles every case.
  let alreadyClaimed = false;
  let raced = false;
  if (topic === "orders/create") {
    try {
      const fast = await recordNewOrder({ ...event, topic }, order, { paidNow, cancelled });
      if (fast.status === "duplicate") return fast;
      if (fast.status === "recorded") return finishOrder(fast.shopId, fast.linkedTagIds, fast.result, fast.raced);
      alreadyClaimed = fast.status === "existing";
      raced = fast.status === "existing" && fast.raced;
    } catch (error) {
      // A race with another delivery of this order, or a deadlock with another batch: the statement
      // left nothing behind, and the transaction path (which retries deadlocks) takes over.
      if (!isOrderRace(error) && !isTransientError(error)) throw error;
      raced = true;
    }
  }

  const context = await loadOrderContext(event.shopDomain, order);
  if (!context || context.uninstalled) {
    const claimed = alreadyClaimed || (await hotTransaction((db) => claimWebhookEvent(db, { ...event, topic })));
    if (!claimed) return { status: "duplicate" };
    return { status: "ignored", reason: context ? "uninstalled" : "unknown-shop" };
  }
  const due = !cancelled && (context.assignTrigger === "ORDER_CREATED" || paidNow);
  const facts: OrderFacts = { topic, order, context, paidNow, cancelled, due };
  const result = await recordOrderInTransaction(event, facts, alreadyClaimed);
  if (result.status === "duplicate") return result;
  return finishOrder(context.shopId, tagsOfLines(context.lines), result, raced);
}

/** After an order is recorded: waiting orders, low-stock alerts, and the caller's answer. */
async function finishOrder(
  shopId: number,
  linkedTagIds: number[],
  result: Extract<TransactionResult, { status: "recorded" }>,
  raced: boolean,
): Promise<ReceiveOrderResult> {
  // Keys this delivery held while it lost a race went back to the pool: other orders may have
  // recorded a shortfall meanwhile.
  if (result.shortfall > 0 || raced)
    await fillIfStockAppeared(shopId, result.tagIds.length ? result.tagIds : linkedTagIds);
  if (lowStockMayHaveChanged(result.stock)) await checkLowStock({ shopId, tagIds: result.tagIds });
  const { tagIds: _touched, stock: _stock, ...answer } = result;
  return answer;
}

interface OrderFacts {
  topic: string;
  order: OrderPayload;
  context: OrderContext;
  paidNow: boolean;
  cancelled: boolean;
  due: boolean;
}

type TransactionResult =
  | { status: "duplicate" }
  | {
      status: "recorded";
      orderId: number;
      keysAssigned: number;
      shortfall: number;
      awaitingPayment: boolean;
      cancelled: boolean;
      tagIds: number[];
      stock: TagStockSnapshot[];
    };

function tagsOfLines(lines: ResolvedLine[]) {
  return [...new Set(lines.filter((l) => l.source === "TAG" && l.tag_id !== null).map((l) => l.tag_id as number))];
}

/**
 * Another delivery of the same order committed it while this statement ran: the statement's new
 * order row could not be inserted, so its lines and keys point at nothing and the foreign keys
 * refuse the whole statement (nothing of it remains). The transaction path then sees that order.
 */
function isOrderRace(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string } | null;
  return e?.code === "23503" || (e?.code === "23505" && e.constraint !== "webhook_event_pkey");
}

type NewOrderOutcome =
  | { status: "duplicate" }
  /** The event is recorded and the order exists: the transaction path serves it. */
  | { status: "existing"; raced: boolean }
  /** Nothing done: generated keys, an unknown or uninstalled shop (the transaction path decides). */
  | { status: "elsewhere" }
  | {
      status: "recorded";
      shopId: number;
      linkedTagIds: number[];
      result: Extract<TransactionResult, { status: "recorded" }>;
      /** Its batch ran twice (recordNewOrders): keys it held the first time went back to the pool. */
      raced: boolean;
    };

/** A new order's first delivery, as one entry of the batch statement (recordNewOrders). */
interface NewOrderEntry {
  shop: string;
  topic: string;
  event_id: string;
  webhook_id: string;
  shopify_id: string;
  name: string;
  email: string | null;
  customer_id: string | null;
  confirmation_number: string | null;
  financial_status: string | null;
  paid_now: boolean;
  cancelled: boolean;
  placed_at: string;
  paid_at: string | null;
  cancelled_at: string | null;
  items: Array<{
    ord: number;
    line_item_id: string;
    product_id: string | null;
    variant_id: string | null;
    title: string;
    quantity: number;
  }>;
}

interface NewOrderRow {
  i: number;
  /** The batch ran twice (see recordNewOrders): keys it held the first time went back to the pool. */
  retried: boolean;
  shopId: number | null;
  eligible: boolean;
  fresh: boolean;
  orderId: number | null;
  due: boolean;
  carriesKeys: boolean;
  linkedTagIds: number[];
  assigned: number;
  shortfall: number;
  stock: TagStockSnapshot[];
}

/**
 * orders/create for an order this snapshot has never seen. Deliveries that arrive while others are in
 * flight in this process share one autocommitted statement (app/lib/batcher.ts): under load its fixed
 * cost (round trip, executor start, counter triggers, commit) is paid once per batch, not per order.
 * A batch holds one shop's orders: every claim in a shop updates that shop's counter rows, so two
 * batches of one shop would only queue for them, while another shop's batch takes the other lane.
 * Each order's rows are all or nothing either way. Two deliveries of one event or one order never
 * share a batch.
 */
const recordNewOrderBatched = createBatcher<NewOrderEntry, NewOrderRow>({
  run: recordNewOrders,
  lanes: 2,
  // Counted in units ordered: many small orders share a statement, while a few big ones (a 1,000-seat
  // order takes about 40 ms to claim) do not make the orders batched with them wait seconds.
  maxBatch: 250,
  size: (entry) =>
    Math.max(
      1,
      entry.items.reduce((units, item) => units + item.quantity, 0),
    ),
  group: (entry) => entry.shop,
  keys: (entry) => [`event ${entry.shop} ${entry.topic} ${entry.event_id}`, `order ${entry.shop} ${entry.shopify_id}`],
});

async function recordNewOrder(
  event: WebhookEventRef,
  order: OrderPayload,
  { paidNow, cancelled }: { paidNow: boolean; cancelled: boolean },
): Promise<NewOrderOutcome> {
  const row = await recordNewOrderBatched({
    shop: event.shopDomain,
    topic: event.topic,
    event_id: event.eventId,
    webhook_id: event.webhookId ?? "",
    shopify_id: String(order.id),
    name: order.name,
    email: orderEmail(order),
    customer_id: order.customer?.id == null ? null : String(order.customer.id),
    confirmation_number: order.confirmation_number,
    financial_status: order.financial_status,
    paid_now: paidNow,
    cancelled,
    placed_at: iso(order.created_at) ?? new Date().toISOString(),
    paid_at: paidNow ? new Date().toISOString() : null,
    cancelled_at: iso(order.cancelled_at),
    items: order.line_items.filter(isKeyCandidate).map((item, i) => ({
      ord: i + 1,
      line_item_id: String(item.id),
      product_id: item.product_id === null ? null : String(item.product_id),
      variant_id: item.variant_id === null ? null : String(item.variant_id),
      title: lineTitle(item),
      quantity: item.quantity,
    })),
  });
  if (!row.eligible) return { status: "elsewhere" };
  if (!row.fresh) return { status: "duplicate" };
  if (row.orderId === null) return { status: "existing", raced: row.retried };
  return {
    status: "recorded",
    shopId: row.shopId as number,
    linkedTagIds: row.linkedTagIds,
    raced: row.retried,
    result: {
      status: "recorded",
      orderId: row.orderId,
      keysAssigned: row.assigned,
      shortfall: row.shortfall,
      awaitingPayment: row.carriesKeys && !row.due && !cancelled,
      cancelled,
      tagIds: row.due ? row.linkedTagIds : [],
      stock: row.stock,
    },
  };
}

/**
 * The statement behind recordNewOrder, for any number of new orders (of any shops) at once: it reads
 * what loadOrderContext would (each shop's settings, each line's link), records each event and
 * order, and claims keys for all of them together. Lines of one tag share the claim in the batch's
 * order: first come, first served. Rows of events and orders are written in key order, so two
 * batches running at once wait for each other in one direction only.
 */
async function recordNewOrders(entries: NewOrderEntry[]): Promise<NewOrderRow[]> {
  const statement = newOrdersStatement(entries);
  const answers = (rows: NewOrderRow[], retried: boolean) =>
    entries.map((_, i) => {
      if (rows[i]?.i !== i) throw new Error(`recordNewOrders: no answer for entry ${i}`);
      return { ...rows[i], retried };
    });
  try {
    return answers(await pgDb(hotPool()).query<NewOrderRow>(statement), false);
  } catch (error) {
    // One order of the batch lost a race with another delivery of it, which has committed it now, or
    // the batch deadlocked: nothing of the statement remains. Once more, that order is seen as
    // existing and the others go through. A single order goes to the transaction path instead.
    if (entries.length === 1 || !(isOrderRace(error) || isTransientError(error))) throw error;
    return answers(await pgDb(hotPool()).query<NewOrderRow>(statement), true);
  }
}

function newOrdersStatement(entries: NewOrderEntry[]) {
  return prepared(
    "keyshelf_record_new_orders",
    sql`
    WITH entry AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(entries.map((entry, i) => ({ ...entry, i })))}::jsonb) AS e(
        i int, shop text, topic text, event_id text, webhook_id text, shopify_id bigint, name text, email text,
        customer_id bigint, confirmation_number text, financial_status text, paid_now boolean, cancelled boolean,
        placed_at timestamptz, paid_at timestamptz, cancelled_at timestamptz, items jsonb)
    ), ctx AS (
      SELECT e.*, s."id" AS shop_id, s."uninstalled_at" IS NULL AS installed,
        NOT e.cancelled AND (s."assign_trigger" = 'ORDER_CREATED' OR e.paid_now) AS due
      FROM entry e JOIN "shop" s ON s."domain" = e.shop
    ), linked AS (
      SELECT ctx.i, l.*, l.quantity * l."keys_per_unit" AS keys_needed FROM ctx CROSS JOIN LATERAL (${linkOfEachItem(
        raw("ctx.shop_id"),
        sql`SELECT * FROM jsonb_to_recordset(ctx.items) AS i(
          ord int, line_item_id bigint, product_id bigint, variant_id bigint, title text, quantity int)`,
      )}) l
    ), eligible AS (
      -- Generated keys, or a shop that is unknown or uninstalled: nothing is done here, not even the
      -- event recorded, and the caller takes the transaction path.
      SELECT ctx.* FROM ctx
      WHERE ctx.installed AND NOT EXISTS (SELECT 1 FROM linked WHERE linked.i = ctx.i AND source = 'AUTO_GENERATE')
    ), event AS (
      INSERT INTO "webhook_event" ("shop_domain", "topic", "event_id", "webhook_id", "processed_at")
      SELECT shop, topic, event_id, webhook_id, now() FROM eligible ORDER BY shop, topic, event_id
      ON CONFLICT DO NOTHING
      RETURNING "shop_domain", "topic", "event_id"
    ), fresh AS (
      SELECT eligible.* FROM eligible
      JOIN event ON event."shop_domain" = eligible.shop AND event."topic" = eligible.topic AND event."event_id" = eligible.event_id
    ), existing AS (
      SELECT fresh.i FROM fresh JOIN "order" o ON o."shop_id" = fresh.shop_id AND o."shopify_id" = fresh.shopify_id
    ), gate AS (
      -- The ids of each new order and its lines are drawn first: the keys are claimed before the
      -- rows exist (the rows carry the counts of what was claimed).
      SELECT fresh.*, nextval(pg_get_serial_sequence('"order"', 'id'))::int AS order_id
      FROM fresh WHERE fresh.i NOT IN (SELECT i FROM existing)
    ), lines_in AS (
      SELECT linked.*, gate.order_id, gate.shop_id, gate.due, nextval(pg_get_serial_sequence('"order_line"', 'id'))::int AS line_id
      FROM gate JOIN linked ON linked.i = gate.i
    ), need AS (
      SELECT line_id, order_id, shop_id, "tag_id", keys_needed AS n,
        sum(keys_needed) OVER (PARTITION BY "tag_id" ORDER BY i, ord) AS upto
      FROM lines_in WHERE due AND source = 'TAG' AND "tag_id" IS NOT NULL
    ), per_tag AS (
      SELECT "tag_id", shop_id, sum(n)::int AS n FROM need GROUP BY "tag_id", shop_id
    ), picked AS (
      SELECT per_tag."tag_id", p."id", row_number() OVER (PARTITION BY per_tag."tag_id" ORDER BY p."id") AS rn
      FROM per_tag CROSS JOIN LATERAL (
        SELECT k."id" FROM "key_tag" kt CROSS JOIN LATERAL (
          SELECT k."id" FROM "license_key" k
          WHERE k."id" = kt."key_id" AND k."status" = 'PENDING' AND k."shop_id" = per_tag.shop_id
          OFFSET 0 FOR UPDATE SKIP LOCKED
        ) k
        WHERE kt."tag_id" = per_tag."tag_id" AND kt."status" = 'PENDING'
        ORDER BY kt."key_id"
        LIMIT per_tag.n
      ) p
    ), shares AS (
      SELECT picked."id", need.line_id, need.order_id FROM picked
      JOIN need ON need."tag_id" = picked."tag_id" AND picked.rn > need.upto - need.n AND picked.rn <= need.upto
    ), claimed AS (
      UPDATE "license_key" k SET "status" = 'ASSIGNED', "order_id" = shares.order_id,
        "order_line_id" = shares.line_id, "assigned_at" = now()
      FROM shares WHERE k."id" = shares."id" AND k."status" = 'PENDING'
      RETURNING k."order_id", k."order_line_id"
    ), per_line AS (
      SELECT "order_line_id", count(*)::int AS n FROM claimed GROUP BY "order_line_id"
    ), per_order AS (
      SELECT gate.i, gate.order_id,
        (SELECT COALESCE(sum(n), 0)::int FROM need WHERE need.order_id = gate.order_id) AS needed,
        (SELECT count(*)::int FROM claimed WHERE claimed."order_id" = gate.order_id) AS assigned
      FROM gate
    ), new_order AS (
      INSERT INTO "order" ("id", "shop_id", "shopify_id", "name", "email", "customer_id", "confirmation_number",
        "financial_status", "carries_keys", "awaiting_payment", "shortfall", "placed_at", "paid_at", "cancelled_at", "updated_at")
      SELECT gate.order_id, gate.shop_id, gate.shopify_id, gate.name, gate.email, gate.customer_id, gate.confirmation_number,
        gate.financial_status, c.carries, c.carries AND NOT gate.due AND NOT gate.cancelled, p.needed - p.assigned,
        gate.placed_at, gate.paid_at, gate.cancelled_at, now()
      FROM gate JOIN per_order p ON p.i = gate.i
      CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM linked WHERE linked.i = gate.i) AS carries) c
      ORDER BY gate.shop_id, gate.shopify_id
      -- Another delivery of this order got there first: no row here, so its lines (and any claimed
      -- key) reference a missing order and the foreign keys undo the whole statement.
      ON CONFLICT ("shop_id", "shopify_id") DO NOTHING
      RETURNING "id"
    ), new_lines AS (
      INSERT INTO "order_line" ("id", "shop_id", "order_id", "line_item_id", "product_id", "variant_id", "title", "quantity",
        "source", "tag_id", "keys_per_unit", "keys_needed", "keys_assigned")
      SELECT l.line_id, l.shop_id, l.order_id, l.line_item_id, l.product_id, l.variant_id, l.title, l.quantity,
        l.source::"LinkSource", l."tag_id", l.keys_per_unit, l.keys_needed, COALESCE(per_line.n, 0)
      FROM lines_in l LEFT JOIN per_line ON per_line."order_line_id" = l.line_id
    ), stock AS (
      -- Each linked tag's stock after the whole batch's claim.
      SELECT t."id", json_build_object(
          'id', t."id", 'pending', t."pending_count" - COALESCE(c.n, 0), 'threshold', t."low_stock_threshold",
          'lowAlerted', t."low_stock_alerted_at" IS NOT NULL, 'outAlerted', t."out_of_stock_alerted_at" IS NOT NULL) AS snapshot
      FROM "tag" t LEFT JOIN (
        SELECT need."tag_id", count(*)::int AS n FROM claimed JOIN need ON need.line_id = claimed."order_line_id" GROUP BY need."tag_id"
      ) c ON c."tag_id" = t."id"
      WHERE t."id" IN (SELECT "tag_id" FROM linked WHERE source = 'TAG')
    )
    SELECT entry.i, ctx.shop_id AS "shopId", eligible.i IS NOT NULL AS "eligible", fresh.i IS NOT NULL AS "fresh",
      (SELECT p.order_id FROM per_order p WHERE p.i = entry.i AND p.order_id IN (SELECT "id" FROM new_order)) AS "orderId",
      COALESCE(eligible.due, false) AS "due",
      EXISTS (SELECT 1 FROM linked WHERE linked.i = entry.i) AS "carriesKeys",
      ARRAY(SELECT DISTINCT "tag_id" FROM linked WHERE linked.i = entry.i AND source = 'TAG' AND "tag_id" IS NOT NULL) AS "linkedTagIds",
      COALESCE((SELECT p.assigned FROM per_order p WHERE p.i = entry.i), 0) AS "assigned",
      COALESCE((SELECT p.needed - p.assigned FROM per_order p WHERE p.i = entry.i), 0) AS "shortfall",
      (SELECT COALESCE(json_agg(stock.snapshot), '[]'::json) FROM stock
        WHERE stock."id" IN (SELECT "tag_id" FROM linked WHERE linked.i = entry.i AND source = 'TAG')) AS "stock"
    FROM entry
    LEFT JOIN ctx ON ctx.i = entry.i
    LEFT JOIN eligible ON eligible.i = entry.i
    LEFT JOIN fresh ON fresh.i = entry.i
    ORDER BY entry.i`,
  );
}

/** Every other case, in one transaction: see assignOrderKeys for its lock order. */
async function recordOrderInTransaction(
  event: OrderEvent,
  facts: OrderFacts,
  alreadyClaimed: boolean,
): Promise<TransactionResult> {
  const { topic, order, context, paidNow, cancelled, due } = facts;
  const carriesKeys = context.lines.length > 0;
  return hotTransaction(async (db) => {
    // One statement claims the event id, upserts the order and inserts its lines. The upsert takes
    // the order row's lock, so concurrent deliveries of one order (other event ids, orders/paid)
    // wait here and then see the lines this one inserted. Identifiers are never overwritten on
    // conflict: a late redelivery must not undo customers/redact.
    const [row] = await db.query<{
      fresh: boolean;
      id: number | null;
      inserted: boolean;
      cancelled: boolean;
      awaitingPayment: boolean;
    }>(
      prepared(
        "keyshelf_record_order",
        sql`
      WITH event AS (${insertWebhookEvent({ ...event, topic })}), upserted AS (
        INSERT INTO "order" ("shop_id", "shopify_id", "name", "email", "customer_id", "confirmation_number",
          "financial_status", "carries_keys", "awaiting_payment", "placed_at", "paid_at", "cancelled_at", "updated_at")
        SELECT ${context.shopId}::int, ${order.id}::bigint, ${order.name}::text, ${orderEmail(order)}::text,
          ${order.customer?.id ?? null}::bigint, ${order.confirmation_number}::text, ${order.financial_status}::text,
          ${carriesKeys}::boolean, ${carriesKeys && !due && !cancelled}::boolean, ${iso(order.created_at) ?? iso(new Date())}::timestamptz,
          ${paidNow ? iso(new Date()) : null}::timestamptz, ${iso(order.cancelled_at)}::timestamptz, now()
        WHERE EXISTS (SELECT 1 FROM event) OR ${alreadyClaimed}::boolean
        ON CONFLICT ("shop_id", "shopify_id") DO UPDATE SET
          "financial_status" = CASE WHEN ${paidNow}::boolean THEN EXCLUDED."financial_status" ELSE "order"."financial_status" END,
          "paid_at" = COALESCE("order"."paid_at", EXCLUDED."paid_at"),
          "updated_at" = now()
        RETURNING "id", (xmax = 0) AS "inserted", "cancelled_at" IS NOT NULL AS "cancelled", "awaiting_payment" AS "awaitingPayment"
      ), lines AS (
        INSERT INTO "order_line" ("shop_id", "order_id", "line_item_id", "product_id", "variant_id", "title", "quantity",
          "source", "tag_id", "keys_per_unit", "keys_needed", "auto_pattern", "auto_prefix")
        SELECT ${context.shopId}::int, upserted."id", x.line_item_id, x.product_id, x.variant_id, x.title, x.quantity,
          x.source::"LinkSource", x.tag_id, x.keys_per_unit, x.keys_needed, x.auto_pattern, x.auto_prefix
        FROM upserted, jsonb_to_recordset(${JSON.stringify(context.lines)}::jsonb) AS x(
          line_item_id bigint, product_id bigint, variant_id bigint, title text, quantity int, source text,
          tag_id int, keys_per_unit int, keys_needed int, auto_pattern text, auto_prefix text)
        WHERE upserted."inserted"
        ON CONFLICT ("order_id", "line_item_id") DO NOTHING
      )
      SELECT EXISTS (SELECT 1 FROM event) OR ${alreadyClaimed}::boolean AS "fresh", upserted.* FROM (SELECT 1) AS one LEFT JOIN upserted ON true`,
      ),
    );

    if (!row.fresh || row.id === null) return { status: "duplicate" as const };
    const base = { status: "recorded" as const, orderId: row.id, cancelled: row.cancelled };
    if (row.cancelled || !due) {
      return {
        ...base,
        keysAssigned: 0,
        shortfall: 0,
        awaitingPayment: row.awaitingPayment,
        tagIds: [] as number[],
        stock: [] as TagStockSnapshot[],
      };
    }
    // A new order's lines are the ones just inserted; an order seen before is read back.
    const known = row.inserted
      ? {
          auto: context.lines.some((line) => line.source === "AUTO_GENERATE"),
          tagIds: [
            ...new Set(
              context.lines.filter((l) => l.source === "TAG" && l.tag_id !== null).map((l) => l.tag_id as number),
            ),
          ],
        }
      : undefined;
    const assigned = await assignOrderKeys(db, {
      shopId: context.shopId,
      orderIds: [row.id],
      autoTagId: context.autoTagId,
      known,
    });
    return {
      ...base,
      keysAssigned: assigned.keysAssigned,
      shortfall: assigned.shortfall,
      awaitingPayment: false,
      tagIds: assigned.tagIds,
      stock: assigned.stock,
    };
  });
}

/**
 * A shortfall recorded while another transaction held the last keys is real only if that
 * transaction took them. If it failed instead, the keys are pending again: hand them to the
 * waiting orders now rather than at the next restock.
 */
async function fillIfStockAppeared(shopId: number, tagIds: number[]) {
  if (tagIds.length === 0) return;
  const stocked = await pgDb(hotPool()).query<{ id: number }>(sql`
    SELECT "id" FROM "tag" WHERE "id" = ANY(${tagIds}::int[]) AND "shop_id" = ${shopId} AND "pending_count" > 0`);
  if (stocked.length) await fillWaitingOrders({ shopId, tagIds: stocked.map((t) => t.id) });
}

// ---------------------------------------------------------------------------------------------
// Assignment (shared by arriving orders and waiting orders)

interface AssignOutcome {
  keysAssigned: number;
  /** The claimed tags' stock right after the claim (as far as this transaction can tell). */
  stock: TagStockSnapshot[];
  /** The orders' total still owed after this assignment. */
  shortfall: number;
  /** Tags whose stock changed (for the low-stock check). */
  tagIds: number[];
}

/**
 * Gives the given orders (locked by the caller) what they are owed: pending keys of each line's tag,
 * oldest first, then generated keys for automatic lines. Lines of one tag are served in order
 * placed, then line order: first come, first served. `tagIds` limits the work to those tags;
 * `known` (a just-inserted order) saves reading back what the caller already knows.
 *
 * Lock order, which keeps concurrent orders free of deadlocks: the statements that change key
 * statuses come last, because their counter triggers lock rows every assignment in the shop
 * updates (the shop's key counts, the tags' counts) until commit. Before them a transaction only
 * takes its order row and keys it can lock without waiting (SKIP LOCKED); after them it never waits
 * for a key. A shortfall counts tag lines only: automatic lines are always filled or the
 * transaction fails.
 */
export async function assignOrderKeys(
  db: Db,
  {
    shopId,
    orderIds,
    tagIds,
    autoTagId,
    known,
  }: {
    shopId: number;
    orderIds: number[];
    tagIds?: number[];
    /** Given when automatic lines may be owed (an arriving order): the shop's Auto-generated tag. */
    autoTagId?: number | null;
    known?: { auto: boolean; tagIds: number[] };
  },
): Promise<AssignOutcome> {
  const scope =
    tagIds ??
    known?.tagIds ??
    (
      await db.query<{ tagId: number }>(sql`
        SELECT DISTINCT "tag_id" AS "tagId" FROM "order_line"
        WHERE "order_id" = ANY(${orderIds}::int[]) AND "shop_id" = ${shopId} AND "source" = 'TAG'
          AND "tag_id" IS NOT NULL AND "keys_assigned" < "keys_needed"`)
    ).map((row) => row.tagId);

  let keysAssigned = 0;
  let shortfall: number;
  let stock: TagStockSnapshot[] = [];
  if (scope.length > 0) {
    const claimed = await claimPendingKeys(db, { shopId, orderIds, tagIds: scope });
    keysAssigned += claimed.assigned;
    shortfall = claimed.shortfall;
    stock = claimed.stock;
  } else {
    const totals = await db.query<{ shortfall: number }>(sql`
      WITH owed AS (
        SELECT o."id", COALESCE((
          SELECT sum(ol."keys_needed" - ol."keys_assigned") FROM "order_line" ol WHERE ol."order_id" = o."id" AND ol."source" = 'TAG'
        ), 0)::int AS n
        FROM "order" o WHERE o."id" = ANY(${orderIds}::int[]) AND o."shop_id" = ${shopId}
      ), changed AS (
        UPDATE "order" o SET "shortfall" = owed.n, "awaiting_payment" = false, "updated_at" = now()
        FROM owed WHERE o."id" = owed."id" AND (o."shortfall" <> owed.n OR o."awaiting_payment")
      )
      SELECT COALESCE(sum(n), 0)::int AS shortfall FROM owed`);
    shortfall = totals[0]?.shortfall ?? 0;
  }
  if (autoTagId !== undefined && (known?.auto ?? true)) {
    keysAssigned += await generateOwedKeys(db, { shopId, orderIds, autoTagId });
  }
  return { keysAssigned, shortfall, tagIds: scope, stock };
}

/**
 * Rounds of one set-based claim, each with SKIP LOCKED: keys another transaction is claiming are
 * passed over, so concurrent orders never wait for each other's keys. A round can come back short
 * when a key sits in two tags that two lines of this order asked for (it goes to one of them);
 * then another round runs, until the lines are served or a round finds nothing. A key skipped
 * because another transaction held it was claimed by that transaction (or, if it failed, is
 * claimed by its retry, Shopify's redelivery, or the waiting-order fill that follows a shortfall).
 */
async function claimPendingKeys(
  db: Db,
  { shopId, orderIds, tagIds }: { shopId: number; orderIds: number[]; tagIds: number[] },
) {
  let assignedTotal = 0;
  let shortfall = 0;
  let stock: TagStockSnapshot[] = [];
  for (let round = 0; round < 12; round++) {
    const [outcome] = await claimRound(db, { shopId, orderIds, tagIds });
    assignedTotal += outcome.assigned;
    shortfall = outcome.shortfall;
    stock = outcome.stock;
    if (outcome.wanted === 0 || outcome.assigned === outcome.wanted || outcome.assigned === 0) break;
  }
  return { assigned: assignedTotal, shortfall, stock };
}

function claimRound(db: Db, { shopId, orderIds, tagIds }: { shopId: number; orderIds: number[]; tagIds: number[] }) {
  // `need` numbers each line's share of its tag's keys: rows (upto - n, upto] of that tag's claim.
  // Keys are found in key_tag's (tag_id, status, key_id) index, oldest first, and each is locked by
  // primary key behind an OFFSET 0 fence: without it the planner may merge-join license_key from
  // its first row, reading every key ever handed out before reaching a pending one.
  // The UPDATE re-checks status = 'PENDING', so a key can never be claimed twice; the orders'
  // shortfall is set from the same snapshot, so no further statement is needed before commit.
  return db.query<{ assigned: number; wanted: number; shortfall: number; stock: TagStockSnapshot[] }>(
    prepared(
      "keyshelf_claim_keys",
      sql`
    WITH need AS (
      SELECT ol."id" AS line_id, ol."order_id", ol."tag_id", ol."keys_needed" - ol."keys_assigned" AS n,
        sum(ol."keys_needed" - ol."keys_assigned") OVER (PARTITION BY ol."tag_id" ORDER BY o."placed_at", o."id", ol."id") AS upto
      FROM "order_line" ol JOIN "order" o ON o."id" = ol."order_id"
      WHERE ol."order_id" = ANY(${orderIds}::int[]) AND ol."shop_id" = ${shopId} AND ol."source" = 'TAG'
        AND ol."tag_id" = ANY(${tagIds}::int[]) AND ol."keys_assigned" < ol."keys_needed"
    ), per_tag AS (
      SELECT "tag_id", sum(n)::int AS n FROM need GROUP BY "tag_id"
    ), picked AS (
      SELECT per_tag."tag_id", p."id", row_number() OVER (PARTITION BY per_tag."tag_id" ORDER BY p."id") AS rn
      FROM per_tag CROSS JOIN LATERAL (
        SELECT k."id" FROM "key_tag" kt CROSS JOIN LATERAL (
          SELECT k."id" FROM "license_key" k
          WHERE k."id" = kt."key_id" AND k."status" = 'PENDING' AND k."shop_id" = ${shopId}
          OFFSET 0 FOR UPDATE SKIP LOCKED
        ) k
        WHERE kt."tag_id" = per_tag."tag_id" AND kt."status" = 'PENDING'
        ORDER BY kt."key_id"
        LIMIT per_tag.n
      ) p
    ), shares AS (
      SELECT picked."id", need.line_id, need."order_id" FROM picked
      JOIN need ON need."tag_id" = picked."tag_id" AND picked.rn > need.upto - need.n AND picked.rn <= need.upto
    ), claimed AS (
      UPDATE "license_key" k SET "status" = 'ASSIGNED', "order_id" = shares."order_id",
        "order_line_id" = shares.line_id, "assigned_at" = now()
      FROM shares WHERE k."id" = shares."id" AND k."status" = 'PENDING'
      RETURNING k."order_line_id", k."order_id"
    ), per_line AS (
      SELECT "order_line_id", count(*)::int AS n FROM claimed GROUP BY "order_line_id"
    ), bumped AS (
      UPDATE "order_line" ol SET "keys_assigned" = ol."keys_assigned" + per_line.n
      FROM per_line WHERE ol."id" = per_line."order_line_id"
    ), owed AS (
      SELECT o."id" AS "order_id", COALESCE((
        SELECT sum(ol."keys_needed" - ol."keys_assigned") FROM "order_line" ol WHERE ol."order_id" = o."id" AND ol."source" = 'TAG'
      ), 0)::int AS n
      FROM "order" o WHERE o."id" = ANY(${orderIds}::int[])
    ), per_order AS (
      SELECT "order_id", count(*)::int AS n FROM claimed GROUP BY "order_id"
    ), totals AS (
      UPDATE "order" o SET "shortfall" = owed.n - COALESCE(per_order.n, 0), "awaiting_payment" = false, "updated_at" = now()
      FROM owed LEFT JOIN per_order ON per_order."order_id" = owed."order_id"
      WHERE o."id" = owed."order_id"
        AND (o."shortfall" <> owed.n - COALESCE(per_order.n, 0) OR o."awaiting_payment")
      RETURNING o."id"
    ), final AS (
      SELECT owed.n - COALESCE(per_order.n, 0) AS "shortfall"
      FROM owed LEFT JOIN per_order ON per_order."order_id" = owed."order_id"
    )
    SELECT (SELECT count(*)::int FROM claimed) AS assigned,
      (SELECT COALESCE(sum(n), 0)::int FROM need) AS wanted,
      (SELECT COALESCE(sum("shortfall"), 0)::int FROM final) AS shortfall,
      -- The claimed tags as they stood before this statement, less what it took: enough to tell
      -- whether a low-stock check is worth a round trip.
      (SELECT COALESCE(json_agg(json_build_object(
          'id', t."id", 'pending', t."pending_count" - COALESCE(c.n, 0), 'threshold', t."low_stock_threshold",
          'lowAlerted', t."low_stock_alerted_at" IS NOT NULL, 'outAlerted', t."out_of_stock_alerted_at" IS NOT NULL)), '[]'::json)
        FROM "tag" t LEFT JOIN (
          SELECT need."tag_id", count(*)::int AS n FROM claimed JOIN need ON need.line_id = claimed."order_line_id" GROUP BY need."tag_id"
        ) c ON c."tag_id" = t."id"
        WHERE t."id" = ANY(${tagIds}::int[]) AND t."kind" <> 'AUTO_GENERATED') AS "stock"`,
    ),
  );
}

/** Lines linked to automatic generation get fresh keys; they are never short of stock. */
async function generateOwedKeys(
  db: Db,
  { shopId, orderIds, autoTagId }: { shopId: number; orderIds: number[]; autoTagId: number | null },
) {
  const lines = await db.query<{
    id: number;
    orderId: number;
    owed: number;
    pattern: string | null;
    prefix: string | null;
  }>(sql`
    SELECT "id", "order_id" AS "orderId", "keys_needed" - "keys_assigned" AS "owed", "auto_pattern" AS "pattern", "auto_prefix" AS "prefix"
    FROM "order_line"
    WHERE "order_id" = ANY(${orderIds}::int[]) AND "shop_id" = ${shopId} AND "source" = 'AUTO_GENERATE'
      AND "keys_assigned" < "keys_needed"
    ORDER BY "id"`);
  let total = 0;
  for (const line of lines) {
    let owed = line.owed;
    // A repeat of an existing key is dropped and redrawn; with >= 60 random bits this loop runs once.
    for (let attempt = 0; owed > 0 && attempt < 8; attempt++) {
      const values = generateKeys(keyFormatOf(line.pattern, line.prefix), owed);
      const [{ created }] = await db.query<{ created: number }>(sql`
        WITH fresh AS (
          SELECT v FROM unnest(${values}::text[]) AS v
          WHERE NOT EXISTS (SELECT 1 FROM "license_key" k WHERE k."shop_id" = ${shopId} AND k."value" = v)
        ), created AS (
          INSERT INTO "license_key" ("shop_id", "value", "type", "status", "assigned_at", "order_id", "order_line_id")
          SELECT ${shopId}::int, v, 'AUTO_GENERATED'::"KeyType", 'ASSIGNED'::"KeyStatus", now(), ${line.orderId}::int, ${line.id}::int FROM fresh
          ON CONFLICT ("shop_id", "value") WHERE "type" = 'AUTO_GENERATED' DO NOTHING
          RETURNING "id"
        ), tagged AS (
          INSERT INTO "key_tag" ("tag_id", "key_id", "shop_id", "status")
          SELECT ${autoTagId}::int, created."id", ${shopId}::int, 'ASSIGNED'::"KeyStatus" FROM created WHERE ${autoTagId}::int IS NOT NULL
        ), bumped AS (
          UPDATE "order_line" SET "keys_assigned" = "keys_assigned" + (SELECT count(*) FROM created) WHERE "id" = ${line.id}
        )
        SELECT count(*)::int AS created FROM created`);
      owed -= created;
      total += created;
    }
    // Only a format with too few random characters for the shop's keys could get here.
    if (owed > 0)
      throw new Error(`Could not generate ${owed} unique licence keys in format ${line.prefix ?? ""}${line.pattern}.`);
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Orders waiting for keys

export interface FillResult {
  ordersFilled: number;
  keysAssigned: number;
}

const FILL_BATCH = 200;

/**
 * Gives waiting orders the keys that just arrived in these tags, first come first served.
 * Call it after keys are added to tags (import, move, return to pool). With `tx`, it runs inside
 * the caller's transaction, before the new keys are visible to anyone else: then no order placed
 * meanwhile can take them ahead of the orders already waiting.
 */
export async function fillWaitingOrders({
  shopId,
  tagIds,
  tx,
  actor = "Keyshelf",
}: {
  shopId: number;
  tagIds: number[];
  tx?: Tx;
  actor?: string;
}): Promise<FillResult> {
  const tags = [...new Set(tagIds)].sort((a, b) => a - b);
  const total: FillResult = { ordersFilled: 0, keysAssigned: 0 };
  for (const tagId of tags) {
    for (;;) {
      const batch = tx
        ? await fillBatch(tx, { shopId, tagId, actor })
        : await runTransaction((inner) => fillBatch(inner, { shopId, tagId, actor }), { timeout: 120_000 });
      total.ordersFilled += batch.ordersFilled;
      total.keysAssigned += batch.keysAssigned;
      if (batch.done) break;
    }
  }
  if (!tx && tags.length > 0) await checkLowStock({ shopId, tagIds: tags });
  return total;
}

/**
 * The safety net behind every fill trigger: orders still waiting on a tag that has pending keys
 * (a process that died between adding keys and filling, keys freed by a failed transaction) are
 * served by the background loop, a tag at a time, oldest orders first.
 */
export async function fillStockedWaitingOrders({ limit = 50 }: { limit?: number } = {}) {
  const stocked = await pgDb(hotPool()).query<{ shopId: number; tagId: number }>(sql`
    SELECT DISTINCT ol."shop_id" AS "shopId", ol."tag_id" AS "tagId"
    FROM "order_line" ol JOIN "tag" t ON t."id" = ol."tag_id"
    WHERE ol."keys_assigned" < ol."keys_needed" AND ol."source" = 'TAG' AND t."pending_count" > 0
      AND EXISTS (
        SELECT 1 FROM "order" o
        WHERE o."id" = ol."order_id" AND o."shortfall" > 0 AND NOT o."awaiting_payment" AND o."cancelled_at" IS NULL)
    LIMIT ${limit}::int`);
  let keysAssigned = 0;
  for (const { shopId, tagId } of stocked) {
    keysAssigned += (await fillWaitingOrders({ shopId, tagIds: [tagId] })).keysAssigned;
  }
  return { tags: stocked.length, keysAssigned };
}

async function fillBatch(tx: Tx, { shopId, tagId, actor }: { shopId: number; tagId: number; actor: string }) {
  const db = prismaDb(tx);
  const none = { ordersFilled: 0, keysAssigned: 0, done: true };
  const [stock] = await db.query<{ pending: number }>(sql`
    SELECT "pending_count" AS "pending" FROM "tag" WHERE "id" = ${tagId} AND "shop_id" = ${shopId}`);
  if (!stock || stock.pending === 0) return none;
  // Oldest waiting orders first. An order locked right now is being handled by a delivery of its
  // own, which serves it; skipping it means this fill never waits for a lock (it may run inside an
  // import that already holds the shop's key counters).
  const waiting = await db.query<{ id: number; name: string }>(sql`
    SELECT o."id", o."name" FROM "order" o
    WHERE o."id" IN (
        SELECT ol."order_id" FROM "order_line" ol
        WHERE ol."tag_id" = ${tagId} AND ol."keys_assigned" < ol."keys_needed" AND ol."source" = 'TAG')
      AND o."shop_id" = ${shopId} AND o."shortfall" > 0 AND NOT o."awaiting_payment" AND o."cancelled_at" IS NULL
    ORDER BY o."placed_at", o."id"
    LIMIT ${FILL_BATCH}
    FOR UPDATE OF o SKIP LOCKED`);
  if (waiting.length === 0) return none;
  const orderIds = waiting.map((o) => o.id);
  const before = await db.query<{ id: number; shortfall: number }>(sql`
    SELECT "id", "shortfall" FROM "order" WHERE "id" = ANY(${orderIds}::int[])`);
  const outcome = await assignOrderKeys(db, { shopId, orderIds, tagIds: [tagId] });
  if (outcome.keysAssigned === 0) return none;
  const [open] = await db.query<{ lines: number }>(sql`
    SELECT count(*)::int AS "lines" FROM "order_line"
    WHERE "order_id" = ANY(${orderIds}::int[]) AND "tag_id" = ${tagId} AND "keys_assigned" < "keys_needed"`);
  const after = await db.query<{ id: number; shortfall: number }>(sql`
    SELECT "id", "shortfall" FROM "order" WHERE "id" = ANY(${orderIds}::int[])`);
  const wasShort = new Map(before.map((o) => [o.id, o.shortfall]));
  const completed = after.filter((o) => o.shortfall === 0 && (wasShort.get(o.id) ?? 0) > 0);
  const names = waiting.filter((o) => completed.some((c) => c.id === o.id)).map((o) => o.name);
  await recordAudit({
    tx,
    shopId,
    actor,
    action: "orders.fill",
    summary:
      `Gave ${outcome.keysAssigned} licence ${outcome.keysAssigned === 1 ? "key" : "keys"} to orders waiting for keys` +
      (names.length
        ? `; complete now: ${names.slice(0, 10).join(", ")}${names.length > 10 ? ` and ${names.length - 10} more` : ""}`
        : ""),
    count: outcome.keysAssigned,
    details: { tagId, orderIds },
  });
  // Lines of this tag still open: the tag ran dry. A full batch may have more orders behind it.
  return {
    ordersFilled: completed.length,
    keysAssigned: outcome.keysAssigned,
    done: open.lines > 0 || waiting.length < FILL_BATCH,
  };
}

// ---------------------------------------------------------------------------------------------
// Cancellations and refunds

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

/**
 * Keys of the given lines that the customer never viewed go back to the pool: Pending, no order.
 * Used keys stay with the order. `limitPerLine` caps how many each line returns (refunds).
 */
async function returnUnviewedKeys(
  db: Db,
  { shopId, orderId, limitPerLine }: { shopId: number; orderId: number; limitPerLine?: Map<number, number> },
) {
  const limits = limitPerLine ? [...limitPerLine.entries()] : null;
  const rows = await db.query<{ lineId: number | null; tagId: number | null; n: number }>(sql`
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
    SELECT "id" AS "lineId", "tag_id" AS "tagId", n FROM lowered`);
  return rows;
}

/** orders/cancelled: the order stops owing keys; unviewed keys return to the pool if the shop says so. */
export async function cancelOrder(event: OrderEvent): Promise<ReturnOutcome> {
  const topic = normaliseTopic(event.topic);
  const order = parsePayload(orderPayloadSchema, event.payload);
  const shop = await findShopForWebhook(event.shopDomain);
  const result = await runTransaction(async (tx) => {
    const db = prismaDb(tx);
    if (!(await claimWebhookEvent(db, { ...event, topic })))
      return { status: "duplicate" as const, keysReturned: 0, tagIds: [] as number[] };
    if (!shop || shop.uninstalledAt) return { status: "ignored" as const, keysReturned: 0, tagIds: [] };
    const [row] = await db.query<{ id: number; name: string; cancelledAt: Date | null }>(sql`
      SELECT "id", "name", "cancelled_at" AS "cancelledAt" FROM "order"
      WHERE "shop_id" = ${shop.id} AND "shopify_id" = ${order.id}::bigint FOR UPDATE`);
    if (!row) {
      // Webhooks can arrive out of order: record the order as cancelled, so that an orders/create
      // delivered after this finds it and hands out nothing.
      await db.query(sql`
        INSERT INTO "order" ("shop_id", "shopify_id", "name", "email", "customer_id", "confirmation_number",
          "financial_status", "placed_at", "cancelled_at", "updated_at")
        VALUES (${shop.id}::int, ${order.id}::bigint, ${order.name}::text, ${orderEmail(order)}::text,
          ${order.customer?.id ?? null}::bigint, ${order.confirmation_number}::text, ${order.financial_status}::text,
          ${iso(order.created_at) ?? iso(new Date())}::timestamptz, ${iso(order.cancelled_at ?? new Date())}::timestamptz, now())
        ON CONFLICT ("shop_id", "shopify_id") DO NOTHING`);
      return { status: "recorded" as const, keysReturned: 0, tagIds: [] };
    }
    // Already cancelled: nothing more to do.
    if (row.cancelledAt) return { status: "recorded" as const, keysReturned: 0, tagIds: [] };
    const returned =
      shop.cancelPolicy === "RETURN_UNVIEWED" ? await returnUnviewedKeys(db, { shopId: shop.id, orderId: row.id }) : [];
    await db.query(sql`
      UPDATE "order_line" SET "keys_needed" = "keys_assigned" WHERE "order_id" = ${row.id} AND "keys_needed" <> "keys_assigned"`);
    await db.query(sql`
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
  const result = await runTransaction(async (tx) => {
    const db = prismaDb(tx);
    const none = { keysReturned: 0, tagIds: [] as number[] };
    if (!(await claimWebhookEvent(db, { ...event, topic }))) return { status: "duplicate" as const, ...none };
    // The same refund under another event id must not release keys twice.
    if (!(await claimWebhookEvent(db, { shopDomain: event.shopDomain, topic, eventId: `refund:${refund.id}` }))) {
      return { status: "duplicate" as const, ...none };
    }
    if (!shop || shop.uninstalledAt) return { status: "ignored" as const, ...none };
    const [row] = await db.query<{ id: number; name: string }>(sql`
      SELECT "id", "name" FROM "order" WHERE "shop_id" = ${shop.id} AND "shopify_id" = ${refund.order_id}::bigint FOR UPDATE`);
    if (!row || refund.refund_line_items.length === 0) return { status: "recorded" as const, ...none };

    // Per line: refunded units x keys per unit are released: first from what is still owed, then
    // (policy permitting) from keys the customer never viewed. Keys the customer keeps stay needed.
    const refunded = refund.refund_line_items.map((item) => ({
      line_item_id: String(item.line_item_id),
      quantity: item.quantity,
    }));
    const lines = await db.query<{ id: number; release: number; owed: number }>(sql`
      SELECT ol."id", (sum(r.quantity) * ol."keys_per_unit")::int AS "release", ol."keys_needed" - ol."keys_assigned" AS "owed"
      FROM "order_line" ol
      JOIN jsonb_to_recordset(${JSON.stringify(refunded)}::jsonb) AS r(line_item_id bigint, quantity int)
        ON r.line_item_id = ol."line_item_id"
      WHERE ol."order_id" = ${row.id}
      GROUP BY ol."id"`);
    if (lines.length === 0) return { status: "recorded" as const, ...none };
    const fromOwed = lines.map((l) => ({ id: l.id, n: Math.min(l.release, l.owed) }));
    await db.query(sql`
      UPDATE "order_line" ol SET "keys_needed" = ol."keys_needed" - x.n
      FROM jsonb_to_recordset(${JSON.stringify(fromOwed)}::jsonb) AS x(id int, n int)
      WHERE ol."id" = x.id AND x.n > 0`);
    let returned: Array<{ lineId: number | null; tagId: number | null; n: number }> = [];
    if (shop.cancelPolicy === "RETURN_UNVIEWED") {
      const limits = new Map(lines.map((l) => [l.id, l.release - Math.min(l.release, l.owed)] as [number, number]));
      returned = await returnUnviewedKeys(db, { shopId: shop.id, orderId: row.id, limitPerLine: limits });
    }
    await db.query(sql`
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

function tagsOf(rows: Array<{ tagId: number | null; n: number }>) {
  return [...new Set(rows.filter((r) => r.tagId !== null && r.n > 0).map((r) => r.tagId as number))];
}

function describeReturn(what: string, returned: number, policy: CancelPolicy) {
  if (policy === "KEEP_ASSIGNED") return `${what}: its licence keys stay assigned (cancellation setting)`;
  if (returned === 0) return `${what}: no unviewed licence keys to return`;
  return `${what}: ${returned} unviewed licence ${returned === 1 ? "key" : "keys"} returned to the pool`;
}
