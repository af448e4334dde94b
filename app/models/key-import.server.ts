// Adding licence keys from pasted text or a file: stage, preview, commit.
//
// 1. stageKeyImport streams the upload through the parser straight into import_row with COPY, on a
//    pg connection of its own (unpooledClient in app/pg.server.ts: an upload holds it for as long as
//    the client takes to send), so a million keys never sit in the app's memory. One COPY is one
//    statement: a refused line or a dropped connection leaves no staged rows behind.
// 2. getKeyImportPreview answers from SQL what the merchant decides on: first rows, new keys,
//    duplicates inside the upload, keys already in the destination tags.
// 3. commitKeyImport moves the staged rows into license_key and key_tag with two set-based INSERTs in
//    one transaction (tag and shop counters follow by trigger), fills orders waiting on those tags
//    in the same transaction, and logs the import. All or nothing.
import type { Prisma } from "@prisma/client";
import { z } from "zod";
import prisma from "~/db.server";
import { unpooledClient } from "~/pg.server";
import { col, copyDb, prismaDb, sql, transaction, type CopyDb, type Sql } from "~/sql.server";
import { isAcceptedKeyFileName, KeyFileParser, keyFileFormat, MAX_KEY_LENGTH, type KeyFileIssue } from "~/lib/key-import";
import type { KeyImportPreview } from "~/lib/key-import-page";
import { LibraryError, tagNameSchema } from "~/lib/library";
import { TAG_NAME_RULE, UNTAGGED_TAG } from "~/lib/tags";
import { recordAudit } from "./audit.server";
import { fillWaitingOrders, type FillResult } from "./fulfilment/waiting-orders.server";
import { checkLowStock } from "./low-stock.server";
import { findOrCreateTags, getSystemTags, LONG_TRANSACTION } from "./tags.server";

/** 100 MB: a million keys of up to ~100 characters. */
export const IMPORT_MAX_BYTES = 100 * 1024 * 1024;
export const IMPORT_MAX_TAGS = 10;
/** Uploads never committed are dropped after this long. */
export const STALE_IMPORT_MS = 24 * 60 * 60 * 1000;
export const PREVIEW_ROWS = 20;
/** What the screen tells the merchant before they upload. */
export const IMPORT_LIMITS = { maxBytes: IMPORT_MAX_BYTES, maxTags: IMPORT_MAX_TAGS, maxKeyLength: MAX_KEY_LENGTH } as const;

export type DuplicateChoice = "skip" | "keep";

export type StageResult =
  | { ok: true; batchId: number; lines: number; blankLines: number; keys: number; column: string | null }
  | { ok: false; reason: "invalid"; issues: KeyFileIssue[]; truncated: boolean }
  | { ok: false; reason: "empty"; lines: number; blankLines: number }
  | { ok: false; reason: "too-large"; maxBytes: number };

export function tooLargeMessage(maxBytes = IMPORT_MAX_BYTES) {
  return `The file is larger than ${Math.round(maxBytes / 1024 / 1024)} MB. Split it into smaller files and add them one after the other.`;
}

/** Destination names: a-z tag names, existing or new; none means the "No tag" system tag. */
export function checkDestination(names: readonly string[]): string[] {
  const wanted = [...new Set(names.map((name) => name.trim()).filter(Boolean))];
  const invalid = wanted.filter((name) => !tagNameSchema.safeParse(name).success);
  if (invalid.length > 0) {
    const shown = invalid.slice(0, 5).map((name) => `"${name}"`);
    throw new LibraryError(`${TAG_NAME_RULE} Not allowed: ${shown.join(", ")}.`, 422, "tags");
  }
  if (wanted.length > IMPORT_MAX_TAGS) {
    throw new LibraryError(`Choose at most ${IMPORT_MAX_TAGS} tags for one import.`, 422, "tags");
  }
  return wanted;
}

// COPY text format: keys never hold tabs or line breaks (the parser refuses them); backslash is the
// only character left that needs escaping.
function copyField(value: string) {
  return value.includes("\\") ? value.replace(/\\/g, "\\\\") : value;
}

const COPY_FLUSH_CHARS = 256 * 1024;
const ANALYZE_FROM_KEYS = 10_000;

/**
 * Reads `body` to its end (so the client always gets an answer rather than a reset connection),
 * staging valid keys as they arrive. Nothing stays behind unless the whole upload is good.
 */
export async function stageKeyImport({
  shopId,
  source,
  fileName = "",
  contentType = "",
  tagNames,
  body,
  maxBytes = IMPORT_MAX_BYTES,
}: {
  shopId: number;
  /** Pasted text is one key per line; a file is read by its type (.txt or .csv). */
  source: "paste" | "file";
  fileName?: string;
  contentType?: string;
  tagNames: readonly string[];
  body: AsyncIterable<Uint8Array>;
  maxBytes?: number;
}): Promise<StageResult> {
  const destination = checkDestination(tagNames);
  if (source === "file" && !isAcceptedKeyFileName(fileName)) {
    throw new LibraryError("Upload a .txt or .csv file. From a spreadsheet, save it as CSV UTF-8 first.", 422, "file");
  }
  const format = source === "paste" ? "text" : keyFileFormat(fileName, contentType);
  await cleanUpStaleImports({ shopId });
  const batch = await prisma.importBatch.create({
    data: { shopId, fileName: source === "paste" ? "" : fileName.slice(0, 255), tagNames: destination, state: "STAGING" },
    select: { id: true },
  });

  const client = unpooledClient();
  const db = copyDb(client);
  let copy: ReturnType<CopyDb["copyIn"]> | null = null;
  let copyError: Error | null = null;
  // A dropped connection surfaces through the COPY stream; unheard, the client's own event would crash the process.
  client.on("error", (error) => {
    copyError ??= error;
  });
  let pending = "";
  const prefix = `${batch.id}\t`;
  const parser = new KeyFileParser({
    format,
    onKey: (value, lineNo) => {
      pending += `${prefix}${lineNo}\t${copyField(value)}\n`;
    },
  });

  async function flush() {
    if (!copy || pending === "" || copyError) {
      pending = "";
      return;
    }
    const text = pending;
    pending = "";
    if (!copy.write(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          copy?.off("drain", done);
          copy?.off("error", done);
          resolve();
        };
        copy?.on("drain", done);
        copy?.on("error", done);
      });
    }
  }

  function abortCopy() {
    if (copy && !copy.destroyed) copy.destroy(new Error("import refused"));
  }

  let bytes = 0;
  let tooLarge = false;
  let succeeded = false;
  try {
    await client.connect();
    copy = db.copyIn(sql`COPY "import_row" ("batch_id", "line_no", "value") FROM STDIN`);
    copy.on("error", (error: Error) => {
      copyError ??= error;
    });
    const finished = new Promise<void>((resolve, reject) => {
      copy!.on("finish", resolve);
      copy!.on("error", reject);
    });
    finished.catch(() => {});

    for await (const chunk of body) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        tooLarge = true;
        abortCopy();
        // Keep draining (bounded by the caller's body) so the client gets the answer, not a reset.
        continue;
      }
      // After a refused line nothing is staged, but reading goes on to name the next bad lines.
      if (tooLarge || parser.done) continue;
      parser.write(chunk);
      if (parser.failed) {
        abortCopy();
        pending = "";
        continue;
      }
      if (pending.length >= COPY_FLUSH_CHARS) await flush();
      if (copyError) throw copyError;
    }

    if (tooLarge) return { ok: false, reason: "too-large", maxBytes };
    const summary = parser.end();
    if (parser.failed) {
      abortCopy();
      return { ok: false, reason: "invalid", issues: summary.issues, truncated: summary.truncated };
    }
    if (summary.keys === 0) {
      abortCopy();
      return { ok: false, reason: "empty", lines: summary.lines, blankLines: summary.blankLines };
    }
    await flush();
    copy.end();
    await finished;
    // Fresh statistics, or the planner takes a big upload for one row and probes indexes a million
    // times in the preview and commit instead of hashing. Small uploads are fine either way.
    if (summary.keys >= ANALYZE_FROM_KEYS) await db.run(sql`ANALYZE "import_row"`);
    await prisma.importBatch.update({
      where: { id: batch.id },
      data: {
        state: "READY",
        totalLines: summary.lines,
        blankLines: summary.blankLines,
        validKeys: summary.keys,
      },
    });
    succeeded = true;
    return {
      ok: true,
      batchId: batch.id,
      lines: summary.lines,
      blankLines: summary.blankLines,
      keys: summary.keys,
      column: summary.column,
    };
  } finally {
    if (!succeeded) abortCopy();
    await client.end().catch(() => {});
    // A refused or broken upload leaves nothing: the aborted COPY staged no rows; the batch goes too.
    if (!succeeded) await prisma.importBatch.deleteMany({ where: { id: batch.id, shopId } });
  }
}

async function findBatch({ shopId, batchId }: { shopId: number; batchId: number }) {
  const batch = await prisma.importBatch.findFirst({
    where: { id: batchId, shopId, state: { in: ["READY", "COMMITTED"] } },
    select: {
      id: true,
      state: true,
      fileName: true,
      tagNames: true,
      totalLines: true,
      blankLines: true,
      validKeys: true,
      createdAt: true,
      committedAt: true,
    },
  });
  if (!batch) {
    throw new LibraryError("This upload no longer exists: it was imported, cancelled or expired. Add the keys again.", 404);
  }
  return batch;
}

/** The destination tags that exist today (new names have no keys yet), with whether they hold keys. */
async function existingDestination({ shopId, names }: { shopId: number; names: string[] }) {
  const where: Prisma.TagWhereInput =
    names.length === 0 ? { shopId, kind: "UNTAGGED" } : { shopId, name: { in: names }, kind: "USER" };
  const rows = await prisma.tag.findMany({
    where,
    select: { id: true, name: true, pendingCount: true, assignedCount: true, usedCount: true, retiredCount: true },
  });
  return rows.map((tag) => ({
    id: tag.id,
    name: tag.name,
    holdsKeys: tag.pendingCount + tag.assignedCount + tag.usedCount + tag.retiredCount > 0,
  }));
}

/**
 * `value` is a key some of these tags already hold. Only asked about tags that hold keys: for new or
 * empty tags the answer is known, and a million index probes to learn it would be wasted.
 */
function alreadyIn(shopId: number, tagIds: number[], value: Sql) {
  if (tagIds.length === 0) return sql`false`;
  return sql`EXISTS (
    SELECT 1 FROM "license_key" k JOIN "key_tag" kt ON kt."key_id" = k."id"
    WHERE k."shop_id" = ${shopId} AND k."value" = ${value} AND kt."tag_id" = ANY(${tagIds}::int[]))`;
}

/** What the merchant sees before anything is saved; a 404 for another shop's (or a gone) batch. */
export async function getKeyImportPreview({
  shopId,
  batchId,
  sample = PREVIEW_ROWS,
}: {
  shopId: number;
  batchId: number;
  sample?: number;
}): Promise<KeyImportPreview<Date>> {
  const batch = await findBatch({ shopId, batchId });
  const existing = await existingDestination({ shopId, names: batch.tagNames });
  const filled = existing.filter((tag) => tag.holdsKeys).map((tag) => tag.id);
  const tags =
    batch.tagNames.length === 0
      ? [{ name: UNTAGGED_TAG, exists: true }]
      : batch.tagNames.map((name) => ({ name, exists: existing.some((tag) => tag.name === name) }));
  const base = {
    batchId: batch.id,
    state: batch.state as "READY" | "COMMITTED",
    fileName: batch.fileName,
    tags,
    lines: batch.totalLines,
    blankLines: batch.blankLines,
    keys: batch.validKeys,
    createdAt: batch.createdAt,
    committedAt: batch.committedAt,
  };
  if (batch.state === "COMMITTED") {
    return { ...base, duplicatesInUpload: 0, alreadyInTags: 0, newKeys: 0, rows: [] };
  }

  // "Already in the tags" as a semi-join (WHERE EXISTS), so the planner may hash the tags' keys
  // rather than probe the index once per uploaded key.
  const [counts] = await transaction(async (tx) => {
    const db = prismaDb(tx);
    await db.run(sql`SET LOCAL work_mem = '256MB'`);
    return db.rows(
      { distinct: col.int, rows: col.int, existing: col.int },
      sql`
      WITH v AS MATERIALIZED (
        SELECT r."value", count(*) AS "n" FROM "import_row" r WHERE r."batch_id" = ${batch.id} GROUP BY r."value"
      )
      SELECT (SELECT count(*) FROM v)::int AS "distinct", (SELECT coalesce(sum("n"), 0) FROM v)::int AS "rows",
        (SELECT count(*) FROM v WHERE ${alreadyIn(shopId, filled, sql`v."value"`)})::int AS "existing"`,
    );
  }, LONG_TRANSACTION);
  const rows = await prismaDb(prisma).rows(
    { line: col.int, value: col.text, repeated: col.bool, existing: col.bool },
    sql`
    SELECT r."line_no" AS "line", r."value",
      EXISTS (
        SELECT 1 FROM "import_row" d
        WHERE d."batch_id" = r."batch_id" AND d."value" = r."value" AND d."line_no" < r."line_no"
      ) AS "repeated",
      ${alreadyIn(shopId, filled, sql`r."value"`)} AS "existing"
    FROM "import_row" r
    WHERE r."batch_id" = ${batch.id}
    ORDER BY r."line_no"
    LIMIT ${sample}`,
  );
  return {
    ...base,
    keys: counts.rows,
    duplicatesInUpload: counts.rows - counts.distinct,
    alreadyInTags: counts.existing,
    newKeys: counts.distinct - counts.existing,
    rows,
  };
}

export interface CommitResult {
  batchId: number;
  imported: number;
  /** Rows of the upload not imported: repeats and keys already in the tags (skip), or 0 (keep). */
  skipped: number;
  tags: Array<{ id: number; name: string }>;
  filled: FillResult;
}

// Imports of one shop run one after the other, so "skip duplicates" holds between two imports into
// the same tag started at once. Orders are not blocked: they never take this lock.
const IMPORT_LOCK_NAMESPACE = 0x4b53_494d; // "KSIM"

/** Saves the staged keys, all or nothing, and gives waiting orders their keys. */
export async function commitKeyImport({
  shopId,
  batchId,
  duplicates,
  actor,
}: {
  shopId: number;
  batchId: number;
  duplicates: DuplicateChoice;
  actor: string;
}): Promise<CommitResult> {
  const result = await transaction(async (tx) => {
    const db = prismaDb(tx);
    await db.run(sql`SELECT pg_advisory_xact_lock(${IMPORT_LOCK_NAMESPACE}::int, ${shopId}::int)`);
    const [batch] = await db.rows(
      {
        id: col.int,
        state: col.text,
        tag_names: z.array(col.text).nullable(),
        valid_keys: col.int,
        file_name: col.text,
      },
      sql`
      SELECT "id", "state"::text AS "state", "tag_names", "valid_keys", "file_name" FROM "import_batch"
      WHERE "id" = ${batchId} AND "shop_id" = ${shopId}
      FOR UPDATE`,
    );
    if (!batch || batch.state === "STAGING" || batch.state === "FAILED") {
      throw new LibraryError("This upload no longer exists: it was cancelled or expired. Add the keys again.", 404);
    }
    if (batch.state === "COMMITTED") {
      throw new LibraryError("These keys were already imported.", 409);
    }

    const names = batch.tag_names ?? [];
    const tags =
      names.length > 0
        ? (await findOrCreateTags({ shopId, names, tx })).map(({ id, name }) => ({ id, name }))
        : [await getSystemTags({ shopId, tx }).then(({ untagged }) => ({ id: untagged.id, name: untagged.name }))];
    const tagIds = tags.map((tag) => tag.id);

    const [{ holding }] = await db.rows(
      { holding: z.array(col.int) },
      sql`
      SELECT coalesce(array_agg("id"), '{}') AS "holding" FROM "tag"
      WHERE "id" = ANY(${tagIds}::int[]) AND "pending_count" + "assigned_count" + "used_count" + "retired_count" > 0`,
    );
    // Skip: each value once (its first line), minus keys the tags already hold. Keep: every line.
    const fresh =
      duplicates === "keep"
        ? sql`SELECT r."line_no", r."value" FROM "import_row" r WHERE r."batch_id" = ${batch.id}`
        : sql`
          SELECT p."line_no", p."value" FROM (
            SELECT min(r."line_no") AS "line_no", r."value" FROM "import_row" r
            WHERE r."batch_id" = ${batch.id} GROUP BY r."value"
          ) p
          WHERE NOT ${alreadyIn(shopId, holding, sql`p."value"`)}`;
    // The de-duplicating aggregate and the sort of a million rows want memory, not temp files.
    await db.run(sql`SET LOCAL work_mem = '256MB'`);
    // Keys get ids in file order, so "oldest first" hands them out in the order of the file.
    const [counts] = await db.rows(
      { keys: col.int, links: col.int },
      sql`
      WITH fresh AS (${fresh}), inserted AS (
        INSERT INTO "license_key" ("shop_id", "value", "type", "status")
        SELECT ${shopId}, f."value", 'UPLOADED', 'PENDING' FROM fresh f ORDER BY f."line_no"
        RETURNING "id"
      ), links AS (
        INSERT INTO "key_tag" ("tag_id", "key_id", "shop_id", "status")
        SELECT t."id", i."id", ${shopId}, 'PENDING' FROM inserted i CROSS JOIN unnest(${tagIds}::int[]) AS t("id")
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM inserted)::int AS "keys", (SELECT count(*) FROM links)::int AS "links"`,
    );

    await tx.importBatch.update({
      where: { id: batch.id },
      data: { state: "COMMITTED", committedAt: new Date() },
    });
    const where = tags.map((tag) => tag.name).join(", ");
    await recordAudit({
      tx,
      shopId,
      actor,
      action: "keys.import",
      summary:
        `Added ${counts.keys.toLocaleString("en")} licence ${counts.keys === 1 ? "key" : "keys"} to ` +
        `${tags.length === 1 ? "tag" : "tags"} ${where}` +
        (batch.file_name ? ` from ${batch.file_name}` : "") +
        (duplicates === "skip" && batch.valid_keys > counts.keys
          ? ` (${(batch.valid_keys - counts.keys).toLocaleString("en")} duplicates skipped)`
          : ""),
      count: counts.keys,
      details: { batchId: batch.id, tags: tags.map((tag) => tag.name), duplicates },
    });
    // Inside the transaction: orders already waiting get these keys before any order placed meanwhile.
    const filled =
      counts.keys > 0 ? await fillWaitingOrders({ shopId, tagIds, tx }) : { ordersFilled: 0, keysAssigned: 0 };
    return {
      batchId: batch.id,
      imported: counts.keys,
      skipped: batch.valid_keys - counts.keys,
      tags,
      filled,
    };
  }, LONG_TRANSACTION);

  // The staged rows are spent; the batch row stays as a record of the upload.
  await prismaDb(prisma).run(sql`DELETE FROM "import_row" WHERE "batch_id" = ${result.batchId}`);
  if (result.filled.keysAssigned > 0) await checkLowStock({ shopId, tagIds: result.tags.map((tag) => tag.id) });
  return result;
}

/** The merchant cancelled the preview. Another shop's id changes nothing (and says 404). */
export async function discardKeyImport({ shopId, batchId }: { shopId: number; batchId: number }) {
  const { count } = await prisma.importBatch.deleteMany({ where: { id: batchId, shopId, state: { not: "COMMITTED" } } });
  if (count === 0) throw new LibraryError("This upload no longer exists.", 404);
}

/**
 * Drops uploads that were never imported (and any batch stuck in STAGING by a crash) once they are
 * old; committed batches keep their row, their staged rows were deleted at commit.
 */
export async function cleanUpStaleImports({ shopId, olderThanMs = STALE_IMPORT_MS }: { shopId?: number; olderThanMs?: number } = {}) {
  const cutoff = new Date(Date.now() - olderThanMs);
  const { count } = await prisma.importBatch.deleteMany({
    where: { ...(shopId === undefined ? {} : { shopId }), state: { not: "COMMITTED" }, createdAt: { lt: cutoff } },
  });
  return count;
}
