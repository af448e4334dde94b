// Low stock: a tag that hands out keys is watched after every assignment. When it drops below its
// threshold, or runs out, the merchant gets one email per crossing (queued in the mail outbox) and a
// banner in the admin, with a forecast of days left from the recent assignment rate.
import prisma from "~/db.server";
import { formatPerDay } from "~/lib/stock";
import { safeTimeZone } from "~/lib/zoned-time";
import { col, pgDb, prismaDb, raw, sql, transaction } from "~/sql.server";

/** Days of history the assignment rate is averaged over. */
export const FORECAST_WINDOW_DAYS = 14;

interface TagStock {
  id: number;
  name: string;
  pending: number;
  threshold: number | null;
  lowAlerted: boolean;
  outAlerted: boolean;
}

const tagStock = {
  id: col.int,
  name: col.text,
  pending: col.int,
  threshold: col.int.nullable(),
  lowAlerted: col.bool,
  outAlerted: col.bool,
};

const tagOrders = { tagId: col.int, orders: col.int };

type StockLevel = Pick<TagStock, "pending" | "threshold" | "lowAlerted" | "outAlerted">;

const isLow = (tag: StockLevel) => tag.threshold !== null && tag.pending < tag.threshold;
const isOut = (tag: StockLevel) => tag.pending === 0;
const needsChange = (tag: StockLevel) => isLow(tag) !== tag.lowAlerted || isOut(tag) !== tag.outAlerted;

/** A tag's stock as an assignment saw it (see stockAfterClaim in fulfilment/key-assignment.server.ts). */
export interface TagStockSnapshot {
  id: number;
  pending: number;
  threshold: number | null;
  lowAlerted: boolean;
  outAlerted: boolean;
}

/**
 * Whether any of these tags crossed a line (or came back over one), so that checkLowStock, which
 * locks and re-reads, is worth running. The snapshot may be a little stale under concurrency; the
 * next assignment from the tag looks again.
 */
export function lowStockMayHaveChanged(stock: TagStockSnapshot[]) {
  return stock.some(needsChange);
}

/** Keys handed out per day over the window, per tag. */
export async function assignmentRates({ shopId, tagIds }: { shopId: number; tagIds: number[] }) {
  if (tagIds.length === 0) return new Map<number, number>();
  const rows = await prismaDb(prisma).rows(
    { tagId: col.int, keys: col.int },
    sql`
    SELECT ol."tag_id" AS "tagId", COALESCE(sum(ol."keys_assigned"), 0)::int AS "keys"
    FROM "order_line" ol
    WHERE ol."tag_id" = ANY(${tagIds}::int[]) AND ol."shop_id" = ${shopId}
      AND ol."created_at" > now() - make_interval(days => ${FORECAST_WINDOW_DAYS})
    GROUP BY ol."tag_id"`,
  );
  return new Map(rows.map((row) => [row.tagId, row.keys / FORECAST_WINDOW_DAYS]));
}

/** Days of history the tag page's chart shows. */
export const HISTORY_DAYS = 30;

export interface TagHistory {
  /** Keys handed out per day (by the day the order came in, in the shop's time zone), oldest first. */
  days: Array<{ day: string; keys: number }>;
  /** Keys a day over the forecast window (null: none handed out in it), and that window's days. */
  perDay: number | null;
  windowDays: number;
}

/**
 * A tag's recent assignments for its page: one figure per day of the last HISTORY_DAYS in the shop's
 * time zone (today included, days without sales as 0), and the rate the low-stock forecast uses.
 * Counted from order lines, like the forecast, by their (tag, created_at) index.
 */
export async function tagHistory({
  shopId,
  tagId,
  timeZone,
}: {
  shopId: number;
  tagId: number;
  timeZone: string;
}): Promise<TagHistory> {
  const zone = safeTimeZone(timeZone);
  const [days, rates] = await Promise.all([
    prismaDb(prisma).rows(
      { day: col.text, keys: col.int },
      sql`
      WITH today AS (SELECT (now() AT TIME ZONE ${zone})::date AS "day"),
      lines AS (
        SELECT ((ol."created_at" AT TIME ZONE 'UTC') AT TIME ZONE ${zone})::date AS "day", ol."keys_assigned" AS "keys"
        FROM "order_line" ol, today
        WHERE ol."tag_id" = ${tagId} AND ol."shop_id" = ${shopId}
          AND ol."created_at" >= ((today."day" - ${HISTORY_DAYS - 1}::int)::timestamp AT TIME ZONE ${zone}) AT TIME ZONE 'UTC'
      )
      SELECT to_char(d."day", 'YYYY-MM-DD') AS "day", COALESCE(sum(lines."keys"), 0)::int AS "keys"
      FROM today, generate_series(today."day" - ${HISTORY_DAYS - 1}::int, today."day", interval '1 day') AS d("day")
      LEFT JOIN lines ON lines."day" = d."day"::date
      GROUP BY d."day" ORDER BY d."day"`,
    ),
    assignmentRates({ shopId, tagIds: [tagId] }),
  ]);
  return { days, perDay: rates.get(tagId) ?? null, windowDays: FORECAST_WINDOW_DAYS };
}

/** Whole days the pending keys last at this rate; null when nothing was handed out recently. */
export function daysLeft(pending: number, perDay: number | undefined) {
  if (!perDay || perDay <= 0) return null;
  return Math.floor(pending / perDay);
}

function forecastSentence(pending: number, perDay: number | undefined) {
  const days = daysLeft(pending, perDay);
  if (days === null) return "No keys of this tag were handed out in the last 14 days.";
  return `At the rate of the last ${FORECAST_WINDOW_DAYS} days (about ${formatPerDay(perDay!)} a day) they last about ${days} ${days === 1 ? "day" : "days"}.`;
}

function stockQuery({ shopId, tagIds, lock }: { shopId: number; tagIds: number[]; lock: boolean }) {
  return sql`SELECT "id", "name", "pending_count" AS "pending", "low_stock_threshold" AS "threshold",
      "low_stock_alerted_at" IS NOT NULL AS "lowAlerted", "out_of_stock_alerted_at" IS NOT NULL AS "outAlerted"
    FROM "tag" WHERE "id" = ANY(${tagIds}::int[]) AND "shop_id" = ${shopId} AND "kind" <> 'AUTO_GENERATED'
    ORDER BY "id"${raw(lock ? " FOR NO KEY UPDATE" : "")}`;
}

/**
 * Called after keys leave or join these tags. Sends at most one "running low" and one "out of keys"
 * email per crossing, and re-arms them once stock is back. Runs after the assignment committed, so
 * it never lengthens the time an order holds its locks.
 */
export async function checkLowStock({ shopId, tagIds }: { shopId: number; tagIds: number[] }) {
  if (tagIds.length === 0) return [];
  // The common case, nothing crossed: one cheap read, no transaction.
  const current = await pgDb().rows(tagStock, stockQuery({ shopId, tagIds, lock: false }));
  if (!current.some(needsChange)) return [];

  const alerts = await transaction(async (tx) => {
    const tags = (await prismaDb(tx).rows(tagStock, stockQuery({ shopId, tagIds, lock: true }))).filter(needsChange);
    const sent: Array<{ tag: TagStock; kind: "low" | "out" }> = [];
    for (const tag of tags) {
      const low = isLow(tag);
      const out = isOut(tag);
      await tx.tag.update({
        where: { id: tag.id },
        data: {
          lowStockAlertedAt: low ? (tag.lowAlerted ? undefined : new Date()) : null,
          outOfStockAlertedAt: out ? (tag.outAlerted ? undefined : new Date()) : null,
        },
      });
      if (out && !tag.outAlerted) sent.push({ tag, kind: "out" });
      else if (low && !tag.lowAlerted) sent.push({ tag, kind: "low" });
    }
    if (sent.length === 0) return sent;
    const shop = await tx.shop.findUniqueOrThrow({
      where: { id: shopId },
      select: { email: true, reportEmail: true, name: true, domain: true },
    });
    const to = shop.reportEmail || shop.email;
    if (!to) return sent;
    const rates = await assignmentRates({ shopId, tagIds: sent.map((s) => s.tag.id) });
    const waiting = await prismaDb(tx).rows(
      tagOrders,
      sql`
      SELECT ol."tag_id" AS "tagId", count(DISTINCT ol."order_id")::int AS "orders" FROM "order_line" ol
      WHERE ol."tag_id" = ANY(${sent.map((s) => s.tag.id)}::int[]) AND ol."keys_assigned" < ol."keys_needed"
      GROUP BY ol."tag_id"`,
    );
    const waitingByTag = new Map(waiting.map((w) => [w.tagId, w.orders]));
    await tx.mailMessage.createMany({
      data: sent.map(({ tag, kind }) =>
        composeAlert({
          shopId,
          to,
          shopName: shop.name || shop.domain,
          tag,
          kind,
          perDay: rates.get(tag.id),
          waitingOrders: waitingByTag.get(tag.id) ?? 0,
        }),
      ),
    });
    return sent;
  });
  return alerts.map(({ tag, kind }) => ({ tagId: tag.id, kind }));
}

function composeAlert({
  shopId,
  to,
  shopName,
  tag,
  kind,
  perDay,
  waitingOrders,
}: {
  shopId: number;
  to: string;
  shopName: string;
  tag: TagStock;
  kind: "low" | "out";
  perDay: number | undefined;
  waitingOrders: number;
}) {
  const subject =
    kind === "out"
      ? `Out of licence keys: tag "${tag.name}"`
      : `Licence keys running low: tag "${tag.name}" has ${tag.pending} left`;
  const lines =
    kind === "out"
      ? [
          `The tag "${tag.name}" in ${shopName} has no pending licence keys left.`,
          waitingOrders > 0
            ? `${waitingOrders} ${waitingOrders === 1 ? "order is" : "orders are"} waiting for keys. They receive keys automatically, oldest first, as soon as you add keys to the tag.`
            : "New orders for its products will wait for keys until you add more.",
        ]
      : [
          `The tag "${tag.name}" in ${shopName} has ${tag.pending} pending licence ${tag.pending === 1 ? "key" : "keys"} left, below your threshold of ${tag.threshold}.`,
          forecastSentence(tag.pending, perDay),
        ];
  lines.push(
    "",
    "Add keys in Keyshelf: Licence keys > Add keys.",
    "",
    "You receive this email once each time the tag crosses the threshold.",
  );
  return { shopId, kind: "LOW_STOCK" as const, to, subject, text: lines.join("\n") };
}

export interface LowStockTag {
  id: number;
  name: string;
  pending: number;
  threshold: number | null;
  perDay: number | null;
  daysLeft: number | null;
  waitingOrders: number;
}

/** Linked tags that are out of keys or below their threshold: the admin's low-stock banner. */
export async function listLowStockTags({ shopId }: { shopId: number }): Promise<LowStockTag[]> {
  const tags = await prismaDb(prisma).rows(
    { id: col.int, name: col.text, pending: col.int, threshold: col.int.nullable() },
    sql`
    SELECT t."id", t."name", t."pending_count" AS "pending", t."low_stock_threshold" AS "threshold"
    FROM "tag" t
    WHERE t."shop_id" = ${shopId} AND t."kind" <> 'AUTO_GENERATED'
      AND (t."pending_count" = 0 OR t."pending_count" < t."low_stock_threshold")
      AND EXISTS (SELECT 1 FROM "product_link" pl WHERE pl."tag_id" = t."id" AND pl."source" = 'TAG')
    ORDER BY t."pending_count", t."name"
    LIMIT 20`,
  );
  if (tags.length === 0) return [];
  const ids = tags.map((t) => t.id);
  const rates = await assignmentRates({ shopId, tagIds: ids });
  const waiting = await prismaDb(prisma).rows(
    tagOrders,
    sql`
    SELECT ol."tag_id" AS "tagId", count(DISTINCT ol."order_id")::int AS "orders" FROM "order_line" ol
    JOIN "order" o ON o."id" = ol."order_id"
    WHERE ol."tag_id" = ANY(${ids}::int[]) AND ol."keys_assigned" < ol."keys_needed" AND o."shortfall" > 0
    GROUP BY ol."tag_id"`,
  );
  const waitingByTag = new Map(waiting.map((w) => [w.tagId, w.orders]));
  return tags.map((tag) => {
    const perDay = rates.get(tag.id) ?? null;
    return {
      ...tag,
      perDay,
      daysLeft: daysLeft(tag.pending, perDay ?? undefined),
      waitingOrders: waitingByTag.get(tag.id) ?? 0,
    };
  });
}
