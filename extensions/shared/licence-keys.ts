// Shared by the order status and thank-you extensions (and the demo's customer view): talking to
// Keyshelf's endpoints and turning their answers into what the customer sees. Nothing here reads
// the `shopify` global, so it runs the same in both surfaces, the demo and tests.
import { useCallback, useEffect, useState } from "preact/hooks";

export type KeysState = "ready" | "preparing" | "waiting" | "none";

export interface LicenceKey {
  value: string;
  productTitle: string;
  status: string;
}

export interface KeysAnswer {
  state: KeysState;
  keys: LicenceKey[];
}

/** What the block shows. `hidden` renders nothing at all. */
export type KeysView =
  | { phase: "hidden" }
  | { phase: "preparing"; gaveUp: boolean }
  | { phase: "ready"; keys: LicenceKey[] }
  | { phase: "waiting"; keys: LicenceKey[] }
  | { phase: "error" };

/**
 * Pauses between polls while keys are being prepared: about a minute in all (the orders/create
 * webhook usually lands within seconds of checkout, Shopify's first retry a few seconds later).
 */
export const PREPARING_BACKOFF_MS: readonly number[] = [1_500, 2_500, 4_000, 6_000, 9_000, 12_000, 12_000, 13_000];

/**
 * An order the app still has not seen this long after it was placed is not one it hands keys
 * out for (the app records every order within seconds): show nothing rather than "being prepared".
 */
export const STALE_ORDER_MS = 60 * 60 * 1000;

export class KeysRequestError extends Error {
  constructor(readonly status: number) {
    super(`Keyshelf answered ${status}`);
  }
}

const STATES: readonly string[] = ["ready", "preparing", "waiting", "none"];

/** Defensive reading of the endpoint's JSON: anything unexpected counts as a failed request. */
export function parseKeysAnswer(body: unknown): KeysAnswer | null {
  if (!body || typeof body !== "object") return null;
  const { state, keys } = body as { state?: unknown; keys?: unknown };
  if (typeof state !== "string" || !STATES.includes(state) || !Array.isArray(keys)) return null;
  const parsed: LicenceKey[] = [];
  for (const key of keys) {
    if (!key || typeof key !== "object") return null;
    const { value, productTitle, status } = key as Record<string, unknown>;
    if (typeof value !== "string") return null;
    parsed.push({
      value,
      productTitle: typeof productTitle === "string" ? productTitle : "",
      status: typeof status === "string" ? status : "",
    });
  }
  return { state: state as KeysState, keys: parsed };
}

export type FetchLike = (
  input: string,
  init: { headers: Record<string, string> },
) => Promise<{
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}>;

export async function requestLicenceKeys({
  url,
  getToken,
  fetchImpl = fetch as unknown as FetchLike,
}: {
  url: string;
  getToken: () => Promise<string>;
  fetchImpl?: FetchLike;
}): Promise<KeysAnswer> {
  // Asked for every request: Shopify hands back a cached token until it nears expiry.
  const token = await getToken();
  const response = await fetchImpl(url, { headers: { Authorization: `Bearer ${token}`, Accept: "application/json" } });
  if (!response.ok) throw new KeysRequestError(response.status);
  const answer = parseKeysAnswer(await response.json());
  if (!answer) throw new KeysRequestError(response.status);
  return answer;
}

/** The view for an answer that needs no more polling. */
export function settledView(answer: KeysAnswer): KeysView {
  switch (answer.state) {
    case "ready":
      return answer.keys.length > 0 ? { phase: "ready", keys: answer.keys } : { phase: "hidden" };
    case "waiting":
      return { phase: "waiting", keys: answer.keys };
    case "none":
      return { phase: "hidden" };
    case "preparing":
      return { phase: "preparing", gaveUp: true };
  }
}

/** "gid://shopify/Order/123" or "123" -> "123"; anything else -> null. */
export function numericOrderId(id: string | null | undefined): string | null {
  if (!id) return null;
  const match = /^(?:gid:\/\/shopify\/Order\/)?(\d{1,19})$/.exec(id);
  return match ? match[1] : null;
}

export function isStale(placedAt: string | null | undefined, now = Date.now()): boolean {
  if (!placedAt) return false;
  const time = Date.parse(placedAt);
  return Number.isFinite(time) && now - time > STALE_ORDER_MS;
}

export interface UseLicenceKeysOptions {
  /** The endpoint for this order; null renders nothing (no order, or no app URL configured). */
  url: string | null;
  getToken: () => Promise<string>;
  /** True for an old order: "preparing" then means "not an order with keys" and shows nothing. */
  stale?: boolean;
  backoff?: readonly number[];
  fetchImpl?: FetchLike;
}

/**
 * Fetches the order's keys; while the answer is "preparing" (or the request fails), asks again
 * after each pause in `backoff`, then settles on "taking longer" (or an error) with a retry.
 */
export function useLicenceKeys({
  url,
  getToken,
  stale = false,
  backoff = PREPARING_BACKOFF_MS,
  fetchImpl,
}: UseLicenceKeysOptions) {
  // Nothing shows until the first answer: most orders answer "none" and must not flash a block.
  const [view, setView] = useState<KeysView>({ phase: "hidden" });
  const [round, setRound] = useState(0);

  useEffect(() => {
    if (!url) {
      setView({ phase: "hidden" });
      return;
    }
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let seenPreparing = false;

    const poll = async () => {
      let answer: KeysAnswer | null = null;
      try {
        answer = await requestLicenceKeys({ url, getToken, fetchImpl });
      } catch {
        answer = null;
      }
      if (cancelled) return;
      if (answer && answer.state !== "preparing") {
        setView(settledView(answer));
        return;
      }
      if (answer && stale) {
        setView({ phase: "hidden" });
        return;
      }
      if (answer) seenPreparing = true;
      const pause = backoff[attempt++];
      if (pause === undefined) {
        setView(seenPreparing ? { phase: "preparing", gaveUp: true } : { phase: "error" });
        return;
      }
      if (seenPreparing) setView({ phase: "preparing", gaveUp: false });
      timer = setTimeout(() => void poll(), pause);
    };
    void poll();
    return () => {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
    };
    // getToken and fetchImpl are stable callbacks from the host; re-running on their identity
    // would restart polling on every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [url, stale, round]);

  const retry = useCallback(() => setRound((value) => value + 1), []);
  return { view, retry };
}

/** The app's URL, baked in at build time by Shopify CLI (`APP_URL`: the tunnel in dev, .env on deploy). */
export function configuredAppUrl(read: () => string | undefined): string | null {
  try {
    const value = read();
    return typeof value === "string" ? value.replace(/\/+$/, "") : null;
  } catch {
    // `process` does not exist in the extension sandbox: the variable was not set at build time.
    return null;
  }
}
