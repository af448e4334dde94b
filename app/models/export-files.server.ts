// Finished export files live in the database (`export_file`, in chunks of about a megabyte) so that
// any app instance can serve them, and stream out chunk by chunk so a 100 MB file never sits in
// memory. Downloads go through signed, expiring links: a plain <a href> from the embedded admin
// (which cannot carry a session token) and a link in an email both work, and nothing but the
// signature and its expiry grants access.
import { Readable } from "node:stream";
import type { Prisma } from "@prisma/client";
import prisma from "~/db.server";
import { config } from "~/config.server";
import { linkSignatureMatches, signLink } from "~/link-signature.server";
import { CSV_CONTENT_TYPE } from "~/lib/csv";
import { pgPool } from "~/pg.server";
import { binary, col, pgDb, prismaDb, sql } from "~/sql.server";
import { NOW_UTC } from "./jobs.server";

/** Exports are kept this long; links never outlive them. */
export const EXPORT_RETENTION_MS = 7 * 24 * 3_600_000;
/** A link shown in the admin is minted on each page load and lives this long. */
export const ADMIN_LINK_TTL_MS = 3_600_000;
/** Larger files are emailed as a link instead of an attachment (many mail servers refuse > 10-25 MB). */
export const ATTACHMENT_LIMIT_BYTES = 10 * 1024 * 1024;

/** What a finished export job's `result` holds. */
export interface ExportFileInfo {
  fileName: string;
  rows: number;
  bytes: number;
  chunks: number;
  purged?: boolean;
}

export class ExportUnavailableError extends Error {
  /** Mail delivery gives up at once on this: retrying cannot bring the file back. */
  readonly permanent = true;
  constructor(message: string) {
    super(message);
    this.name = "ExportUnavailableError";
  }
}

export function parseExportFileInfo(result: Prisma.JsonValue | null): ExportFileInfo | null {
  if (!result || typeof result !== "object" || Array.isArray(result)) return null;
  const r = result as Record<string, unknown>;
  if (typeof r.fileName !== "string" || typeof r.bytes !== "number" || typeof r.rows !== "number") return null;
  return {
    fileName: r.fileName,
    rows: r.rows,
    bytes: r.bytes,
    chunks: typeof r.chunks === "number" ? r.chunks : 0,
    purged: r.purged === true,
  };
}

async function findFinishedExport({ shopId, jobId }: { shopId: number; jobId: number }) {
  const job = await prisma.job.findFirst({
    where: { id: jobId, shopId, kind: "EXPORT", state: "SUCCEEDED" },
    select: { id: true, result: true, finishedAt: true },
  });
  const info = job ? parseExportFileInfo(job.result) : null;
  if (!job || !info || info.purged || !job.finishedAt) return null;
  const expiresAt = new Date(job.finishedAt.getTime() + EXPORT_RETENTION_MS);
  if (expiresAt.getTime() <= Date.now()) return null;
  return { jobId: job.id, info, expiresAt };
}

// node-postgres reads binary bytea as UTF-8 text (see binary()): each chunk holds whole CSV records.
const chunkRow = { seq: col.int, data: col.text };

/** The file's chunks in order, read two at a time (node-postgres, binary results: no hex to decode). */
export function readExportChunks(jobId: number): Readable {
  return Readable.from(
    (async function* () {
      let nextSeq = 0;
      for (;;) {
        // Binary results: bytea arrives as its text, not as hex to decode.
        const rows = await pgDb(pgPool("write")).rows(
          chunkRow,
          binary(sql`
            SELECT "seq", "data" FROM "export_file" WHERE "job_id" = ${jobId} AND "seq" >= ${nextSeq} ORDER BY "seq" LIMIT 2`),
        );
        for (const row of rows) {
          // A gap means a chunk went missing: never hand out a silently truncated file.
          if (row.seq !== nextSeq) throw new Error(`Export ${jobId} is missing chunk ${nextSeq}.`);
          nextSeq += 1;
          yield row.data;
        }
        if (rows.length < 2) return;
      }
    })(),
    { objectMode: false },
  );
}

export interface OpenedExport {
  fileName: string;
  bytes: number;
  rows: number;
  contentType: string;
  expiresAt: Date;
  stream(): Readable;
}

/** A finished, unexpired export of this shop, ready to stream; null otherwise. */
export async function openExport({ shopId, jobId }: { shopId: number; jobId: number }): Promise<OpenedExport | null> {
  const found = await findFinishedExport({ shopId, jobId });
  if (!found) return null;
  return {
    fileName: found.info.fileName,
    bytes: found.info.bytes,
    rows: found.info.rows,
    contentType: CSV_CONTENT_TYPE,
    expiresAt: found.expiresAt,
    stream: () => readExportChunks(found.jobId),
  };
}

/**
 * The attachment of an export email, or null when the file is too large to attach (the message
 * then carries a link). Throws ExportUnavailableError when the export is gone.
 */
export async function exportAttachment({ shopId, jobId }: { shopId: number; jobId: number }) {
  const opened = await openExport({ shopId, jobId });
  if (!opened) throw new ExportUnavailableError("The export is no longer available (exports are kept for 7 days).");
  return opened.bytes <= ATTACHMENT_LIMIT_BYTES ? opened : null;
}

// ---------------------------------------------------------------------------------------------
// Signed links: /exports/<jobId>.<expires, epoch seconds>.<HMAC-SHA256 over shop, job and expiry>

function signedMessage(shopId: number, jobId: number, expiresAt: number) {
  return `keyshelf-export:${shopId}:${jobId}:${expiresAt}`;
}

export function signExportToken({ shopId, jobId, expiresAt }: { shopId: number; jobId: number; expiresAt: Date }) {
  const exp = Math.floor(expiresAt.getTime() / 1000);
  return `${jobId}.${exp}.${signLink(signedMessage(shopId, jobId, exp))}`;
}

/** Where a link points on this app: relative in the admin (same origin), absolute in emails. */
export function exportDownloadPath(token: string) {
  return `/exports/${token}`;
}

export function exportDownloadUrl(token: string) {
  return new URL(exportDownloadPath(token), config.appUrl).toString();
}

/** A link to a finished export, valid for `ttlMs` but never beyond the export's retention. */
export async function exportLink({ shopId, jobId, ttlMs }: { shopId: number; jobId: number; ttlMs: number }) {
  const found = await findFinishedExport({ shopId, jobId });
  if (!found) return null;
  const expiresAt = new Date(Math.min(Date.now() + ttlMs, found.expiresAt.getTime()));
  const token = signExportToken({ shopId, jobId, expiresAt });
  return { path: exportDownloadPath(token), url: exportDownloadUrl(token), expiresAt };
}

export type TokenCheck = { ok: true; export: OpenedExport } | { ok: false; reason: "invalid" | "expired" | "gone" };

/** Checks a link's signature, then its expiry, then that the file still exists. */
export async function openExportByToken(token: string, now = Date.now()): Promise<TokenCheck> {
  const match = /^(\d{1,10})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return { ok: false, reason: "invalid" };
  const jobId = Number(match[1]);
  const exp = Number(match[2]);
  const job = await prisma.job.findUnique({ where: { id: jobId }, select: { shopId: true, kind: true } });
  // An unknown job is answered like a bad signature: a link reveals nothing about other ids.
  if (!job || job.kind !== "EXPORT") return { ok: false, reason: "invalid" };
  if (!linkSignatureMatches(signedMessage(job.shopId, jobId, exp), match[3])) return { ok: false, reason: "invalid" };
  if (exp * 1000 <= now) return { ok: false, reason: "expired" };
  const opened = await openExport({ shopId: job.shopId, jobId });
  return opened ? { ok: true, export: opened } : { ok: false, reason: "gone" };
}

// ---------------------------------------------------------------------------------------------
// Housekeeping

/** Deletes files of exports past retention and partial files of failed exports. */
export async function purgeExpiredExports() {
  const purged = await prismaDb(prisma).rows(
    { id: col.int },
    sql`
    UPDATE "job" SET "result" = COALESCE("result", '{}'::jsonb) || '{"purged": true}'::jsonb
    WHERE "kind" = 'EXPORT'
      AND (("state" = 'SUCCEEDED' AND "finished_at" < ${NOW_UTC} - make_interval(secs => ${EXPORT_RETENTION_MS / 1000})) OR "state" = 'FAILED')
      AND NOT COALESCE(("result" ->> 'purged')::boolean, false)
    RETURNING "id"`,
  );
  if (purged.length === 0) return 0;
  await prisma.exportFile.deleteMany({ where: { jobId: { in: purged.map((row) => row.id) } } });
  return purged.length;
}
