// A tag's licence keys: the paged, searchable list and the actions on keys (delete one, and delete /
// move / add tags on a selection that is either the rows ticked or every key matching the list).
//
// Invariants kept here: a key with no tag of its own sits in the "No tag" system tag and leaves it as
// soon as it gets one; moving and tagging change key_tag rows only, never a key's status; rows
// inserted into key_tag copy the key's status (the counter triggers count by it).
import type { KeyStatus, KeyType } from "@prisma/client";
import { z } from "zod";
import { col, isUniqueViolation, pgDb, prismaDb, raw, sql, transaction, type Sql, type Tx } from "~/sql.server";
import {
  KEYS_PER_PAGE,
  LibraryError,
  MATCH_COUNT_CAP,
  pluralize,
  type KeySelection,
  type KeyStatusValue,
} from "~/lib/library";
import { isSystemTag } from "~/lib/tags";
import { recordAudit } from "./audit.server";
import {
  containsPattern,
  findOrCreateTags,
  getSystemTags,
  getTag,
  LONG_TRANSACTION,
  tagRef,
  type TagRef,
} from "./tags.server";

/** pg_trgm needs three characters to use its index; shorter fragments are matched by scanning the tag. */
const TRIGRAM_MIN_LENGTH = 3;
/**
 * A fragment matching more keys than this in the shop is "broad" (a shared prefix, say): walking the tag
 * newest first finds a page of matches sooner than collecting every match through the trigram index.
 */
const TRIGRAM_MATCH_LIMIT = 5_000;
/**
 * One or two characters match a large share of any tag, and without a trigram the count walks the tag
 * checking each key: 10,000 matches of a two-character fragment meant reading about 500,000 keys
 * (seconds). Such a count stops at 1,000 ("1,000+ matches"), a tenth of the walk.
 */
const SHORT_FRAGMENT_COUNT_CAP = 1_000;

export interface KeyRow {
  id: number;
  value: string;
  type: KeyType;
  status: KeyStatus;
  createdAt: Date;
  order: { name: string; shopifyId: string } | null;
  tags: { id: number; name: string }[];
}

export interface KeyPage {
  keys: KeyRow[];
  /** Keys matching the search and filter; with `matchesCapped`, "at least this many". */
  matches: number;
  matchesCapped: boolean;
  /** Keyset cursors (key ids) for the neighbouring pages, null at either end. */
  previousCursor: number | null;
  nextCursor: number | null;
}

function statusCount(
  tag: { pendingCount: number; assignedCount: number; usedCount: number; retiredCount: number },
  status: KeyStatusValue | null,
) {
  switch (status) {
    case "PENDING":
      return tag.pendingCount;
    case "ASSIGNED":
      return tag.assignedCount;
    case "USED":
      return tag.usedCount;
    case "RETIRED":
      return tag.retiredCount;
    default:
      return tag.pendingCount + tag.assignedCount + tag.usedCount + tag.retiredCount;
  }
}

function statusSql(status: KeyStatusValue | null) {
  return status ? sql`AND kt."status" = ${status}::"KeyStatus"` : sql``;
}

const keyStatus = z.enum(["PENDING", "ASSIGNED", "USED", "RETIRED"]) satisfies z.ZodType<KeyStatus>;

const rawKeyRow = z.object({
  id: col.int,
  value: col.text,
  type: z.enum(["UPLOADED", "AUTO_GENERATED"]) satisfies z.ZodType<KeyType>,
  status: keyStatus,
  createdAt: col.text,
  orderName: col.text.nullable(),
  orderShopifyId: col.text.nullable(),
  tags: z.array(z.object({ id: col.int, name: col.text })).nullable(),
});
type RawKeyRow = z.output<typeof rawKeyRow>;
/** pageRowsJson's array (null for no rows). */
const pageRows = z.array(rawKeyRow).nullable();

/**
 * The page's keys with everything a row shows, as one JSON array, newest first. `pageIds` is SQL
 * yielding at most a page of "key_id"s. Dates travel as UTC ISO strings (JSON has no timestamp).
 */
function pageRowsJson(shopId: number, pageIds: Sql) {
  return sql`(
    SELECT json_agg(r ORDER BY r."id" DESC) FROM (
      SELECT k."id", k."value", k."type", k."status",
             to_char(k."created_at", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt",
             o."name" AS "orderName", o."shopify_id"::text AS "orderShopifyId",
             (SELECT json_agg(json_build_object('id', t."id", 'name', t."name") ORDER BY t."kind", t."name")
                FROM "key_tag" kt2 JOIN "tag" t ON t."id" = kt2."tag_id" WHERE kt2."key_id" = k."id") AS tags
      FROM (${pageIds}) p
      JOIN "license_key" k ON k."id" = p."key_id" AND k."shop_id" = ${shopId}::int
      LEFT JOIN "order" o ON o."id" = k."order_id"
    ) r
  )`;
}

function toKeyRow(row: RawKeyRow): KeyRow {
  return {
    id: row.id,
    value: row.value,
    type: row.type,
    status: row.status,
    createdAt: new Date(row.createdAt),
    order: row.orderShopifyId
      ? { name: row.orderName || `#${row.orderShopifyId}`, shopifyId: row.orderShopifyId }
      : null,
    tags: row.tags ?? [],
  };
}

/**
 * Newest keys first, keyset-paged on key id (stable while keys are added or removed elsewhere).
 * `after` pages to older keys, `before` back to newer ones. The tag's row and the page are read in
 * parallel, one statement each, on the node-postgres pool (a fraction of a Prisma round trip's CPU):
 * a page costs one round trip whatever the tag's size.
 */
export async function listKeys({
  shopId,
  tagId,
  q = "",
  status = null,
  after = null,
  before = null,
  pageSize = KEYS_PER_PAGE,
}: {
  shopId: number;
  tagId: number;
  q?: string;
  status?: KeyStatusValue | null;
  after?: number | null;
  before?: number | null;
  pageSize?: number;
}): Promise<KeyPage & { tag: Awaited<ReturnType<typeof getTag>> }> {
  const db = pgDb();
  const backwards = after === null && before !== null;
  const cursor = backwards
    ? sql`AND kt."key_id" > ${before}::int`
    : after !== null
      ? sql`AND kt."key_id" < ${after}::int`
      : sql``;
  const direction = raw(backwards ? "ASC" : "DESC");
  const take = pageSize + 1;
  const pattern = q ? containsPattern(q) : "";

  // A broad fragment (or none): the tag's index walked newest first, each key's value checked. The
  // value is a scalar subquery, one primary-key lookup per row walked, so that the walk stops as soon as
  // it has enough: as a join, the planner merges the tag with license_key's primary key walked from the
  // newest key of any shop (seconds when other shops added keys since).
  const valueMatches = sql`(SELECT k."value" FROM "license_key" k WHERE k."id" = kt."key_id") ILIKE ${pattern}::text`;
  const walkedPage = () => {
    const search = q ? sql`AND ${valueMatches}` : sql``;
    return db.rows(
      { rows: pageRows },
      sql`
      SELECT ${pageRowsJson(
        shopId,
        sql`SELECT kt."key_id" FROM "key_tag" kt
          WHERE kt."tag_id" = ${tagId}::int ${statusSql(status)} ${cursor} ${search}
          ORDER BY kt."key_id" ${direction} LIMIT ${take}::int`,
      )} AS rows`,
    );
  };
  const countCap = q.length < TRIGRAM_MIN_LENGTH ? SHORT_FRAGMENT_COUNT_CAP : MATCH_COUNT_CAP;
  const cappedCount = () =>
    db.rows(
      { count: col.int },
      sql`
      SELECT count(*)::int AS count FROM (
        SELECT 1 FROM "key_tag" kt
        WHERE kt."tag_id" = ${tagId}::int ${statusSql(status)} AND ${valueMatches}
        LIMIT ${countCap + 1}::int) capped`,
    );

  // Every match in the shop through the trigram index, then those in this tag: a few milliseconds for
  // a selective fragment. The CTE is planned for full retrieval, so the planner takes the trigram index
  // (with a LIMIT over the join it may walk the tag instead, reading a million values); it is read
  // lazily, so a fragment in thousands of keys stops at the cap and falls back to walking the tag.
  const trigramPage = () =>
    db.rows(
      { shopMatches: col.int, matches: col.int, rows: pageRows },
      sql`
      WITH shop_matches AS MATERIALIZED (
        SELECT k."id" FROM "license_key" k WHERE k."value" ILIKE ${pattern}::text AND k."shop_id" = ${shopId}::int
      ),
      capped AS MATERIALIZED (SELECT "id" FROM shop_matches LIMIT ${TRIGRAM_MATCH_LIMIT + 1}::int),
      tag_matches AS MATERIALIZED (
        SELECT kt."key_id" FROM capped m
        JOIN "key_tag" kt ON kt."tag_id" = ${tagId}::int AND kt."key_id" = m."id"
        WHERE true ${statusSql(status)}
      )
      SELECT (SELECT count(*)::int FROM capped) AS "shopMatches",
             (SELECT count(*)::int FROM tag_matches) AS matches,
             ${pageRowsJson(
               shopId,
               sql`SELECT kt."key_id" FROM tag_matches kt WHERE true ${cursor} ORDER BY kt."key_id" ${direction} LIMIT ${take}::int`,
             )} AS rows`,
    );

  const tagPromise = getTag({ shopId, tagId });
  // The tag is checked before its keys are used, but fetched alongside them.
  tagPromise.catch(() => {});
  let rows: RawKeyRow[];
  let matches: number | null = null;
  let matchesCapped = false;
  if (q.length >= TRIGRAM_MIN_LENGTH) {
    const [narrow] = await trigramPage();
    if (narrow.shopMatches <= TRIGRAM_MATCH_LIMIT) {
      rows = narrow.rows ?? [];
      matches = narrow.matches;
    } else {
      const [[page], [{ count }]] = await Promise.all([walkedPage(), cappedCount()]);
      rows = page.rows ?? [];
      matches = Math.min(count, countCap);
      matchesCapped = count > countCap;
    }
  } else if (q) {
    const [[page], [{ count }]] = await Promise.all([walkedPage(), cappedCount()]);
    rows = page.rows ?? [];
    matches = Math.min(count, countCap);
    matchesCapped = count > countCap;
  } else {
    const [page] = await walkedPage();
    rows = page.rows ?? [];
  }
  const tag = await tagPromise;

  const hasMore = rows.length > pageSize;
  // Rows come newest first; the extra row probing for more sits at the far end of the walk.
  const keys = (backwards ? rows.slice(rows.length > pageSize ? 1 : 0) : rows.slice(0, pageSize)).map(toKeyRow);
  const first = keys[0]?.id ?? null;
  const last = keys[keys.length - 1]?.id ?? null;
  return {
    tag,
    keys,
    matches: matches ?? statusCount(tag, status),
    matchesCapped,
    previousCursor: (backwards ? hasMore : after !== null) ? first : null,
    nextCursor: (backwards ? true : hasMore) ? last : null,
  };
}

async function loadKeyRows(shopId: number, ids: number[]): Promise<KeyRow[]> {
  if (ids.length === 0) return [];
  const [{ rows }] = await pgDb().rows(
    { rows: pageRows },
    sql`SELECT ${pageRowsJson(shopId, sql`SELECT unnest(${ids}::int[]) AS "key_id"`)} AS rows`,
  );
  return (rows ?? []).map(toKeyRow);
}

// ---------------------------------------------------------------------------------------------
// Deleting one key

export async function previewKeyDelete({ shopId, keyId }: { shopId: number; keyId: number }) {
  const [key] = await loadKeyRows(shopId, [keyId]);
  if (!key) throw new LibraryError("This licence key no longer exists.", 404);
  return key;
}

export async function deleteKey({ shopId, keyId, actor }: { shopId: number; keyId: number; actor: string }) {
  return transaction(async (tx) => {
    const [gone] = await prismaDb(tx).rows(
      { id: col.int, value: col.text, status: keyStatus, orderName: col.text.nullable() },
      sql`
      WITH gone AS (
        DELETE FROM "license_key" k WHERE k."id" = ${keyId} AND k."shop_id" = ${shopId}
        RETURNING k."id", k."value", k."status", k."order_id"
      )
      SELECT g."id", g."value", g."status", o."name" AS "orderName"
      FROM gone g LEFT JOIN "order" o ON o."id" = g."order_id"`,
    );
    if (!gone) throw new LibraryError("This licence key no longer exists.", 404);
    await recordAudit({
      tx,
      shopId,
      actor,
      action: "keys.delete",
      summary: `Deleted licence key ${gone.value}` + (gone.orderName ? ` (linked to order ${gone.orderName})` : ""),
      count: 1,
      details: { keyIds: [gone.id], values: [gone.value], status: gone.status, order: gone.orderName },
    });
    return gone;
  });
}

// ---------------------------------------------------------------------------------------------
// Bulk actions on a selection of a tag's keys

/**
 * Fills the transaction's temp table `library_selection` with the selected keys of the tag. Ticked ids
 * must all be in the tag (of this shop): otherwise nothing happens and the answer is a 404.
 */
async function selectKeys(tx: Tx, tag: TagRef, selection: KeySelection) {
  const db = prismaDb(tx);
  await db.run(sql`CREATE TEMP TABLE library_selection ("id" integer PRIMARY KEY) ON COMMIT DROP`);
  let count: number;
  if (selection.scope === "ids") {
    const ids = [...new Set(selection.ids)];
    count = await db.run(sql`
      INSERT INTO library_selection ("id")
      SELECT kt."key_id" FROM "key_tag" kt WHERE kt."tag_id" = ${tag.id} AND kt."key_id" = ANY(${ids}::int[])`);
    if (count !== ids.length) {
      throw new LibraryError(
        "Some selected licence keys are no longer in this tag. Refresh the list and try again: nothing was changed.",
        404,
      );
    }
  } else {
    const search = selection.q
      ? sql`AND EXISTS (SELECT 1 FROM "license_key" k WHERE k."id" = kt."key_id" AND k."value" ILIKE ${containsPattern(selection.q)})`
      : sql``;
    count = await db.run(sql`
      INSERT INTO library_selection ("id")
      SELECT kt."key_id" FROM "key_tag" kt WHERE kt."tag_id" = ${tag.id} ${statusSql(selection.status)} ${search}`);
  }
  await db.run(sql`ANALYZE library_selection`);
  return count;
}

/** Locks the tag (and destinations) against a concurrent delete or rename for the transaction. */
async function lockTags(tx: Tx, shopId: number, tagIds: number[]) {
  return prismaDb(tx).rows(
    tagRef,
    sql`
    SELECT "id", "name", "kind" FROM "tag"
    WHERE "shop_id" = ${shopId} AND "id" = ANY(${tagIds}::int[])
    ORDER BY "id" FOR SHARE`,
  );
}

async function lockSourceTag(tx: Tx, shopId: number, tagId: number) {
  const [tag] = await lockTags(tx, shopId, [tagId]);
  if (!tag) throw new LibraryError("This tag no longer exists. It may have been deleted.", 404);
  return tag;
}

function describeSelection(selection: KeySelection) {
  if (selection.scope === "ids") return { scope: "ids" as const, keyIds: selection.ids.slice(0, 100) };
  return { scope: "all" as const, q: selection.q, status: selection.status };
}

export interface BulkPreview {
  keys: number;
  linkedToOrders: number;
  /** Keys that also sit in other tags (they leave those too when deleted). */
  inOtherTags: number;
}

/** What a bulk delete (or move) of this selection touches, for its confirmation. Changes nothing. */
export async function previewKeySelection({
  shopId,
  tagId,
  selection,
}: {
  shopId: number;
  tagId: number;
  selection: KeySelection;
}): Promise<BulkPreview> {
  return transaction(async (tx) => {
    const tag = await lockSourceTag(tx, shopId, tagId);
    const keys = await selectKeys(tx, tag, selection);
    const [row] = await prismaDb(tx).rows(
      { linkedToOrders: col.int, inOtherTags: col.int },
      sql`
      SELECT
        (SELECT count(*)::int FROM library_selection s JOIN "license_key" k ON k."id" = s."id"
          WHERE k."order_id" IS NOT NULL) AS "linkedToOrders",
        (SELECT count(*)::int FROM library_selection s
          WHERE EXISTS (SELECT 1 FROM "key_tag" o WHERE o."key_id" = s."id" AND o."tag_id" <> ${tag.id})) AS "inOtherTags"`,
    );
    return { keys, ...row };
  }, LONG_TRANSACTION);
}

/** Deletes the selected keys entirely (from every tag they sit in). */
export async function deleteKeys({
  shopId,
  tagId,
  selection,
  actor,
}: {
  shopId: number;
  tagId: number;
  selection: KeySelection;
  actor: string;
}) {
  return transaction(async (tx) => {
    const db = prismaDb(tx);
    const tag = await lockSourceTag(tx, shopId, tagId);
    await selectKeys(tx, tag, selection);
    // A few of the values go into the log, so the merchant can tell which keys these were.
    const [{ sample }] = await db.rows(
      { sample: z.array(col.text).nullable() },
      sql`
      SELECT array_agg(k."value") AS sample FROM (
        SELECT k."value" FROM library_selection s JOIN "license_key" k ON k."id" = s."id" ORDER BY s."id" LIMIT 20
      ) k`,
    );
    const [gone] = await db.rows(
      { keys: col.int, linkedToOrders: col.int },
      sql`
      WITH gone AS (
        DELETE FROM "license_key" k USING library_selection s
        WHERE k."id" = s."id" AND k."shop_id" = ${shopId}
        RETURNING k."order_id"
      )
      SELECT count(*)::int AS keys, count("order_id")::int AS "linkedToOrders" FROM gone`,
    );
    if (gone.keys > 0) {
      await recordAudit({
        tx,
        shopId,
        actor,
        action: "keys.delete",
        summary:
          `Deleted ${pluralize(gone.keys, "licence key")} from tag "${tag.name}"` +
          (gone.linkedToOrders > 0 ? ` (${gone.linkedToOrders} linked to orders)` : ""),
        count: gone.keys,
        details: {
          tagId: tag.id,
          tag: tag.name,
          ...describeSelection(selection),
          linkedToOrders: gone.linkedToOrders,
          sample: sample ?? [],
        },
      });
    }
    return { tag, deleted: gone.keys, linkedToOrders: gone.linkedToOrders };
  }, LONG_TRANSACTION);
}

/**
 * Copies the selected keys into the destination tags (keeping their status), and takes them out of
 * "No tag": they now have a tag. Locks the keys' rows first so that a concurrent assignment cannot
 * change a status between the copy and commit (the counters would drift).
 */
async function addSelectionToTags(tx: Tx, shopId: number, source: TagRef, destinations: number[]) {
  const db = prismaDb(tx);
  // Counted, not returned: the locked rows need not travel to the app.
  await db.rows(
    { locked: col.int },
    sql`
    SELECT count(*)::int AS locked FROM (
      SELECT 1 FROM "license_key" k JOIN library_selection s ON s."id" = k."id" ORDER BY k."id" FOR SHARE OF k
    ) k`,
  );
  const added = await db.run(sql`
    INSERT INTO "key_tag" ("tag_id", "key_id", "shop_id", "status")
    SELECT d."id", kt."key_id", ${shopId}, kt."status"
    FROM library_selection s
    JOIN "key_tag" kt ON kt."tag_id" = ${source.id} AND kt."key_id" = s."id"
    CROSS JOIN unnest(${destinations}::int[]) AS d("id")
    ON CONFLICT ("tag_id", "key_id") DO NOTHING`);
  // Keys of a user tag have a tag of their own, so none of them sits in "No tag".
  if (isSystemTag(source.kind)) {
    const { untagged } = await getSystemTags({ shopId, tx });
    await db.run(sql`
      DELETE FROM "key_tag" kt USING library_selection s WHERE kt."tag_id" = ${untagged.id} AND kt."key_id" = s."id"`);
  }
  return added;
}

async function resolveDestinations(tx: Tx, shopId: number, tagIds: number[], what: string) {
  const tags = await lockTags(tx, shopId, tagIds);
  if (tags.length !== new Set(tagIds).size) {
    throw new LibraryError(
      `The ${what} tag no longer exists. It may have been deleted or renamed: pick another tag.`,
      422,
      "destination",
    );
  }
  const system = tags.find((tag) => isSystemTag(tag.kind));
  if (system) {
    throw new LibraryError(
      `"${system.name}" is a system tag: keys can't be put into it by hand. Pick one of your tags.`,
      422,
      "destination",
    );
  }
  return tags;
}

/**
 * Moves the selected keys from this tag to the destination: only their tags change, never their status
 * or the customer's access. A key in several tags swaps this tag for the destination; a key from
 * "No tag" simply gets the destination (and so leaves "No tag").
 */
interface MoveKeys {
  shopId: number;
  tagId: number;
  selection: KeySelection;
  destinationTagId: number;
  actor: string;
}

export async function moveKeys(move: MoveKeys) {
  // Another writer can put one of these keys into the destination after this move has checked
  // (below) and before its UPDATE lands: the UPDATE then waits for it and hits the primary key. Run
  // again, the move sees that key already there and only takes it out of this tag.
  for (let attempt = 1; ; attempt++) {
    try {
      return await moveKeysOnce(move);
    } catch (error) {
      if (attempt >= 3 || !isUniqueViolation(error)) throw error;
    }
  }
}

async function moveKeysOnce({ shopId, tagId, selection, destinationTagId, actor }: MoveKeys) {
  return transaction(async (tx) => {
    const db = prismaDb(tx);
    const tag = await lockSourceTag(tx, shopId, tagId);
    if (destinationTagId === tag.id) {
      throw new LibraryError(
        `These keys are already in "${tag.name}". Pick another tag to move them to.`,
        422,
        "destination",
      );
    }
    const moved = await selectKeys(tx, tag, selection);
    const [destination] = await resolveDestinations(tx, shopId, [destinationTagId], "destination");
    // A move re-points the keys' rows of this tag at the destination: one UPDATE, no copy and delete.
    // A concurrent status change updates the same rows, so it waits for this one (or this one for it)
    // and the counters follow either way: no key needs locking. Keys already in the destination only
    // leave this tag.
    await db.run(sql`
      DELETE FROM "key_tag" kt USING library_selection s
      WHERE kt."tag_id" = ${tag.id} AND kt."key_id" = s."id"
        AND EXISTS (SELECT 1 FROM "key_tag" d WHERE d."tag_id" = ${destination.id} AND d."key_id" = s."id")`);
    const repointed = await db.run(sql`
      UPDATE "key_tag" kt SET "tag_id" = ${destination.id} FROM library_selection s
      WHERE kt."tag_id" = ${tag.id} AND kt."key_id" = s."id"`);
    if (repointed > 0) {
      await db.run(sql`UPDATE "tag" SET "last_added_at" = now() WHERE "id" = ${destination.id}`);
    }
    // Auto-generated keys may also sit in "No tag"; keys from a user tag never do.
    if (tag.kind === "AUTO_GENERATED") {
      const { untagged } = await getSystemTags({ shopId, tx });
      await db.run(sql`
        DELETE FROM "key_tag" kt USING library_selection s WHERE kt."tag_id" = ${untagged.id} AND kt."key_id" = s."id"`);
    }
    if (moved > 0) {
      await recordAudit({
        tx,
        shopId,
        actor,
        action: "keys.move",
        summary: `Moved ${pluralize(moved, "licence key")} from tag "${tag.name}" to "${destination.name}"`,
        count: moved,
        details: {
          from: { id: tag.id, name: tag.name },
          to: { id: destination.id, name: destination.name },
          ...describeSelection(selection),
        },
      });
    }
    return { tag, destination, moved };
  }, LONG_TRANSACTION);
}

/**
 * Adds tags to the selected keys and keeps the tags they have: how one key comes to sit in several
 * tags. Destinations are existing tag ids and/or new names (created, a-z rule).
 */
export async function addTagsToKeys({
  shopId,
  tagId,
  selection,
  tagIds = [],
  newTagNames = [],
  actor,
}: {
  shopId: number;
  tagId: number;
  selection: KeySelection;
  tagIds?: number[];
  newTagNames?: string[];
  actor: string;
}) {
  return transaction(async (tx) => {
    const tag = await lockSourceTag(tx, shopId, tagId);
    const created = await findOrCreateTags({ shopId, names: newTagNames, tx });
    const ids = [...new Set([...tagIds, ...created.map((t) => t.id)])].filter((id) => id !== tag.id);
    if (ids.length === 0) throw new LibraryError("Pick at least one other tag to add.", 422, "destination");
    const destinations = await resolveDestinations(tx, shopId, ids, "chosen");
    const keys = await selectKeys(tx, tag, selection);
    const added = await addSelectionToTags(tx, shopId, tag, ids);
    const names = destinations.map((d) => `"${d.name}"`).join(", ");
    if (keys > 0) {
      await recordAudit({
        tx,
        shopId,
        actor,
        action: "keys.tag",
        summary: `Added ${destinations.length === 1 ? "tag" : "tags"} ${names} to ${pluralize(keys, "licence key")} of tag "${tag.name}"`,
        count: keys,
        details: {
          from: { id: tag.id, name: tag.name },
          tags: destinations.map((d) => ({ id: d.id, name: d.name })),
          added,
          ...describeSelection(selection),
        },
      });
    }
    return { tag, destinations, keys, added };
  }, LONG_TRANSACTION);
}
