// What the "Add licence keys" page (app/routes/app.import.tsx, KeyImportPage) receives: its loader's
// data, an upload's preview, and the answers of its action. Types only: the route declares its json
// against them, the page and its upload hook read them.

/** One line of an upload as the preview lists it. */
export interface PreviewRow {
  line: number;
  value: string;
  /** The same key appears on an earlier line of this upload. */
  repeated: boolean;
  /** The key is already in one of the destination tags. */
  existing: boolean;
}

/** An upload before (or after) it is imported. Times are Dates on the server, ISO strings in the page. */
export interface KeyImportPreview<Time = string> {
  batchId: number;
  state: "READY" | "COMMITTED";
  fileName: string;
  /** Destination as the merchant chose it; "No tag" when none. */
  tags: Array<{ name: string; exists: boolean }>;
  lines: number;
  blankLines: number;
  /** Valid keys read, duplicates included. */
  keys: number;
  /** Keys that repeat an earlier line of the upload. */
  duplicatesInUpload: number;
  /** Distinct keys of the upload that some destination tag already holds. */
  alreadyInTags: number;
  /** Distinct keys not in the destination yet: what "skip duplicates" imports. */
  newKeys: number;
  rows: PreviewRow[];
  createdAt: Time;
  committedAt: Time | null;
}

export interface KeyImportLoaderData {
  /** The merchant's own tags, by name. */
  tagNames: string[];
  /** Every tag's id by name (system tags too), for links after an import. */
  tagIds: Record<string, number>;
  /** The destination the form starts with (from a tag's page). */
  initialTags: string[];
  /** The upload at ?batch=<id>, or null for the form. */
  preview: KeyImportPreview | null;
  limits: { maxBytes: number; maxTags: number; maxKeyLength: number };
  untaggedName: string;
}

export interface ImportActionResult {
  intent: string;
  ok: boolean;
  batchId?: number;
  imported?: number;
  skipped?: number;
  tags?: Array<{ id: number; name: string }>;
  ordersFilled?: number;
  /** Messages by field: "file" (bad lines, size), "tags", "form". */
  errors?: Record<string, string[]>;
  /** More lines may be wrong than the ones listed. */
  truncated?: boolean;
}
