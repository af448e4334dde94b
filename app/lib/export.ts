// What an export covers, as the admin sends it (the key list's URL parameters), how the export is
// described to the merchant, and what the /app/exports routes answer the Export button. Shared by the
// server and the ExportButton.
import { z } from "zod";
import { idField, searchSchema } from "./input";
import { KEY_STATUSES, KEY_STATUS_LABELS, formatCount, type KeyStatusValue } from "./library";

/** "Download now" streams the file in the request; larger lists go through a background export. */
export const DIRECT_DOWNLOAD_LIMIT = 50_000;

export type ExportScope = {
  /** null: the whole library. */
  tagId: number | null;
  q: string;
  status: KeyStatusValue | null;
};

export const exportScopeSchema = z.object({
  tagId: z.preprocess(
    (value) => (value === "" || value === null || value === undefined ? null : value),
    idField("Unknown tag.").nullable(),
  ),
  q: searchSchema.default(""),
  status: z.preprocess(
    (value) => (value === "" || value === undefined ? null : value),
    z.enum(KEY_STATUSES).nullable(),
  ),
});

/** Reads a scope from a form or a query string: tagId, q, status. */
export function parseExportScope(source: FormData | URLSearchParams) {
  return exportScopeSchema.safeParse({
    tagId: source.get("tagId"),
    q: source.get("q") ?? "",
    status: source.get("status"),
  });
}

export function exportScopeQuery(scope: ExportScope) {
  const params = new URLSearchParams();
  if (scope.tagId !== null) params.set("tagId", String(scope.tagId));
  if (scope.q) params.set("q", scope.q);
  if (scope.status) params.set("status", scope.status);
  return params.toString();
}

/** "all licence keys", "tag pro, matching "abc", Pending". */
export function describeExportScope(scope: ExportScope, tagName: string | null) {
  const parts = [scope.tagId === null ? "all licence keys" : `tag ${tagName ?? "(deleted)"}`];
  if (scope.q) parts.push(`matching "${scope.q}"`);
  if (scope.status) parts.push(KEY_STATUS_LABELS[scope.status]);
  return parts.join(", ");
}

export const EXPORT_STATE_LABELS = {
  QUEUED: "Waiting to start",
  RUNNING: "Exporting",
  SUCCEEDED: "Ready",
  FAILED: "Failed",
} as const;

export function exportProgressPercent(progress: number, total: number) {
  if (total <= 0) return progress > 0 ? 100 : 0;
  return Math.min(100, Math.round((progress / total) * 100));
}

export function formatBytes(bytes: number) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export { formatCount };

// ---------------------------------------------------------------------------------------------
// What the /app/exports routes answer (the routes declare their answers against these types)

/** One export as the admin shows it: the Exports page and the Export button's progress. */
export interface ExportView {
  id: number;
  state: "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED";
  progress: number;
  total: number;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  scope: ExportScope;
  description: string;
  fileName: string;
  rows: number | null;
  bytes: number | null;
  /** A fresh signed link (a path on this app) while the file exists. */
  downloadUrl: string | null;
  expired: boolean;
  mail: { state: string; to: string; lastError: string | null; sentAt: string | null } | null;
}

/** /app/exports/preview: what the Export dialog says before anything starts. */
export interface ExportPreview {
  count: number;
  directDownload: boolean;
  directDownloadLimit: number;
  mailConfigured: boolean;
  reportEmail: string;
}

/** /app/exports/preview for a scope that doesn't parse (422). */
export interface ExportScopeErrors {
  errors: Partial<Record<keyof ExportScope, string[]>>;
}

/** /app/exports/$id, polled while an export runs. */
export interface ExportPoll {
  export: ExportView;
}

/** The "start" intent of /app/exports: the export started (or the one already running), or why not. */
export type ExportStartAnswer = { jobId: number } | { error: string; errors?: ExportScopeErrors["errors"] };
