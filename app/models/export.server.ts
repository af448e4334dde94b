// CSV exports of licence keys: the whole library or one tag, with the key list's search and status
// filter applied.
//
// Rows stream out of PostgreSQL with COPY (pg-copy-streams) in key id order and are turned into CSV
// a network packet at a time, so memory stays flat whatever the row count. A background export
// (a job, see jobs.server.ts) stores the file in `export_file` chunks; each chunk is committed
// together with the job's resume point (chunk number, last key id written), so an export whose
// server died resumes after its last committed chunk: the file never holds a row twice or misses one.
import { Readable } from "node:stream";
import type { Prisma, Shop } from "@prisma/client";
import prisma from "~/db.server";
import { col, join, prismaDb, readSnapshot, sql, transaction, type Db } from "~/sql.server";
import { csvFileName, formatCsvHeader, formatCsvRecords, type CsvField } from "~/lib/csv";
import { describeExportScope, formatCount, type ExportScope, type ExportView } from "~/lib/export";
import { KEY_STATUS_LABELS, KEY_TYPE_LABELS, LibraryError } from "~/lib/library";
import { safeTimeZone, zonedFormatter } from "~/lib/zoned-time";
import { recordAudit } from "./audit.server";
import { containsPattern } from "./tags.server";
import {
  ADMIN_LINK_TTL_MS,
  ATTACHMENT_LIMIT_BYTES,
  EXPORT_RETENTION_MS,
  exportDownloadUrl,
  exportLink,
  parseExportFileInfo,
  signExportToken,
  type ExportFileInfo,
} from "./export-files.server";
import { enqueueJob, NOW_UTC, PermanentJobError, type ClaimedJob, type JobHandler } from "./jobs.server";
import { isMailConfigured, queueMail, reportAddress } from "./mailer.server";

export function exportColumns(timeZone: string) {
  return [
    "Licence key",
    "Type",
    "Status",
    "Tags",
    "Order name",
    "Order ID",
    "Customer email",
    `Added at (${timeZone})`,
    `Assigned at (${timeZone})`,
    `Used at (${timeZone})`,
  ];
}

// ---------------------------------------------------------------------------------------------
// The query

/**
 * Keys in the scope, as a condition on `k` (license_key): the key list's rules (tag membership,
 * status, case-insensitive fragment via the library's containsPattern).
 */
export function exportScopeWhere({ shopId, scope }: { shopId: number; scope: ExportScope }) {
  const conditions = [sql`k."shop_id" = ${shopId}`];
  if (scope.tagId !== null) {
    conditions.push(sql`EXISTS (SELECT 1 FROM "key_tag" s WHERE s."tag_id" = ${scope.tagId} AND s."key_id" = k."id")`);
  }
  if (scope.status) conditions.push(sql`k."status" = ${scope.status}::"KeyStatus"`);
  if (scope.q) conditions.push(sql`k."value" ILIKE ${containsPattern(scope.q)}`);
  return join(conditions, " AND ");
}

/**
 * Beyond this many keys the tag ids are aggregated in one ordered pass over key_tag, merged with
 * the keys; below it, looked up key by key (cheaper when the scope is a small part of the shop).
 * Ids, not names: joining the tag table and sorting names per key doubled the query's cost; the
 * names come from the shop's tags, read once (see exportCsvBatches).
 */
const BULK_ROWS = 20_000;

function exportQuery({
  shopId,
  scope,
  afterKeyId,
  bulk,
}: {
  shopId: number;
  scope: ExportScope;
  afterKeyId: number;
  bulk: boolean;
}) {
  const tags = bulk
    ? sql`(
        SELECT kt."key_id", array_agg(kt."tag_id") AS ids
        FROM "key_tag" kt
        WHERE kt."shop_id" = ${shopId} AND kt."key_id" > ${afterKeyId}
        GROUP BY kt."key_id"
      ) tg ON tg."key_id" = k."id"`
    : sql`LATERAL (SELECT array_agg(kt."tag_id") AS ids FROM "key_tag" kt WHERE kt."key_id" = k."id") tg ON true`;
  return sql`
    SELECT k."id", k."value", k."type", k."status", tg.ids, o."name", o."shopify_id", o."email",
      k."created_at", k."assigned_at", k."used_at"
    FROM "license_key" k
    LEFT JOIN "order" o ON o."id" = k."order_id"
    LEFT JOIN ${tags}
    WHERE ${exportScopeWhere({ shopId, scope })} AND k."id" > ${afterKeyId}
    ORDER BY k."id"`;
}

export async function countExportRows({ shopId, scope }: { shopId: number; scope: ExportScope }) {
  const [row] = await prismaDb(prisma).rows(
    { count: col.int },
    sql`
    SELECT count(*)::int AS count FROM "license_key" k WHERE ${exportScopeWhere({ shopId, scope })}`,
  );
  return row.count;
}

// ---------------------------------------------------------------------------------------------
// COPY text -> CSV

const COPY_ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };

/** A field of COPY's text format: \N is NULL; backslash escapes the rest. */
function copyField(field: string): string | null {
  if (field.length === 2 && field === "\\N") return null;
  if (field.indexOf("\\") === -1) return field;
  return field.replace(/\\(.)/g, (_, c: string) => COPY_ESCAPES[c] ?? c);
}

/** The shop's tag names by id, for the Tags column: "alpha, beta", sorted, from COPY's "{2,1}". */
class TagNames {
  private constructor(private readonly names: Map<number, string>) {}

  static async load(db: Db, shopId: number) {
    const rows = await db.rows(
      { id: col.int, name: col.text },
      sql`SELECT "id", "name" FROM "tag" WHERE "shop_id" = ${shopId}`,
    );
    return new TagNames(new Map(rows.map((row) => [row.id, row.name])));
  }

  format(field: string): string | null {
    if (field === "\\N") return null;
    // One tag, the common case: "{42}".
    if (field.indexOf(",") === -1) return this.names.get(Number(field.slice(1, -1))) ?? null;
    return field
      .slice(1, -1)
      .split(",")
      .map((id) => this.names.get(Number(id)) ?? "")
      .filter(Boolean)
      .sort()
      .join(", ");
  }
}

export interface CsvBatch {
  /** CSV records, CRLF-terminated. */
  csv: string;
  rows: number;
  /** Id of the last key in the batch: where a resumed export continues. */
  lastKeyId: number;
}

const TYPE_LABELS: Record<string, string> = KEY_TYPE_LABELS;
const STATUS_LABELS: Record<string, string> = KEY_STATUS_LABELS;

/**
 * The scope's keys after `afterKeyId`, in key id order, as CSV batches. Stops (and frees its
 * connection) when `signal` aborts or the consumer stops iterating.
 */
export async function* exportCsvBatches({
  shopId,
  scope,
  timeZone,
  afterKeyId = 0,
  expectedRows,
  batchRows = 5_000,
  signal,
}: {
  shopId: number;
  scope: ExportScope;
  timeZone: string;
  afterKeyId?: number;
  /** At most this many rows a batch (a batch is also at most one network read of rows). */
  batchRows?: number;
  /** A count or estimate of the rows, which picks the query's shape. */
  expectedRows: number;
  signal?: AbortSignal;
}): AsyncGenerator<CsvBatch> {
  const zoned = zonedFormatter(safeTimeZone(timeZone));
  const time = (text: string | null) => (text === null ? null : zoned.formatPgUtc(text));
  const query = exportQuery({ shopId, scope, afterKeyId, bulk: expectedRows >= BULK_ROWS });

  signal?.throwIfAborted();
  // One snapshot for the tag names and the rows: every tag id in the rows has its name. A connection
  // left in the middle of a COPY cannot be reused: readSnapshot closes it.
  yield* readSnapshot(async function* (db) {
    const tagNames = await TagNames.load(db, shopId);
    const stream = db.copyOut(query);
    const onAbort = () => stream.destroy(new Error("Export stopped."));
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) onAbort();
    try {
      let carry: Buffer | null = null;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        const data: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
        const end = data.lastIndexOf(0x0a);
        if (end === -1) {
          carry = data;
          continue;
        }
        carry = end + 1 < data.length ? data.subarray(end + 1) : null;
        const lines = data.toString("utf8", 0, end).split("\n");
        for (let start = 0; start < lines.length; start += batchRows) {
          const to = Math.min(lines.length, start + batchRows);
          const rows: string[][] = new Array(to - start);
          for (let i = start; i < to; i++) rows[i - start] = lines[i].split("\t");
          yield toCsvBatch(rows, tagNames);
        }
      }
      if (carry) throw new Error("COPY ended in the middle of a row.");
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  });

  function toCsvBatch(rows: string[][], tagNames: TagNames): CsvBatch {
    const records: CsvField[][] = new Array(rows.length);
    let lastKeyId = 0;
    for (let i = 0; i < rows.length; i++) {
      const f = rows[i];
      lastKeyId = Number(f[0]);
      records[i] = [
        copyField(f[1]),
        TYPE_LABELS[f[2]] ?? f[2],
        STATUS_LABELS[f[3]] ?? f[3],
        tagNames.format(f[4]),
        copyField(f[5]),
        copyField(f[6]),
        copyField(f[7]),
        time(copyField(f[8])),
        time(copyField(f[9])),
        time(copyField(f[10])),
      ];
    }
    return { csv: formatCsvRecords(records), rows: rows.length, lastKeyId };
  }
}

export interface ExportSubject {
  shopId: number;
  scope: ExportScope;
  timeZone: string;
}

/** The whole CSV file (BOM, header, rows) as a byte stream: for "Download now". */
export function streamExportCsv({ shopId, scope, timeZone, expectedRows }: ExportSubject & { expectedRows: number }) {
  const zone = safeTimeZone(timeZone);
  const controller = new AbortController();
  const readable = Readable.from(
    (async function* () {
      yield Buffer.from(formatCsvHeader(exportColumns(zone)));
      for await (const batch of exportCsvBatches({
        shopId,
        scope,
        timeZone: zone,
        expectedRows,
        signal: controller.signal,
      })) {
        yield Buffer.from(batch.csv);
      }
    })(),
    { objectMode: false },
  );
  readable.once("close", () => controller.abort());
  return readable;
}

// ---------------------------------------------------------------------------------------------
// Background exports

type ExportPayload = {
  scope: ExportScope;
  timeZone: string;
  tagName: string | null;
  fileName: string;
  actor: string;
};

interface ExportCursor {
  /** Last chunk committed; -1 before the first. */
  seq: number;
  lastKeyId: number;
  rows: number;
  bytes: number;
}

function readPayload(job: ClaimedJob): ExportPayload {
  const p = job.payload as Partial<ExportPayload> | null;
  if (!p || typeof p !== "object" || !p.scope || typeof p.timeZone !== "string" || typeof p.fileName !== "string") {
    throw new PermanentJobError("The export's settings are unreadable; start a new export.");
  }
  return p as ExportPayload;
}

function readCursor(job: ClaimedJob): ExportCursor {
  const r = job.result as Partial<ExportCursor> | null;
  if (
    r &&
    typeof r.seq === "number" &&
    typeof r.lastKeyId === "number" &&
    typeof r.rows === "number" &&
    typeof r.bytes === "number"
  ) {
    return { seq: r.seq, lastKeyId: r.lastKeyId, rows: r.rows, bytes: r.bytes };
  }
  return { seq: -1, lastKeyId: 0, rows: 0, bytes: 0 };
}

function shopDate(timeZone: string) {
  return zonedFormatter(safeTimeZone(timeZone)).format(Date.now()).slice(0, 16).replace(/[-: ]/g, "");
}

/** The tag of this shop an export covers; null for a missing tag or another shop's. */
export async function findExportTag({ shopId, tagId }: { shopId: number; tagId: number }) {
  return prisma.tag.findFirst({ where: { id: tagId, shopId }, select: { id: true, name: true } });
}

/**
 * Starts a background export of the scope (or returns the one already running for the same
 * scope: a double click makes one file). Throws LibraryError 404 for a tag that is not the shop's.
 */
export async function startExport({ shop, scope, actor }: { shop: Shop; scope: ExportScope; actor: string }) {
  let tagName: string | null = null;
  if (scope.tagId !== null) {
    const tag = await findExportTag({ shopId: shop.id, tagId: scope.tagId });
    if (!tag) throw new LibraryError("This tag no longer exists.", 404);
    tagName = tag.name;
  }
  const scopeJson = JSON.stringify({ tagId: scope.tagId, q: scope.q, status: scope.status });
  const [running] = await prismaDb(prisma).rows(
    { id: col.int },
    sql`
    SELECT "id" FROM "job"
    WHERE "shop_id" = ${shop.id} AND "kind" = 'EXPORT' AND "state" IN ('QUEUED', 'RUNNING')
      AND "payload" -> 'scope' = ${scopeJson}::jsonb
    ORDER BY "id" DESC LIMIT 1`,
  );
  if (running) return { jobId: running.id, reused: true };

  const timeZone = safeTimeZone(shop.ianaTimezone);
  const total = await countExportRows({ shopId: shop.id, scope });
  const payload: ExportPayload = {
    scope,
    timeZone,
    tagName,
    fileName: csvFileName(["keyshelf", tagName ?? "all-licence-keys", scope.status ?? "", shopDate(timeZone)]),
    actor,
  };
  const job = await transaction(async (tx) => {
    const created = await enqueueJob({ shopId: shop.id, kind: "EXPORT", payload: { ...payload }, total, tx });
    await recordAudit({
      shopId: shop.id,
      actor,
      action: "keys.export",
      summary: `Exported ${formatCount(total)} licence ${total === 1 ? "key" : "keys"} to CSV (${describeExportScope(scope, tagName)})`,
      count: total,
      details: { jobId: created.id, tagId: scope.tagId, q: scope.q, status: scope.status },
      tx,
    });
    return created;
  });
  return { jobId: job.id, reused: false };
}

function exportEmail({
  shop,
  payload,
  info,
  linkUrl,
  linkExpiresAt,
}: {
  shop: { name: string; domain: string };
  payload: ExportPayload;
  info: ExportFileInfo;
  linkUrl: string | null;
  linkExpiresAt: Date;
}) {
  const what = `${formatCount(info.rows)} licence ${info.rows === 1 ? "key" : "keys"} (${describeExportScope(payload.scope, payload.tagName)})`;
  const until = zonedFormatter(payload.timeZone).format(linkExpiresAt).slice(0, 16);
  const lines = [
    "Hello,",
    "",
    `Your Keyshelf export for ${shop.name || shop.domain} is ready: ${what}.`,
    "",
    linkUrl
      ? `The file is too large to attach. Download it here (the link works until ${until}, ${payload.timeZone}):\n${linkUrl}`
      : `The CSV file is attached (${payload.fileName}).`,
    "",
    "It opens in Excel, Google Sheets and Numbers. Times are in your shop's time zone.",
    "",
    "Keyshelf",
  ];
  return { subject: `Your licence key export is ready: ${what}`, text: lines.join("\n") };
}

/** Tunables of the export job (tests use small chunks to make many of them). */
export interface ExportJobOptions {
  /** A chunk is committed once it holds this much CSV text. */
  chunkBytes?: number;
  batchRows?: number;
}

export const DEFAULT_CHUNK_BYTES = 1024 * 1024;

/**
 * Two reusable buffers the CSV is written into, chunk after chunk: one fills while the other is
 * being committed. No chunk-sized strings or buffers are allocated per chunk, so a million-row
 * export produces no large garbage for the heap to grow around.
 */
class ChunkBuffers {
  private buffers: [Buffer, Buffer];
  private current: 0 | 1 = 0;
  length = 0;

  private constructor(readonly chunkBytes: number) {
    const size = Math.max(chunkBytes + 64 * 1024, 64 * 1024);
    this.buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
  }

  // Export after export, the same buffers: each new pair lived outside the JS heap until a full
  // garbage collection, which a busy server runs rarely, so the process grew by 2 MB an export.
  private static idle: ChunkBuffers[] = [];

  static take(chunkBytes: number) {
    const index = ChunkBuffers.idle.findIndex((buffers) => buffers.chunkBytes === chunkBytes);
    return index === -1 ? new ChunkBuffers(chunkBytes) : ChunkBuffers.idle.splice(index, 1)[0];
  }

  /** Back for the next export (a few are kept: one per export that ran at the same time). */
  release() {
    this.current = 0;
    this.length = 0;
    if (ChunkBuffers.idle.length < 2) ChunkBuffers.idle.push(this);
  }

  write(text: string) {
    const bytes = Buffer.byteLength(text, "utf8");
    let buffer = this.buffers[this.current];
    if (this.length + bytes > buffer.length) {
      // A batch larger than the slack (very long rows): grow this buffer once.
      const grown = Buffer.allocUnsafe(Math.max(buffer.length * 2, this.length + bytes));
      buffer.copy(grown, 0, 0, this.length);
      buffer = this.buffers[this.current] = grown;
    }
    this.length += buffer.write(text, this.length, "utf8");
  }

  /** The filled chunk; valid until the next-but-one take (the caller commits it before then). */
  take() {
    const filled = this.buffers[this.current].subarray(0, this.length);
    this.current = this.current === 0 ? 1 : 0;
    this.length = 0;
    return filled;
  }
}

export function exportJobHandler({ chunkBytes = DEFAULT_CHUNK_BYTES, batchRows }: ExportJobOptions = {}): JobHandler {
  return async (job, context) => {
    const payload = readPayload(job);
    const cursor = readCursor(job);
    // Chunks past the resume point can only come from a worker that lost its lease mid-commit;
    // the fence makes that impossible, and this makes sure.
    await prisma.exportFile.deleteMany({ where: { jobId: job.id, seq: { gt: cursor.seq } } });

    const chunk = ChunkBuffers.take(chunkBytes);
    if (cursor.seq < 0) chunk.write(formatCsvHeader(exportColumns(payload.timeZone)));
    let pendingRows = 0;
    let pendingLastKeyId = cursor.lastKeyId;

    // One commit in flight while the next chunk is read and formatted: the database writes chunk n
    // while it streams the rows of chunk n + 1. Commits stay in order (each waits for the last), so
    // the resume point only ever moves forward over committed chunks.
    let inFlight: Promise<void> = Promise.resolve();
    const flush = async () => {
      await inFlight;
      const data = chunk.take();
      const next: ExportCursor = {
        seq: cursor.seq + 1,
        lastKeyId: pendingLastKeyId,
        rows: cursor.rows + pendingRows,
        bytes: cursor.bytes + data.length,
      };
      Object.assign(cursor, next);
      pendingRows = 0;
      inFlight = context
        .commit({ progress: next.rows, result: { ...next } }, async (db) => {
          await db.run(sql`
            INSERT INTO "export_file" ("shop_id", "job_id", "seq", "data", "created_at")
            VALUES (${job.shopId}, ${job.id}, ${next.seq}, ${data}, ${NOW_UTC})`);
        })
        .then(() => undefined);
      // Surfaced by the next `await inFlight`; this only keeps Node from calling it unhandled meanwhile.
      inFlight.catch(() => undefined);
    };

    try {
      for await (const batch of exportCsvBatches({
        shopId: job.shopId,
        scope: payload.scope,
        timeZone: payload.timeZone,
        afterKeyId: cursor.lastKeyId,
        expectedRows: Math.max(0, job.total - cursor.rows),
        batchRows,
        signal: context.signal,
      })) {
        chunk.write(batch.csv);
        pendingRows += batch.rows;
        pendingLastKeyId = batch.lastKeyId;
        if (chunk.length >= chunkBytes) await flush();
      }
      if (chunk.length > 0) await flush();
      await inFlight;
    } finally {
      // A commit still in flight after an error reads its chunk: the buffers go back once it has ended.
      await inFlight.catch(() => undefined);
      chunk.release();
    }

    const info: ExportFileInfo = {
      fileName: payload.fileName,
      rows: cursor.rows,
      bytes: cursor.bytes,
      chunks: cursor.seq + 1,
    };
    await context.complete({ ...info }, async (tx) => {
      await prismaDb(tx).run(
        sql`UPDATE "job" SET "total" = ${info.rows}, "progress" = ${info.rows} WHERE "id" = ${job.id}`,
      );
      if (!isMailConfigured()) return;
      const shop = await tx.shop.findUniqueOrThrow({
        where: { id: job.shopId },
        select: { name: true, domain: true, email: true, reportEmail: true },
      });
      const linkExpiresAt = new Date(Date.now() + EXPORT_RETENTION_MS);
      const linkUrl =
        info.bytes > ATTACHMENT_LIMIT_BYTES
          ? exportDownloadUrl(signExportToken({ shopId: job.shopId, jobId: job.id, expiresAt: linkExpiresAt }))
          : null;
      const message = exportEmail({ shop, payload, info, linkUrl, linkExpiresAt });
      await queueMail({
        shopId: job.shopId,
        kind: "EXPORT",
        to: reportAddress(shop),
        subject: message.subject,
        text: message.text,
        jobId: job.id,
        tx,
      });
    });
  };
}

// ---------------------------------------------------------------------------------------------
// What the admin shows: ExportView (app/lib/export.ts)

const exportSelect = {
  id: true,
  state: true,
  progress: true,
  total: true,
  error: true,
  payload: true,
  result: true,
  createdAt: true,
  finishedAt: true,
} satisfies Prisma.JobSelect;

type ExportRow = Prisma.JobGetPayload<{ select: typeof exportSelect }>;

async function toViews(shopId: number, rows: ExportRow[]): Promise<ExportView[]> {
  const mail = await prisma.mailMessage.findMany({
    where: { shopId, jobId: { in: rows.map((row) => row.id) } },
    orderBy: { id: "desc" },
    select: { jobId: true, state: true, to: true, lastError: true, sentAt: true },
  });
  return Promise.all(
    rows.map(async (row) => {
      const payload = row.payload as unknown as ExportPayload;
      const info = row.state === "SUCCEEDED" ? parseExportFileInfo(row.result) : null;
      const link = info && !info.purged ? await exportLink({ shopId, jobId: row.id, ttlMs: ADMIN_LINK_TTL_MS }) : null;
      const message = mail.find((m) => m.jobId === row.id);
      return {
        id: row.id,
        state: row.state,
        progress: row.progress,
        total: row.total,
        error: row.error,
        createdAt: row.createdAt.toISOString(),
        finishedAt: row.finishedAt?.toISOString() ?? null,
        scope: payload.scope,
        description: describeExportScope(payload.scope, payload.tagName),
        fileName: payload.fileName,
        rows: info?.rows ?? null,
        bytes: info?.bytes ?? null,
        downloadUrl: link?.path ?? null,
        expired: row.state === "SUCCEEDED" && !link,
        mail: message
          ? {
              state: message.state,
              to: message.to,
              lastError: message.lastError,
              sentAt: message.sentAt?.toISOString() ?? null,
            }
          : null,
      };
    }),
  );
}

/** One export of this shop; null for another shop's id (the route answers 404). */
export async function getExport({ shopId, jobId }: { shopId: number; jobId: number }) {
  const row = await prisma.job.findFirst({ where: { id: jobId, shopId, kind: "EXPORT" }, select: exportSelect });
  if (!row) return null;
  const [view] = await toViews(shopId, [row]);
  return view;
}

export async function listExports({ shopId, limit = 20 }: { shopId: number; limit?: number }) {
  const rows = await prisma.job.findMany({
    where: { shopId, kind: "EXPORT" },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit,
    select: exportSelect,
  });
  return toViews(shopId, rows);
}
