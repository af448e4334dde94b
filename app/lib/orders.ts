// The orders screens: list views and search, what a merchant can do to one key, how keys show.
// Pure and isomorphic.
import { z } from "zod";
import { parseSearch, text } from "./input";

export const ORDER_VIEWS = ["all", "waiting", "awaiting-payment"] as const;
export type OrderView = (typeof ORDER_VIEWS)[number];

/** A bad view or cursor shows the first page of all orders; a bad search is refused (app/lib/input.ts). */
export const orderListParamsSchema = z.object({
  view: z.enum(ORDER_VIEWS).catch("all"),
  after: text({ max: 64 }).nullable().catch(null),
});

export type OrderListParams = z.infer<typeof orderListParamsSchema> & { q: string; searchError: string | null };

export function parseOrderListParams(searchParams: URLSearchParams): OrderListParams {
  const search = parseSearch(searchParams.get("q"));
  return {
    q: search.q,
    searchError: search.error,
    ...orderListParamsSchema.parse({ view: searchParams.get("view") ?? "all", after: searchParams.get("after") }),
  };
}

/** "1001", "#1001" and " #1001 " all find order #1001; anything with @ searches emails. */
export function orderSearch(
  q: string,
): { kind: "none" } | { kind: "email"; prefix: string } | { kind: "name"; names: string[] } {
  const term = q.trim();
  if (!term) return { kind: "none" };
  if (term.includes("@")) return { kind: "email", prefix: term.toLowerCase() };
  const bare = term.replace(/^#/, "");
  return { kind: "name", names: [...new Set([term, `#${bare}`, bare])] };
}

export const KEY_ACTIONS = ["replace", "return", "revoke"] as const;
export type KeyAction = (typeof KEY_ACTIONS)[number];

export const RETIRE_REASON_LABELS = { REPLACED: "Replaced", REVOKED: "Revoked" } as const;

export function maskKey(value: string) {
  return value.length <= 8 ? value : `${value.slice(0, 4)}…${value.slice(-4)}`;
}

/**
 * One delivery email of an order as the order page shows it: dates as Date on the server, as ISO
 * strings once the loader has sent them.
 */
export interface DeliveryRecord<Time = string> {
  id: number;
  reason: "NEW" | "RESEND";
  requestedBy: string;
  mode: "KEYS" | "LINK";
  createdAt: Time;
  keys: number;
  mail: {
    id: number;
    state: "QUEUED" | "SENT" | "FAILED";
    to: string;
    attempts: number;
    lastError: string | null;
    nextAttemptAt: Time;
    sentAt: Time | null;
  } | null;
}
