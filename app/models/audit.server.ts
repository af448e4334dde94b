// The merchant-readable activity log: who did what to how many keys, and when.
// Every destructive action calls recordAudit with its own transaction client, so the log entry
// exists exactly when the change does (a rolled-back delete leaves no entry behind).
import type { Prisma, PrismaClient } from "@prisma/client";
import prisma from "~/db.server";

/** Either the process client or the `tx` of an interactive transaction. */
export type PrismaLike = PrismaClient | Prisma.TransactionClient;

export interface AuditInput {
  shopId: number;
  /** The staff member ("Staff member 42"), or "Shopify" / "Keyshelf" for automatic work. */
  actor: string;
  /** A stable machine name, e.g. "keys.delete"; see AUDIT_ACTION_LABELS for the known ones. */
  action: string;
  /** One sentence the merchant reads, e.g. "Deleted 120 licence keys from tag pro". */
  summary: string;
  count?: number | null;
  details?: Prisma.InputJsonValue | null;
  /** Pass the transaction that makes the change; defaults to the process client. */
  tx?: PrismaLike;
}

export async function recordAudit({ shopId, actor, action, summary, count = null, details = null, tx }: AuditInput) {
  const db = tx ?? prisma;
  return db.auditEvent.create({
    data: {
      shopId,
      actor,
      action,
      summary,
      count,
      details: details ?? undefined,
    },
    select: { id: true, createdAt: true },
  });
}

export interface AuditEntry {
  id: number;
  actor: string;
  action: string;
  summary: string;
  count: number | null;
  details: Prisma.JsonValue | null;
  createdAt: Date;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Cursors for the previous/next page; null when there is none. */
  before: string | null;
  after: string | null;
}

// Keyset cursors "<createdAt ms>_<id>": stable while new entries keep arriving at the top.
function encodeCursor(entry: { createdAt: Date; id: number }) {
  return `${entry.createdAt.getTime()}_${entry.id}`;
}

function decodeCursor(cursor: string | null | undefined): { createdAt: Date; id: number } | null {
  if (!cursor) return null;
  const match = /^(\d{1,15})_(\d{1,10})$/.exec(cursor);
  if (!match) return null;
  return { createdAt: new Date(Number(match[1])), id: Number(match[2]) };
}

/**
 * Newest first. `after` pages towards older entries, `before` back towards newer ones.
 * Invalid cursors are treated as "first page" rather than an error: they come from URLs people edit.
 */
export async function listAudit({
  shopId,
  after,
  before,
  action,
  limit = 50,
}: {
  shopId: number;
  after?: string | null;
  before?: string | null;
  /** Only entries whose action starts with this prefix, e.g. "keys." */
  action?: string | null;
  limit?: number;
}): Promise<AuditPage> {
  const take = Math.min(Math.max(limit, 1), 200);
  const afterCursor = decodeCursor(after);
  const beforeCursor = afterCursor ? null : decodeCursor(before);
  const where: Prisma.AuditEventWhereInput = { shopId };
  if (action) where.action = { startsWith: action };
  if (afterCursor) {
    where.OR = [
      { createdAt: { lt: afterCursor.createdAt } },
      { createdAt: afterCursor.createdAt, id: { lt: afterCursor.id } },
    ];
  } else if (beforeCursor) {
    where.OR = [
      { createdAt: { gt: beforeCursor.createdAt } },
      { createdAt: beforeCursor.createdAt, id: { gt: beforeCursor.id } },
    ];
  }
  const ascending = Boolean(beforeCursor);
  const rows = await prisma.auditEvent.findMany({
    where,
    orderBy: ascending ? [{ createdAt: "asc" }, { id: "asc" }] : [{ createdAt: "desc" }, { id: "desc" }],
    take: take + 1,
    select: { id: true, actor: true, action: true, summary: true, count: true, details: true, createdAt: true },
  });
  const hasMore = rows.length > take;
  const page = rows.slice(0, take);
  if (ascending) page.reverse();
  const first = page[0];
  const last = page[page.length - 1];
  const hasNewer = ascending ? hasMore : Boolean(afterCursor);
  const hasOlder = ascending ? true : hasMore;
  return {
    entries: page,
    before: first && hasNewer ? encodeCursor(first) : null,
    after: last && hasOlder ? encodeCursor(last) : null,
  };
}

export { AUDIT_ACTION_LABELS } from "~/lib/library";
