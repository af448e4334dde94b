// Key assignment: how owed keys reach order lines. No key is ever handed out twice, at any
// concurrency, on any number of app instances sharing one database:
// - pending keys are claimed with `FOR UPDATE SKIP LOCKED` on license_key and re-checked to be
//   Pending in the UPDATE itself (claimKeys, the one claim, composed by the batched statement for
//   new orders and by claimRound);
// - each line receives at most keys_needed - keys_assigned keys (a CHECK constraint backs this up),
//   tag by tag, first come first served (order placed, then line);
// - nothing waits for a key while holding the rows every assignment in the shop updates (the tag
//   and shop counters kept by triggers), so concurrent orders cannot deadlock on them.
//
// The counter triggers (keyshelf_license_key_status_sync, keyshelf_license_key_counted_*,
// keyshelf_key_tag_*) are defined, in their current form, in
// prisma/migrations/20261207000000_trigger_functions_current/migration.sql.
import { z } from "zod";
import { generateKeys, keyFormatOf } from "~/lib/key-format";
import { col, prepared, sql, type Db, type Sql } from "~/sql.server";
import type { TagStockSnapshot } from "../low-stock.server";

/**
 * The one claim of pending keys, as CTEs to follow a `need` CTE with columns (line_id, order_id,
 * shop_id, tag_id, n, upto): each line's share of its tag's keys is rows (upto - n, upto] of that
 * tag's claim. Defines per_tag, picked, shares and claimed (the keys now Assigned: order_id,
 * order_line_id). Keys are found in key_tag's (tag_id, status, key_id) index, oldest first, and each
 * is locked by primary key behind an OFFSET 0 fence: without it the planner may merge-join
 * license_key from its first row, reading every key ever handed out before reaching a pending one.
 */
export const claimKeys = sql`
    per_tag AS (
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
    )`;

/**
 * Each tag's stock right after the claim (claimKeys' `claimed` and `need`), limited to the tags
 * `which` selects (a condition on t): enough to tell whether a low-stock check is worth a round trip.
 */
export function stockAfterClaim(which: Sql) {
  return sql`
    SELECT t."id", json_build_object(
        'id', t."id", 'pending', t."pending_count" - COALESCE(c.n, 0), 'threshold', t."low_stock_threshold",
        'lowAlerted', t."low_stock_alerted_at" IS NOT NULL, 'outAlerted', t."out_of_stock_alerted_at" IS NOT NULL) AS snapshot
    FROM "tag" t LEFT JOIN (
      SELECT need."tag_id", count(*)::int AS n FROM claimed JOIN need ON need.line_id = claimed."order_line_id" GROUP BY need."tag_id"
    ) c ON c."tag_id" = t."id"
    WHERE ${which}`;
}

/** A tag's stock as stockAfterClaim reports it. */
export const stockSnapshot = z.object({
  id: z.number().int(),
  pending: z.number().int(),
  threshold: z.number().int().nullable(),
  lowAlerted: z.boolean(),
  outAlerted: z.boolean(),
}) satisfies z.ZodType<TagStockSnapshot>;

export interface AssignOutcome {
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
      await db.rows(
        { tagId: col.int },
        sql`
        SELECT DISTINCT "tag_id" AS "tagId" FROM "order_line"
        WHERE "order_id" = ANY(${orderIds}::int[]) AND "shop_id" = ${shopId} AND "source" = 'TAG'
          AND "tag_id" IS NOT NULL AND "keys_assigned" < "keys_needed"`,
      )
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
    const totals = await db.rows(
      { shortfall: col.int },
      sql`
      WITH owed AS (
        SELECT o."id", COALESCE((
          SELECT sum(ol."keys_needed" - ol."keys_assigned") FROM "order_line" ol WHERE ol."order_id" = o."id" AND ol."source" = 'TAG'
        ), 0)::int AS n
        FROM "order" o WHERE o."id" = ANY(${orderIds}::int[]) AND o."shop_id" = ${shopId}
      ), changed AS (
        UPDATE "order" o SET "shortfall" = owed.n, "awaiting_payment" = false, "updated_at" = now()
        FROM owed WHERE o."id" = owed."id" AND (o."shortfall" <> owed.n OR o."awaiting_payment")
      )
      SELECT COALESCE(sum(n), 0)::int AS shortfall FROM owed`,
    );
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

const roundOutcome = { assigned: col.int, wanted: col.int, shortfall: col.int, stock: z.array(stockSnapshot) };

function claimRound(db: Db, { shopId, orderIds, tagIds }: { shopId: number; orderIds: number[]; tagIds: number[] }) {
  // The orders' shortfall is set from the same snapshot as the claim, so no further statement is
  // needed before commit.
  return db.rows(
    roundOutcome,
    prepared(
      "keyshelf_claim_keys",
      sql`
    WITH need AS (
      SELECT ol."id" AS line_id, ol."order_id", ol."shop_id", ol."tag_id", ol."keys_needed" - ol."keys_assigned" AS n,
        sum(ol."keys_needed" - ol."keys_assigned") OVER (PARTITION BY ol."tag_id" ORDER BY o."placed_at", o."id", ol."id") AS upto
      FROM "order_line" ol JOIN "order" o ON o."id" = ol."order_id"
      WHERE ol."order_id" = ANY(${orderIds}::int[]) AND ol."shop_id" = ${shopId} AND ol."source" = 'TAG'
        AND ol."tag_id" = ANY(${tagIds}::int[]) AND ol."keys_assigned" < ol."keys_needed"
    ), ${claimKeys}, per_line AS (
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
    ), stock AS (${stockAfterClaim(sql`t."id" = ANY(${tagIds}::int[]) AND t."kind" <> 'AUTO_GENERATED'`)})
    SELECT (SELECT count(*)::int FROM claimed) AS assigned,
      (SELECT COALESCE(sum(n), 0)::int FROM need) AS wanted,
      (SELECT COALESCE(sum("shortfall"), 0)::int FROM final) AS shortfall,
      (SELECT COALESCE(json_agg(stock.snapshot), '[]'::json) FROM stock) AS "stock"`,
    ),
  );
}

/** Lines linked to automatic generation get fresh keys; they are never short of stock. */
async function generateOwedKeys(
  db: Db,
  { shopId, orderIds, autoTagId }: { shopId: number; orderIds: number[]; autoTagId: number | null },
) {
  const lines = await db.rows(
    {
      id: col.int,
      orderId: col.int,
      owed: col.int,
      pattern: col.text.nullable(),
      prefix: col.text.nullable(),
    },
    sql`
    SELECT "id", "order_id" AS "orderId", "keys_needed" - "keys_assigned" AS "owed", "auto_pattern" AS "pattern", "auto_prefix" AS "prefix"
    FROM "order_line"
    WHERE "order_id" = ANY(${orderIds}::int[]) AND "shop_id" = ${shopId} AND "source" = 'AUTO_GENERATE'
      AND "keys_assigned" < "keys_needed"
    ORDER BY "id"`,
  );
  let total = 0;
  for (const line of lines) {
    let owed = line.owed;
    // A repeat of an existing key is dropped and redrawn; with >= 60 random bits this loop runs once.
    for (let attempt = 0; owed > 0 && attempt < 8; attempt++) {
      const values = generateKeys(keyFormatOf(line.pattern, line.prefix), owed);
      const [{ created }] = await db.rows(
        { created: col.int },
        sql`
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
        SELECT count(*)::int AS created FROM created`,
      );
      owed -= created;
      total += created;
    }
    // Only a format with too few random characters for the shop's keys could get here.
    if (owed > 0)
      throw new Error(`Could not generate ${owed} unique licence keys in format ${line.prefix ?? ""}${line.pattern}.`);
  }
  return total;
}
