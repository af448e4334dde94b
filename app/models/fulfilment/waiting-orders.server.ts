// Orders waiting for keys: an order short of stock keeps a shortfall (the sum of what its lines are
// owed) and is served, oldest first, as soon as keys reach its tags: after an import, a move, keys
// returned to the pool, or, as a safety net, by the background loop. A fill never waits for a lock
// held by another delivery of the same order: that delivery serves the order itself.
import { recordAudit } from "../audit.server";
import { checkLowStock } from "../low-stock.server";
import { col, pgDb, prismaDb, sql, transaction, type Tx } from "~/sql.server";
import { assignOrderKeys } from "./key-assignment.server";

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
        : await transaction((inner) => fillBatch(inner, { shopId, tagId, actor }), { timeout: 120_000 });
      total.ordersFilled += batch.ordersFilled;
      total.keysAssigned += batch.keysAssigned;
      if (batch.done) break;
    }
  }
  if (!tx && tags.length > 0) await checkLowStock({ shopId, tagIds: tags });
  return total;
}

/**
 * A shortfall recorded while another transaction held the last keys is real only if that
 * transaction took them. If it failed instead, the keys are pending again: hand them to the
 * waiting orders now rather than at the next restock.
 */
export async function fillIfStockAppeared(shopId: number, tagIds: number[]) {
  if (tagIds.length === 0) return;
  const stocked = await pgDb().rows(
    { id: col.int },
    sql`
    SELECT "id" FROM "tag" WHERE "id" = ANY(${tagIds}::int[]) AND "shop_id" = ${shopId} AND "pending_count" > 0`,
  );
  if (stocked.length) await fillWaitingOrders({ shopId, tagIds: stocked.map((t) => t.id) });
}

/**
 * The safety net behind every fill trigger: orders still waiting on a tag that has pending keys
 * (a process that died between adding keys and filling, keys freed by a failed transaction) are
 * served by the background loop, a tag at a time, oldest orders first.
 */
export async function fillStockedWaitingOrders({ limit = 50 }: { limit?: number } = {}) {
  const stocked = await pgDb().rows(
    { shopId: col.int, tagId: col.int },
    sql`
    SELECT DISTINCT ol."shop_id" AS "shopId", ol."tag_id" AS "tagId"
    FROM "order_line" ol JOIN "tag" t ON t."id" = ol."tag_id"
    WHERE ol."keys_assigned" < ol."keys_needed" AND ol."source" = 'TAG' AND t."pending_count" > 0
      AND EXISTS (
        SELECT 1 FROM "order" o
        WHERE o."id" = ol."order_id" AND o."shortfall" > 0 AND NOT o."awaiting_payment" AND o."cancelled_at" IS NULL)
    LIMIT ${limit}::int`,
  );
  let keysAssigned = 0;
  for (const { shopId, tagId } of stocked) {
    keysAssigned += (await fillWaitingOrders({ shopId, tagIds: [tagId] })).keysAssigned;
  }
  return { tags: stocked.length, keysAssigned };
}

const orderShortfall = { id: col.int, shortfall: col.int };

async function fillBatch(tx: Tx, { shopId, tagId, actor }: { shopId: number; tagId: number; actor: string }) {
  const db = prismaDb(tx);
  const none = { ordersFilled: 0, keysAssigned: 0, done: true };
  const [stock] = await db.rows(
    { pending: col.int },
    sql`
    SELECT "pending_count" AS "pending" FROM "tag" WHERE "id" = ${tagId} AND "shop_id" = ${shopId}`,
  );
  if (!stock || stock.pending === 0) return none;
  // Oldest waiting orders first. An order locked right now is being handled by a delivery of its
  // own, which serves it; skipping it means this fill never waits for a lock (it may run inside an
  // import that already holds the shop's key counters).
  const waiting = await db.rows(
    { id: col.int, name: col.text },
    sql`
    SELECT o."id", o."name" FROM "order" o
    WHERE o."id" IN (
        SELECT ol."order_id" FROM "order_line" ol
        WHERE ol."tag_id" = ${tagId} AND ol."keys_assigned" < ol."keys_needed" AND ol."source" = 'TAG')
      AND o."shop_id" = ${shopId} AND o."shortfall" > 0 AND NOT o."awaiting_payment" AND o."cancelled_at" IS NULL
    ORDER BY o."placed_at", o."id"
    LIMIT ${FILL_BATCH}
    FOR UPDATE OF o SKIP LOCKED`,
  );
  if (waiting.length === 0) return none;
  const orderIds = waiting.map((o) => o.id);
  const before = await db.rows(
    orderShortfall,
    sql`
    SELECT "id", "shortfall" FROM "order" WHERE "id" = ANY(${orderIds}::int[])`,
  );
  const outcome = await assignOrderKeys(db, { shopId, orderIds, tagIds: [tagId] });
  if (outcome.keysAssigned === 0) return none;
  const [open] = await db.rows(
    { lines: col.int },
    sql`
    SELECT count(*)::int AS "lines" FROM "order_line"
    WHERE "order_id" = ANY(${orderIds}::int[]) AND "tag_id" = ${tagId} AND "keys_assigned" < "keys_needed"`,
  );
  const after = await db.rows(
    orderShortfall,
    sql`
    SELECT "id", "shortfall" FROM "order" WHERE "id" = ANY(${orderIds}::int[])`,
  );
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
