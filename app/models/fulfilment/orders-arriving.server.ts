// Orders arriving: orders/create and orders/paid. An order is recorded with its key-carrying lines
// and, unless the shop waits for payment, gets its keys (key-assignment). Safe at any concurrency,
// on any number of app instances, for any number of deliveries:
// - a redelivered event is recognised by its event id (webhook-events), recorded atomically with
//   the work;
// - the same order under another event id finds its row (unique shop + Shopify order id) and its
//   lines (unique order + line item): in a transaction the upsert locks the order row, so
//   deliveries of one order run one after the other and each assigns only what is still owed; the
//   one-statement path for new orders loses such a race to its foreign keys and retries here.
//
// Invariant kept here, by the other fulfilment modules and by the order screen's actions: a line's
// keys_assigned is the number of its keys that are Assigned or Used; keys_needed - keys_assigned is
// what it is owed, and an order's shortfall is the sum over its lines (0 while it awaits payment or
// is cancelled).
import type { AssignTrigger } from "@prisma/client";
import { z } from "zod";
import { createBatcher } from "~/lib/batcher";
import { keyFormatOf } from "~/lib/key-format";
import { isKeyCandidate, orderPayloadSchema, parsePayload, type OrderPayload } from "~/lib/shopify-payloads";
import { col, isTransientError, pgDb, prepared, raw, sql, sqlTransaction } from "~/sql.server";
import { checkLowStock, lowStockMayHaveChanged, type TagStockSnapshot } from "../low-stock.server";
import { assignOrderKeys, claimKeys, stockAfterClaim, stockSnapshot } from "./key-assignment.server";
import {
  insertOrderLines,
  insertOrders,
  lineTitle,
  linkOfEachItem,
  orderColumns,
  orderRow,
  type OrderColumns,
} from "./order-rows.server";
import { fillIfStockAppeared } from "./waiting-orders.server";
import {
  claimWebhookEvent,
  normaliseTopic,
  recordWebhookEvent,
  recordWebhookEvents,
  type WebhookEventRef,
} from "./webhook-events.server";

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

const linkSource = z.enum(["TAG", "AUTO_GENERATE"]);
const orderContextRow = {
  shopId: col.int,
  assignTrigger: z.enum(["ORDER_CREATED", "ORDER_PAID"]) satisfies z.ZodType<AssignTrigger>,
  uninstalled: col.bool,
  autoTagId: col.int.nullable(),
  links: z.array(
    z.object({
      ord: col.int,
      source: linkSource,
      tag_id: col.int.nullable(),
      keys_per_unit: col.int,
      auto_pattern: col.text.nullable(),
      auto_prefix: col.text.nullable(),
    }),
  ),
};

/**
 * The shop's settings and, for each line item that can carry keys, its link (linkOfEachItem). One
 * round trip, before the transaction (links are configuration). The one-statement path for new
 * orders (recordNewOrders) reads the same links inside its statement.
 */
async function loadOrderContext(shopDomain: string, order: OrderPayload): Promise<OrderContext | null> {
  const candidates = order.line_items.filter(isKeyCandidate);
  const productIds = candidates.map((line) => String(line.product_id));
  const variantIds = candidates.map((line) => (line.variant_id === null ? null : String(line.variant_id)));
  const rows = await pgDb().rows(
    orderContextRow,
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
    const claimed = alreadyClaimed || (await sqlTransaction((db) => claimWebhookEvent(db, { ...event, topic })));
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
interface NewOrderEntry extends OrderColumns {
  shop: string;
  topic: string;
  event_id: string;
  webhook_id: string;
  paid_now: boolean;
  cancelled: boolean;
  items: Array<{
    ord: number;
    line_item_id: string;
    product_id: string | null;
    variant_id: string | null;
    title: string;
    quantity: number;
  }>;
}

const newOrderRow = {
  i: col.int,
  shopId: col.int.nullable(),
  eligible: col.bool,
  fresh: col.bool,
  orderId: col.int.nullable(),
  due: col.bool,
  carriesKeys: col.bool,
  linkedTagIds: z.array(col.int),
  assigned: col.int,
  shortfall: col.int,
  stock: z.array(stockSnapshot),
};
type NewOrderRow = z.output<z.ZodObject<typeof newOrderRow>> & {
  /** The batch ran twice (see recordNewOrders): keys it held the first time went back to the pool. */
  retried: boolean;
};

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
    ...orderColumns(order, { paidNow }),
    paid_now: paidNow,
    cancelled,
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
  const answers = (rows: Array<Omit<NewOrderRow, "retried">>, retried: boolean) =>
    entries.map((_, i) => {
      if (rows[i]?.i !== i) throw new Error(`recordNewOrders: no answer for entry ${i}`);
      return { ...rows[i], retried };
    });
  try {
    return answers(await pgDb().rows(newOrderRow, statement), false);
  } catch (error) {
    // One order of the batch lost a race with another delivery of it, which has committed it now, or
    // the batch deadlocked: nothing of the statement remains. Once more, that order is seen as
    // existing and the others go through. A single order goes to the transaction path instead.
    if (entries.length === 1 || !(isOrderRace(error) || isTransientError(error))) throw error;
    return answers(await pgDb().rows(newOrderRow, statement), true);
  }
}

function newOrdersStatement(entries: NewOrderEntry[]) {
  return prepared(
    "keyshelf_record_new_orders",
    sql`
    WITH entry AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(entries.map((entry, i) => ({ ...entry, i })))}::jsonb) AS e(
        i int, shop text, topic text, event_id text, webhook_id text, shopify_id bigint, name text, email text,
        customer_locale text, customer_first_name text, customer_id bigint, confirmation_number text, financial_status text, paid_now boolean, cancelled boolean,
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
    ), event AS (${recordWebhookEvents(sql`SELECT shop AS shop_domain, topic, event_id, webhook_id FROM eligible`)}
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
    ), ${claimKeys}, per_line AS (
      SELECT "order_line_id", count(*)::int AS n FROM claimed GROUP BY "order_line_id"
    ), per_order AS (
      SELECT gate.i, gate.order_id,
        (SELECT COALESCE(sum(n), 0)::int FROM need WHERE need.order_id = gate.order_id) AS needed,
        (SELECT count(*)::int FROM claimed WHERE claimed."order_id" = gate.order_id) AS assigned
      FROM gate
    ), new_order AS (${insertOrders(
      sql`
        SELECT gate.order_id AS id, gate.shop_id, gate.shopify_id, gate.name, gate.email, gate.customer_locale,
          gate.customer_first_name, gate.customer_id,
          gate.confirmation_number, gate.financial_status, c.carries AS carries_keys,
          c.carries AND NOT gate.due AND NOT gate.cancelled AS awaiting_payment, p.needed - p.assigned AS shortfall,
          gate.placed_at, gate.paid_at, gate.cancelled_at
        FROM gate JOIN per_order p ON p.i = gate.i
        CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM linked WHERE linked.i = gate.i) AS carries) c`,
      // Another delivery of this order got there first: no row here, so its lines (and any claimed
      // key) reference a missing order and the foreign keys undo the whole statement.
      sql`ON CONFLICT ("shop_id", "shopify_id") DO NOTHING
      RETURNING "id"`,
    )}
    ), new_lines AS (${insertOrderLines(sql`
        SELECT l.line_id AS id, l.shop_id, l.order_id, l.line_item_id, l.product_id, l.variant_id, l.title, l.quantity,
          l.source, l."tag_id", l.keys_per_unit, l.keys_needed, COALESCE(per_line.n, 0) AS keys_assigned,
          NULL::text AS auto_pattern, NULL::text AS auto_prefix
        FROM lines_in l LEFT JOIN per_line ON per_line."order_line_id" = l.line_id`)}
    ), stock AS (
      -- Each linked tag's stock after the whole batch's claim.
      ${stockAfterClaim(sql`t."id" IN (SELECT "tag_id" FROM linked WHERE source = 'TAG')`)}
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

const recordedOrder = {
  fresh: col.bool,
  id: col.int.nullable(),
  inserted: col.bool.nullable(),
  cancelled: col.bool.nullable(),
  awaitingPayment: col.bool.nullable(),
};

/** Every other case, in one transaction: see assignOrderKeys for its lock order. */
async function recordOrderInTransaction(
  event: OrderEvent,
  facts: OrderFacts,
  alreadyClaimed: boolean,
): Promise<TransactionResult> {
  const { topic, order, context, paidNow, cancelled, due } = facts;
  const carriesKeys = context.lines.length > 0;
  return sqlTransaction(async (db) => {
    // One statement claims the event id, upserts the order and inserts its lines. The upsert takes
    // the order row's lock, so concurrent deliveries of one order (other event ids, orders/paid)
    // wait here and then see the lines this one inserted. Identifiers are never overwritten on
    // conflict: a late redelivery must not undo customers/redact.
    const [row] = await db.rows(
      recordedOrder,
      prepared(
        "keyshelf_record_order",
        sql`
      WITH event AS (${recordWebhookEvent({ ...event, topic })}), upserted AS (${insertOrders(
        sql`${orderRow(context.shopId, orderColumns(order, { paidNow }), {
          carriesKeys,
          awaitingPayment: carriesKeys && !due && !cancelled,
        })}
          WHERE EXISTS (SELECT 1 FROM event) OR ${alreadyClaimed}::boolean`,
        sql`ON CONFLICT ("shop_id", "shopify_id") DO UPDATE SET
          "financial_status" = CASE WHEN ${paidNow}::boolean THEN EXCLUDED."financial_status" ELSE "order"."financial_status" END,
          "paid_at" = COALESCE("order"."paid_at", EXCLUDED."paid_at"),
          "updated_at" = now()
        RETURNING "id", (xmax = 0) AS "inserted", "cancelled_at" IS NOT NULL AS "cancelled", "awaiting_payment" AS "awaitingPayment"`,
      )}), lines AS (${insertOrderLines(
        sql`
        SELECT NULL::int AS id, ${context.shopId}::int AS shop_id, upserted."id" AS order_id, x.line_item_id, x.product_id,
          x.variant_id, x.title, x.quantity, x.source, x.tag_id, x.keys_per_unit, x.keys_needed, 0 AS keys_assigned,
          x.auto_pattern, x.auto_prefix
        FROM upserted, jsonb_to_recordset(${JSON.stringify(context.lines)}::jsonb) AS x(
          line_item_id bigint, product_id bigint, variant_id bigint, title text, quantity int, source text,
          tag_id int, keys_per_unit int, keys_needed int, auto_pattern text, auto_prefix text)
        WHERE upserted."inserted"`,
        sql`ON CONFLICT ("order_id", "line_item_id") DO NOTHING`,
      )})
      SELECT EXISTS (SELECT 1 FROM event) OR ${alreadyClaimed}::boolean AS "fresh", upserted.* FROM (SELECT 1) AS one LEFT JOIN upserted ON true`,
      ),
    );

    if (!row.fresh || row.id === null) return { status: "duplicate" as const };
    const base = { status: "recorded" as const, orderId: row.id, cancelled: row.cancelled === true };
    if (row.cancelled || !due) {
      return {
        ...base,
        keysAssigned: 0,
        shortfall: 0,
        awaitingPayment: row.awaitingPayment === true,
        tagIds: [] as number[],
        stock: [] as TagStockSnapshot[],
      };
    }
    // A new order's lines are the ones just inserted; an order seen before is read back.
    const known = row.inserted
      ? { auto: context.lines.some((line) => line.source === "AUTO_GENERATE"), tagIds: tagsOfLines(context.lines) }
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
