// The licence key library's rules shared by the server and the admin UI: what the overview and a
// tag's key list accept in their URLs and forms, and how they show numbers and dates.
import { z } from "zod";
import { idSchema, parseSearch, searchSchema } from "./input";
import { TAG_NAME_PATTERN, TAG_NAME_RULE } from "./tags";

/** A refusal the merchant can act on: routes answer it with `status` and show `message` (by `field`). */
export class LibraryError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409 | 422 = 422,
    readonly field?: string,
  ) {
    super(message);
    this.name = "LibraryError";
  }
}

export const tagNameSchema = z
  .string({ required_error: TAG_NAME_RULE })
  .trim()
  .min(1, "Enter a tag name. " + TAG_NAME_RULE)
  .regex(TAG_NAME_PATTERN, TAG_NAME_RULE);

// ---------------------------------------------------------------------------------------------
// Tags overview

export const TAG_SORTS = ["name asc", "name desc", "remaining asc", "remaining desc"] as const;
export type TagSort = (typeof TAG_SORTS)[number];
export const DEFAULT_TAG_SORT: TagSort = "name asc";
export const TAGS_PER_PAGE = 50;
/**
 * Sort and page values a hand-edited URL gets wrong fall back to defaults instead of failing the
 * page. A search the app will not run (too long, control characters) is never dropped silently:
 * `searchError` says why, and the page shows it and lists nothing.
 */
export const overviewParamsSchema = z.object({
  sort: z.enum(TAG_SORTS).catch(DEFAULT_TAG_SORT),
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1),
});
export type OverviewParams = z.infer<typeof overviewParamsSchema> & { q: string; searchError: string | null };

export function parseOverviewParams(searchParams: URLSearchParams): OverviewParams {
  const search = parseSearch(searchParams.get("q"));
  return {
    q: search.q,
    searchError: search.error,
    ...overviewParamsSchema.parse({
      sort: searchParams.get("sort") ?? DEFAULT_TAG_SORT,
      page: searchParams.get("page") ?? 1,
    }),
  };
}

/**
 * A tag is running low when its pending keys are below its threshold (the same rule as the low-stock
 * email, app/models/low-stock.server.ts), or when products hand out its keys and none are left.
 */
export function isRunningLow(tag: { pending: number; lowStockThreshold: number | null; linkedProducts: number }) {
  if (tag.lowStockThreshold !== null && tag.pending < tag.lowStockThreshold) return true;
  return tag.linkedProducts > 0 && tag.pending === 0;
}

/** Share of a tag's keys already handed out (assigned, used or retired), 0-100. */
export function usagePercent(tag: { total: number; pending: number }) {
  if (tag.total <= 0) return 0;
  return Math.round(((tag.total - tag.pending) / tag.total) * 100);
}

// ---------------------------------------------------------------------------------------------
// A tag's key list

export const KEY_STATUSES = ["PENDING", "ASSIGNED", "USED", "RETIRED"] as const;
export type KeyStatusValue = (typeof KEY_STATUSES)[number];
export const KEY_STATUS_LABELS: Record<KeyStatusValue, string> = {
  PENDING: "Pending",
  ASSIGNED: "Assigned",
  USED: "Used",
  RETIRED: "Retired",
};
export const KEY_TYPE_LABELS = { UPLOADED: "Uploaded", AUTO_GENERATED: "Auto-generated" } as const;
export const KEYS_PER_PAGE = 50;
/** Beyond this many matches the list says "10,000+": an exact count would read every match. */
export const MATCH_COUNT_CAP = 10_000;

const statusSchema = z.enum(KEY_STATUSES);

/** A bad status or cursor shows the first page unfiltered; a bad search is refused (see above). */
export const keyListParamsSchema = z.object({
  status: statusSchema.nullable().catch(null),
  after: idSchema.nullable().catch(null),
  before: idSchema.nullable().catch(null),
});
export type KeyListParams = z.infer<typeof keyListParamsSchema> & { q: string; searchError: string | null };

export function parseKeyListParams(searchParams: URLSearchParams): KeyListParams {
  const search = parseSearch(searchParams.get("q"));
  return {
    q: search.q,
    searchError: search.error,
    ...keyListParamsSchema.parse({
      status: searchParams.get("status") || null,
      after: searchParams.get("after") || null,
      before: searchParams.get("before") || null,
    }),
  };
}

/** What a bulk action applies to: the rows ticked, or every key matching the list's search and filter. */
export type KeySelection = { scope: "ids"; ids: number[] } | { scope: "all"; q: string; status: KeyStatusValue | null };

const MAX_SELECTED_IDS = 1_000;

export const keySelectionSchema = z.discriminatedUnion("scope", [
  z.object({
    scope: z.literal("ids"),
    ids: z
      .array(idSchema)
      .min(1, "Select at least one licence key.")
      .max(MAX_SELECTED_IDS, "Select fewer keys, or select all matching keys."),
  }),
  z.object({
    scope: z.literal("all"),
    q: searchSchema.default(""),
    status: statusSchema.nullable().default(null),
  }),
]);

/** Reads a selection from form fields: scope=all (+ q, status) or scope=ids + ids="1,2,3". */
export function parseKeySelection(form: FormData) {
  const scope = form.get("scope");
  if (scope === "all") {
    return keySelectionSchema.safeParse({
      scope,
      q: String(form.get("q") ?? ""),
      status: form.get("status") ? String(form.get("status")) : null,
    });
  }
  const ids = String(form.get("ids") ?? "")
    .split(",")
    .map((id) => id.trim())
    .filter(Boolean);
  return keySelectionSchema.safeParse({ scope: "ids", ids });
}

/** The Shopify admin opens an order from an embedded app through this URL scheme. */
export function orderAdminUrl(shopifyOrderId: string | number | bigint) {
  return `shopify://admin/orders/${shopifyOrderId}`;
}

// ---------------------------------------------------------------------------------------------
// Activity log

/** Merchant-facing names for the actions the app records; unknown actions show their own name. */
export const AUDIT_ACTION_LABELS: Record<string, string> = {
  "keys.delete": "Deleted licence keys",
  "keys.move": "Moved licence keys",
  "keys.tag": "Added tags to licence keys",
  "keys.import": "Added licence keys",
  "keys.export": "Exported licence keys",
  "tag.rename": "Renamed a tag",
  "tag.delete": "Deleted a tag",
  "tag.dedupe": "Cleaned up duplicates",
  "keys.view": "Customer saw licence keys",
  "orders.fill": "Gave keys to waiting orders",
  "orders.cancel": "Order cancelled",
  "orders.refund": "Order refunded",
  "order.key.replace": "Replaced a licence key",
  "order.key.return": "Returned a licence key to the pool",
  "order.key.revoke": "Revoked a licence key",
  "products.link": "Linked products",
  "products.unlink": "Removed a product link",
  "settings.update": "Changed settings",
  "settings.low_stock": "Changed low-stock thresholds",
  "privacy.data_request": "Customer data request",
  "privacy.redact_customer": "Customer data erased",
};

// ---------------------------------------------------------------------------------------------
// Formatting

const NUMBER = new Intl.NumberFormat("en-US");

export function formatCount(value: number) {
  return NUMBER.format(value);
}

export function pluralize(count: number, singular: string, plural = `${singular}s`) {
  return `${formatCount(count)} ${count === 1 ? singular : plural}`;
}

const DATE_TIME_OPTIONS: Intl.DateTimeFormatOptions = {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "numeric",
  minute: "2-digit",
};

// Building an Intl.DateTimeFormat costs far more than formatting with one (it loads locale and zone
// data): a key list formats a date per row on every render, so each zone's formatter is made once.
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

function dateTimeFormat(timeZone: string): Intl.DateTimeFormat {
  let format = dateTimeFormats.get(timeZone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat("en-US", { ...DATE_TIME_OPTIONS, timeZone });
    } catch {
      format = dateTimeFormat("UTC");
    }
    dateTimeFormats.set(timeZone, format);
  }
  return format;
}

/**
 * A date in the shop's time zone, the same on the server and in the browser (fixed locale, explicit
 * zone), so server-rendered and hydrated text agree. Unknown zones fall back to UTC.
 */
export function formatDateTime(value: string | Date | null | undefined, timeZone: string) {
  if (!value) return "";
  return dateTimeFormat(timeZone).format(typeof value === "string" ? new Date(value) : value);
}
