// What a tag's page (app/routes/app.tags.$tagId.tsx, TagKeysPage) receives: its loader's data and the
// answers of its action, previews included. Types only: the route declares its json against them.
import type { KeyStatus, KeyType, TagKind } from "@prisma/client";
import type { KeyListParams } from "./library";

/** One licence key of a list, as the page shows it. */
export interface KeyListRow {
  id: number;
  value: string;
  type: KeyType;
  status: KeyStatus;
  createdAt: string;
  order: { name: string; shopifyId: string } | null;
  tags: { id: number; name: string }[];
}

export interface TagKeysLoaderData {
  tag: {
    id: number;
    name: string;
    kind: TagKind;
    pending: number;
    assigned: number;
    used: number;
    retired: number;
    lastAddedAt: string | null;
    lowStockThreshold: number | null;
  };
  /** Keys handed out per day and the forecast; null for generated keys, which never run out. */
  history: {
    days: Array<{ day: string; keys: number }>;
    perDay: number | null;
    windowDays: number;
    daysLeft: number | null;
  } | null;
  keys: KeyListRow[];
  /** Keys matching the search and filter; with `matchesCapped`, "at least this many". */
  matches: number;
  matchesCapped: boolean;
  /** Keyset cursors (key ids) for the neighbouring pages, null at either end. */
  previousCursor: number | null;
  nextCursor: number | null;
  params: KeyListParams;
  timeZone: string;
  /** The merchant's own tags other than this one: where keys can be moved or added. */
  tagOptions: Array<{ id: number; name: string }>;
}

export interface TagActionResult {
  intent: string;
  ok: boolean;
  message?: string;
  error?: string;
  field?: string;
  preview?: Record<string, unknown>;
  /** Where the page goes next (the tag is gone). */
  redirectTo?: string;
}
