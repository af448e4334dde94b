// What an export covers, as the admin sends it (the key list's URL parameters), and how the
// export is described to the merchant. Shared by the server and the ExportButton.
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
