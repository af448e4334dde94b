// Shared by the order status and thank-you extensions (and the demo's customer view): talking to
// Keyshelf's endpoints and turning their answers into what the customer sees. Nothing here reads
// the `shopify` global, so it runs the same in both surfaces, the demo and tests.
import { useCallback, useEffect, useState } from "preact/hooks";

export type KeysState = "ready" | "preparing" | "waiting" | "none" | "sign-in";

export interface LicenceKey {
  value: string;
  productTitle: string;
  status: string;
}

/** A guest order's delivery email, as the app tells a visitor who is not signed in. */
export interface GuestDelivery {
  /** Masked by the app ("a***@example.com"): the visitor has not proved who they are. */
  email: string;
  /** The merchant lets the visitor have the keys emailed again (the app rate-limits it). */
  canResend: boolean;
}

export interface KeysAnswer {
  state: KeysState;
  keys: LicenceKey[];
  /** Only with "sign-in", for a guest order whose keys were emailed. */
  guest?: GuestDelivery;
}

/** What the block shows. `hidden` renders nothing at all. */
export type KeysView =
  | { phase: "hidden" }
  | { phase: "preparing"; gaveUp: boolean }
  | { phase: "ready"; keys: LicenceKey[] }
  | { phase: "waiting"; keys: LicenceKey[] }
  | { phase: "sign-in" }
  | { phase: "guest"; guest: GuestDelivery }
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

const STATES: readonly string[] = ["ready", "preparing", "waiting", "none", "sign-in"];

/** Defensive reading of the endpoint's JSON: anything unexpected counts as a failed request. */
export function parseKeysAnswer(body: unknown): KeysAnswer | null {
  if (!body || typeof body !== "object") return null;
  const { state, keys, guest } = body as { state?: unknown; keys?: unknown; guest?: unknown };
  if (typeof state !== "string" || !STATES.includes(state) || !Array.isArray(keys)) return null;
  // A visitor who is not signed in is never shown a key, whatever the answer carries.
  if (state === "sign-in") {
    const delivery = parseGuestDelivery(guest);
    return delivery ? { state, keys: [], guest: delivery } : { state, keys: [] };
  }
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

/** A malformed guest object is dropped: the visitor is then asked to sign in, which is never wrong. */
function parseGuestDelivery(guest: unknown): GuestDelivery | null {
  if (!guest || typeof guest !== "object") return null;
  const { email, canResend } = guest as { email?: unknown; canResend?: unknown };
  if (typeof email !== "string" || email === "") return null;
  return { email, canResend: canResend === true };
}

export type FetchLike = (
  input: string,
  init: { method?: string; headers: Record<string, string>; body?: string },
) => Promise<{
  ok: boolean;
  status: number;
  /** Optional so that a scripted fetch in tests need not give one. */
  headers?: { get(name: string): string | null };
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

/** What asking for the keys to be emailed again came to. */
export type ResendOutcome =
  | { outcome: "sent"; email: string | null }
  | { outcome: "later"; retryAfterSeconds: number | null }
  | { outcome: "unavailable" }
  | { outcome: "failed" };

/**
 * Asks the app to email a guest order's keys again. Never throws: every failure is an outcome the
 * block shows (a 404 means the order is not one the app resends, or the merchant turned it off).
 */
export async function requestResend({
  url,
  getToken,
  fetchImpl = fetch as unknown as FetchLike,
}: {
  url: string;
  getToken: () => Promise<string>;
  fetchImpl?: FetchLike;
}): Promise<ResendOutcome> {
  try {
    const token = await getToken();
    const response = await fetchImpl(url, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json", "Content-Type": "application/json" },
      body: "{}",
    });
    if (response.status === 429) {
      return { outcome: "later", retryAfterSeconds: retryAfterSeconds(await readJson(response), response.headers) };
    }
    if (response.status === 404) return { outcome: "unavailable" };
    if (!response.ok) return { outcome: "failed" };
    const body = await readJson(response);
    const email = body && typeof body === "object" ? (body as { email?: unknown }).email : undefined;
    return { outcome: "sent", email: typeof email === "string" && email !== "" ? email : null };
  } catch {
    return { outcome: "failed" };
  }
}

async function readJson(response: { json(): Promise<unknown> }): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

// The body's figure first: a browser hides Retry-After from a cross-origin caller unless the app
// exposes it (Access-Control-Expose-Headers), and the extension is always cross-origin.
function retryAfterSeconds(body: unknown, headers: { get(name: string): string | null } | undefined) {
  const fromBody =
    body && typeof body === "object" ? (body as { retryAfterSeconds?: unknown }).retryAfterSeconds : undefined;
  if (typeof fromBody === "number" && Number.isFinite(fromBody) && fromBody >= 0) return Math.ceil(fromBody);
  const header = headers?.get("Retry-After");
  return header && /^\d{1,9}$/.test(header.trim()) ? Number(header.trim()) : null;
}

/** The view for a signed-in customer's answer that needs no more polling. */
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
    case "sign-in":
      // The page is signed in but the token names no customer (the app lacks protected customer
      // data access): asking to sign in again would loop, so this is an error. A guest order's
      // keys can still be emailed.
      return answer.guest ? { phase: "guest", guest: answer.guest } : { phase: "error" };
  }
}

/**
 * The view for a visitor who is not signed in (pre-authenticated, from the order confirmation
 * email): never keys and never "being prepared", whatever the answer, since signing in is what
 * shows them.
 */
export function visitorView(answer: KeysAnswer): KeysView {
  if (answer.state === "none") return { phase: "hidden" };
  if (answer.state === "sign-in" && answer.guest) return { phase: "guest", guest: answer.guest };
  return { phase: "sign-in" };
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
  /**
   * The order status page's visitor is not signed in (`shopify.authenticationState`): one request,
   * no polling, and the block asks them to sign in (or, for a guest order, names the email).
   */
  preAuthenticated?: boolean;
  backoff?: readonly number[];
  fetchImpl?: FetchLike;
}

/**
 * Fetches the order's keys; while the answer is "preparing" (or the request fails), asks again
 * after each pause in `backoff`, then settles on "taking longer" (or an error) with a retry.
 * A pre-authenticated visitor's answer settles at once.
 */
export function useLicenceKeys({
  url,
  getToken,
  stale = false,
  preAuthenticated = false,
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
      if (answer && preAuthenticated) {
        setView(visitorView(answer));
        return;
      }
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
    // would restart polling on every render. A visitor who signs in without the page reloading
    // (preAuthenticated turns false) asks again, with a token that now names them.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [url, stale, preAuthenticated, round]);

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
