/** @jsxImportSource preact */
// @vitest-environment happy-dom
// The licence key block both extensions render, in each state a customer can meet, rendered with
// Preact into a DOM with the Polaris stand-ins the demo uses; the endpoint is a scripted fetch.
import { readFileSync } from "node:fs";
import path from "node:path";
import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { installPolarisStandIns } from "~/demo/customer-view/polaris-stand-ins";
import { LicenceKeys } from "../../extensions/shared/LicenceKeys";
import { parseKeysAnswer, type FetchLike, type KeysAnswer } from "../../extensions/shared/licence-keys";
import { createTranslate, type Messages } from "../../extensions/shared/translate";

const root = path.resolve(__dirname, "../..");
const EXTENSIONS = ["keyshelf-order-status", "keyshelf-thank-you"];
const readLocale = (extension: string, file: string) =>
  JSON.parse(readFileSync(path.join(root, "extensions", extension, "locales", file), "utf8")) as Messages;
const english = createTranslate(readLocale("keyshelf-order-status", "en.default.json"), "en");
const german = createTranslate(readLocale("keyshelf-order-status", "de.json"), "de");

const URL_ = "https://keyshelf.test/api/customer-account/orders/1001/licence-keys";
const RESEND_URL = `${URL_}/resend`;
const BACKOFF = [1_000, 2_000, 3_000];

/** How the scripted app answers a resend: status, JSON body and headers (or a network failure). */
type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | "network-error";

/**
 * A fetch that answers the keys endpoint from a script, one answer per call (the last one repeats),
 * and the resend endpoint from the replies given to `replyToResend`, in order.
 */
function scriptedFetch(...answers: Array<KeysAnswer | number>) {
  const calls: Array<{ url: string; authorization: string | undefined }> = [];
  const resends: Array<{ method: string | undefined; headers: Record<string, string>; body: string | undefined }> = [];
  const replies: Reply[] = [];
  let keysCalls = 0;
  const fetchImpl: FetchLike = async (url, init) => {
    calls.push({ url, authorization: init.headers.Authorization });
    if (url === RESEND_URL) {
      resends.push({ method: init.method, headers: init.headers, body: init.body });
      const reply = replies.shift();
      if (!reply) throw new Error("The test gave no reply for this resend");
      if (reply === "network-error") throw new TypeError("Failed to fetch");
      return {
        ok: reply.status >= 200 && reply.status < 300,
        status: reply.status,
        headers: new Headers(reply.headers),
        json: async () => {
          if (reply.body === undefined) throw new SyntaxError("Unexpected end of JSON input");
          return reply.body;
        },
      };
    }
    const answer = answers[Math.min(keysCalls++, answers.length - 1)];
    if (typeof answer === "number") return { ok: false, status: answer, json: async () => ({}) };
    return { ok: true, status: 200, json: async () => JSON.parse(JSON.stringify(answer)) };
  };
  return { fetchImpl, calls, resends, replyToResend: (...next: Reply[]) => replies.push(...next) };
}

let container: HTMLElement;

interface MountOptions {
  t?: typeof english;
  stale?: boolean;
  url?: string | null;
  preAuthenticated?: boolean;
  onSignIn?: () => Promise<void>;
  resendUrl?: string | null;
  token?: string;
}

/** Renders the block into the container (again: a re-render with new props, as a host would). */
async function mount(
  fetchImpl: FetchLike,
  {
    t = english,
    stale = false,
    url = URL_,
    preAuthenticated,
    onSignIn,
    resendUrl = null,
    token = "customer-token",
  }: MountOptions = {},
) {
  await act(async () => {
    render(
      <LicenceKeys
        url={url}
        resendUrl={resendUrl}
        getToken={async () => token}
        t={t}
        stale={stale}
        preAuthenticated={preAuthenticated}
        onSignIn={onSignIn}
        backoff={BACKOFF}
        fetchImpl={fetchImpl}
      />,
      container,
    );
  });
  await settle();
}

/** Lets pending promises (fetch, json, state updates) run to completion. */
async function settle() {
  for (let i = 0; i < 5; i++) await act(async () => {});
}

async function advance(ms: number) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
  await settle();
}

/** Visible text, including what the stand-ins render in their shadow roots (headings). */
function visibleText(node: Node = container, host?: Element): string {
  if (node instanceof HTMLStyleElement) return "";
  if (node instanceof HTMLSlotElement) {
    return host ? [...host.childNodes].map((child) => visibleText(child)).join("") : "";
  }
  if (node.nodeType === Node.TEXT_NODE) return ` ${node.textContent ?? ""} `;
  if (node instanceof Element && node.shadowRoot) {
    return [...node.shadowRoot.childNodes].map((child) => visibleText(child, node)).join("");
  }
  return [...node.childNodes].map((child) => visibleText(child, host)).join("");
}

const text = () => visibleText().replace(/\s+/g, " ").trim();
const buttons = () => [...container.querySelectorAll("s-button")];
const button = (label: string) => buttons().find((candidate) => candidate.textContent === label);

async function click(element: { click(): void } | null | undefined) {
  expect(element, "the button is on screen").toBeTruthy();
  await act(async () => {
    element!.click();
  });
  await settle();
}

/** Whether a spinner was in the block at any moment since the call (not only at the end). */
function watchForSpinner() {
  let seen = container.querySelector("s-spinner") !== null;
  const observer = new MutationObserver(() => {
    if (container.querySelector("s-spinner")) seen = true;
  });
  observer.observe(container, { childList: true, subtree: true });
  return () => {
    observer.disconnect();
    return seen || container.querySelector("s-spinner") !== null;
  };
}

beforeAll(() => {
  installPolarisStandIns();
});

beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: false });
  container = document.createElement("div");
  document.body.append(container);
});

afterEach(() => {
  render(null, container);
  container.remove();
  vi.useRealTimers();
});

const READY: KeysAnswer = {
  state: "ready",
  keys: [
    { value: "PFP-AAAA-1111", productTitle: "PhotoForge Pro - 5 seats", status: "USED" },
    { value: "CVI-BBBB-3333", productTitle: "CodeVault IDE", status: "USED" },
  ],
};
const PREPARING: KeysAnswer = { state: "preparing", keys: [] };

describe("licence key block", () => {
  it("shows each key with its product and a copy button bound to that key", async () => {
    const { fetchImpl, calls } = scriptedFetch(READY);
    await mount(fetchImpl);
    expect(calls).toEqual([{ url: URL_, authorization: "Bearer customer-token" }]);
    expect(text()).toContain("Your licence keys");
    expect(text()).toContain("PhotoForge Pro - 5 seats PFP-AAAA-1111 Copy");
    expect(text()).toContain("CodeVault IDE CVI-BBBB-3333 Copy");
    const [first, second] = buttons();
    expect(first.getAttribute("accessibilitylabel")).toBe("Copy the licence key for PhotoForge Pro - 5 seats");
    const target = container.querySelector(`#${first.getAttribute("commandfor")}`) as HTMLElement & { text: string };
    expect(target.tagName.toLowerCase()).toBe("s-clipboard-item");
    expect(target.text).toBe("PFP-AAAA-1111");
    expect((container.querySelector(`#${second.getAttribute("commandfor")}`) as unknown as { text: string }).text).toBe(
      "CVI-BBBB-3333",
    );
  });

  it("copies the key to the clipboard and says so on the button", async () => {
    const { fetchImpl } = scriptedFetch(READY);
    await mount(fetchImpl);
    await act(async () => {
      buttons()[1].click();
    });
    await settle();
    expect(await navigator.clipboard.readText()).toBe("CVI-BBBB-3333");
    expect(buttons().map((button) => button.textContent)).toEqual(["Copy", "Copied"]);
  });

  it("uses the singular heading for one key", async () => {
    const { fetchImpl } = scriptedFetch({ state: "ready", keys: [READY.keys[0]] });
    await mount(fetchImpl);
    expect(text()).toMatch(/^Your licence key PhotoForge/);
  });

  it("renders a key that contains markup as inert text", async () => {
    const hostile = `<img src=x onerror="window.__pwned=1"><b>KEY</b>`;
    const { fetchImpl } = scriptedFetch({
      state: "ready",
      keys: [{ value: hostile, productTitle: "<script>alert(1)</script>", status: "USED" }],
    });
    await mount(fetchImpl);
    expect(container.querySelector("img, b, script")).toBeNull();
    expect(text()).toContain(hostile);
    expect(text()).toContain("<script>alert(1)</script>");
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("shows 'being prepared' and polls with growing pauses until the keys arrive", async () => {
    const { fetchImpl, calls } = scriptedFetch(PREPARING, PREPARING, READY);
    await mount(fetchImpl);
    expect(text()).toContain("Your licence keys are being prepared");
    expect(container.querySelector("s-spinner")).not.toBeNull();
    expect(calls).toHaveLength(1);

    await advance(999);
    expect(calls).toHaveLength(1);
    await advance(1);
    expect(calls).toHaveLength(2);
    expect(text()).toContain("being prepared");

    await advance(1_999);
    expect(calls).toHaveLength(2);
    await advance(1);
    expect(calls).toHaveLength(3);
    expect(text()).not.toContain("being prepared");
    expect(text()).toContain("PFP-AAAA-1111");
  });

  it("stops polling after the backoff and offers to check again", async () => {
    const { fetchImpl, calls } = scriptedFetch(PREPARING, PREPARING, PREPARING, PREPARING, READY);
    await mount(fetchImpl);
    await advance(6_000);
    expect(calls).toHaveLength(4);
    expect(text()).toContain("This is taking longer than usual");
    expect(container.querySelector("s-spinner")).toBeNull();

    await advance(60_000);
    expect(calls).toHaveLength(4);

    const retry = buttons().find((button) => button.textContent === "Check again");
    await act(async () => {
      retry!.click();
    });
    await settle();
    expect(calls).toHaveLength(5);
    expect(text()).toContain("PFP-AAAA-1111");
  });

  it("says keys are waiting for stock, with the keys assigned so far, and does not poll", async () => {
    const { fetchImpl, calls } = scriptedFetch({ state: "waiting", keys: [READY.keys[0]] });
    await mount(fetchImpl);
    expect(text()).toContain("More licence keys are on their way");
    expect(text()).toContain("waiting for new stock");
    expect(text()).toContain("PFP-AAAA-1111");
    await advance(60_000);
    expect(calls).toHaveLength(1);
  });

  it("says keys are waiting for stock when none could be assigned yet", async () => {
    const { fetchImpl } = scriptedFetch({ state: "waiting", keys: [] });
    await mount(fetchImpl);
    expect(text()).toContain("More licence keys are on their way");
    expect(buttons()).toHaveLength(0);
  });

  it("renders nothing at all for an order without keys", async () => {
    const { fetchImpl, calls } = scriptedFetch({ state: "none", keys: [] });
    await mount(fetchImpl);
    expect(container.innerHTML).toBe("");
    await advance(60_000);
    expect(calls).toHaveLength(1);
  });

  it("renders nothing for an old order the app never saw, without polling", async () => {
    const { fetchImpl, calls } = scriptedFetch(PREPARING);
    await mount(fetchImpl, { stale: true });
    expect(container.innerHTML).toBe("");
    await advance(60_000);
    expect(calls).toHaveLength(1);
  });

  it("asks nothing and renders nothing without an endpoint (no order or no app URL)", async () => {
    const { fetchImpl, calls } = scriptedFetch(READY);
    await mount(fetchImpl, { url: null });
    expect(container.innerHTML).toBe("");
    expect(calls).toHaveLength(0);
  });

  it("retries failed requests quietly, then shows an error with a retry", async () => {
    const { fetchImpl, calls } = scriptedFetch(500, 401, 503, 500, READY);
    await mount(fetchImpl);
    expect(container.innerHTML).toBe("");
    await advance(6_000);
    expect(calls).toHaveLength(4);
    expect(text()).toContain("Your licence keys could not be loaded");
    await act(async () => {
      buttons()[0].click();
    });
    await settle();
    expect(text()).toContain("CVI-BBBB-3333");
  });

  it("speaks German with the German strings", async () => {
    const { fetchImpl } = scriptedFetch(PREPARING, PREPARING, PREPARING, PREPARING, READY);
    await mount(fetchImpl, { t: german });
    expect(text()).toContain("Ihre Lizenzschlüssel werden vorbereitet");
    await advance(6_000);
    expect(text()).toContain("Das dauert länger als üblich");
    await act(async () => {
      buttons()[0].click();
    });
    await settle();
    expect(text()).toContain("Ihre Lizenzschlüssel");
    expect(buttons().map((button) => button.textContent)).toEqual(["Kopieren", "Kopieren"]);
    expect(buttons()[0].getAttribute("accessibilitylabel")).toBe(
      "Lizenzschlüssel für PhotoForge Pro - 5 seats kopieren",
    );
  });

  it("falls back to a generic product name when the line has no title", async () => {
    const { fetchImpl } = scriptedFetch({ state: "ready", keys: [{ value: "K-1", productTitle: "", status: "USED" }] });
    await mount(fetchImpl, { t: german });
    expect(text()).toContain("Ihr Kauf K-1");
  });
});

const SIGN_IN: KeysAnswer = { state: "sign-in", keys: [] };
const GUEST = (canResend = true): KeysAnswer => ({
  state: "sign-in",
  keys: [],
  guest: { email: "a***@example.com", canResend },
});

/** A login prompt that records its calls; resolves like a customer who dismisses it. */
function loginPrompt() {
  const prompt = vi.fn(async () => {});
  return prompt;
}

describe("a visitor who is not signed in (pre-authenticated)", () => {
  it("is asked to sign in, with no spinner at any time, and the button opens the login", async () => {
    const { fetchImpl, calls } = scriptedFetch(SIGN_IN);
    const requireLogin = loginPrompt();
    const spinnerSeen = watchForSpinner();
    await mount(fetchImpl, { preAuthenticated: true, onSignIn: requireLogin });

    expect(text()).toBe("Your licence keys Sign in to your account to see the licence keys for this order. Sign in");
    expect(buttons().map((candidate) => candidate.textContent)).toEqual(["Sign in"]);
    expect(requireLogin).not.toHaveBeenCalled();

    await click(button("Sign in"));
    expect(requireLogin).toHaveBeenCalledTimes(1);
    // Dismissed: the prompt is still there, and the block did not start polling.
    await advance(60_000);
    expect(calls).toHaveLength(1);
    expect(text()).toContain("Sign in to your account");
    expect(spinnerSeen()).toBe(false);
  });

  it("shows nothing at all before the answer arrives (no spinner, no flash)", async () => {
    let answer: (value: Awaited<ReturnType<FetchLike>>) => void = () => {};
    const pending: FetchLike = () => new Promise((resolve) => (answer = resolve));
    const spinnerSeen = watchForSpinner();
    await mount(pending, { preAuthenticated: true, onSignIn: loginPrompt() });
    expect(container.innerHTML).toBe("");
    await act(async () => answer({ ok: true, status: 200, json: async () => SIGN_IN }));
    await settle();
    expect(text()).toContain("Sign in to your account");
    expect(spinnerSeen()).toBe(false);
  });

  it("never shows keys or 'being prepared', whatever an older app answers, and asks only once", async () => {
    for (const answer of [READY, PREPARING, { state: "waiting", keys: [READY.keys[0]] } satisfies KeysAnswer]) {
      const { fetchImpl, calls } = scriptedFetch(answer);
      const spinnerSeen = watchForSpinner();
      await mount(fetchImpl, { preAuthenticated: true, onSignIn: loginPrompt() });
      await advance(60_000);
      expect(calls, answer.state).toHaveLength(1);
      expect(text(), answer.state).toContain("Sign in to your account");
      expect(text(), answer.state).not.toMatch(/PFP-AAAA-1111|being prepared|taking longer|waiting/i);
      expect(spinnerSeen(), answer.state).toBe(false);
      render(null, container);
    }
  });

  it("renders nothing for an order the app says carries no keys", async () => {
    const { fetchImpl } = scriptedFetch({ state: "none", keys: [] });
    await mount(fetchImpl, { preAuthenticated: true, onSignIn: loginPrompt() });
    expect(container.innerHTML).toBe("");
  });

  it("keeps the prompt when the login is refused, without an unhandled error", async () => {
    const { fetchImpl } = scriptedFetch(SIGN_IN);
    const requireLogin = vi.fn(async () => {
      throw new Error("The customer closed the login");
    });
    await mount(fetchImpl, { preAuthenticated: true, onSignIn: requireLogin });
    await click(button("Sign in"));
    expect(requireLogin).toHaveBeenCalledTimes(1);
    expect(text()).toContain("Sign in to your account");
  });

  it("shows the keys once the visitor has signed in, asking again with the new token", async () => {
    const { fetchImpl, calls } = scriptedFetch(SIGN_IN, READY);
    const requireLogin = loginPrompt();
    await mount(fetchImpl, { preAuthenticated: true, onSignIn: requireLogin, token: "pre-authenticated-token" });
    await click(button("Sign in"));
    // The platform's authentication state turns to fully_authenticated: the host renders again.
    await mount(fetchImpl, { preAuthenticated: false, onSignIn: requireLogin, token: "signed-in-token" });
    expect(calls.map((call) => call.authorization)).toEqual([
      "Bearer pre-authenticated-token",
      "Bearer signed-in-token",
    ]);
    expect(text()).toContain("PhotoForge Pro - 5 seats PFP-AAAA-1111 Copy");
    expect(button("Sign in")).toBeUndefined();
  });

  it("speaks German", async () => {
    const { fetchImpl } = scriptedFetch(SIGN_IN);
    await mount(fetchImpl, { t: german, preAuthenticated: true, onSignIn: loginPrompt() });
    expect(text()).toBe(
      "Ihre Lizenzschlüssel Melden Sie sich in Ihrem Kundenkonto an, um die Lizenzschlüssel dieser Bestellung zu sehen. Anmelden",
    );
  });
});

describe("a guest order (no customer account)", () => {
  it("names the masked email the keys went to and emails them again on request", async () => {
    const { fetchImpl, resends, replyToResend } = scriptedFetch(GUEST());
    const requireLogin = loginPrompt();
    const spinnerSeen = watchForSpinner();
    await mount(fetchImpl, { preAuthenticated: true, onSignIn: requireLogin, resendUrl: RESEND_URL });
    expect(text()).toContain("The licence keys for this order were emailed to a***@example.com.");
    expect(buttons().map((candidate) => candidate.textContent)).toEqual(["Email them again"]);

    replyToResend({ status: 202, body: { sent: true, email: "a***@example.com" } });
    await click(button("Email them again"));
    expect(resends).toEqual([
      {
        method: "POST",
        headers: {
          Authorization: "Bearer customer-token",
          Accept: "application/json",
          "Content-Type": "application/json",
        },
        body: "{}",
      },
    ]);
    expect(text()).toContain("Sent. Your licence keys are on their way to a***@example.com again.");
    expect(button("Email them again")).toBeUndefined();
    expect(requireLogin).not.toHaveBeenCalled();
    expect(spinnerSeen()).toBe(false);
  });

  it("says when the visitor may ask again after a 429, with the server's time, and lets them", async () => {
    const { fetchImpl, resends, replyToResend } = scriptedFetch(GUEST());
    await mount(fetchImpl, { preAuthenticated: true, onSignIn: loginPrompt(), resendUrl: RESEND_URL });
    replyToResend({
      status: 429,
      body: { error: "RATE_LIMITED", retryAfterSeconds: 300 },
      headers: { "Retry-After": "300" },
    });
    await click(button("Email them again"));
    expect(text()).toContain("You can have them emailed again in 5 minutes.");
    expect(text()).not.toContain("Sent.");

    replyToResend({ status: 202, body: { sent: true, email: "a***@example.com" } });
    await click(button("Email them again"));
    expect(resends).toHaveLength(2);
    expect(text()).not.toContain("You can have them emailed again");
    expect(text()).toContain("Sent. Your licence keys are on their way to a***@example.com again.");
  });

  it.each([
    [{ retryAfterSeconds: 1 }, {}, "You can have them emailed again in 1 second."],
    [{ retryAfterSeconds: 45 }, {}, "You can have them emailed again in 45 seconds."],
    [{ retryAfterSeconds: 61 }, {}, "You can have them emailed again in 2 minutes."],
    [{ retryAfterSeconds: 60 * 60 * 24 }, {}, "You can have them emailed again in 24 hours."],
    // Only the header (a proxy's 429, say): the header's seconds.
    [{ error: "RATE_LIMITED" }, { "Retry-After": "120" }, "You can have them emailed again in 2 minutes."],
    [undefined, {}, "You can have them emailed again a little later."],
  ])("words the wait for a 429 with body %j and headers %j", async (body, headers, message) => {
    const { fetchImpl, replyToResend } = scriptedFetch(GUEST());
    await mount(fetchImpl, { preAuthenticated: true, resendUrl: RESEND_URL });
    replyToResend({ status: 429, body, headers });
    await click(button("Email them again"));
    expect(text()).toContain(message);
  });

  it("says the email could not be sent when the request fails, and offers it again", async () => {
    const { fetchImpl, replyToResend } = scriptedFetch(GUEST());
    await mount(fetchImpl, { preAuthenticated: true, resendUrl: RESEND_URL });
    replyToResend({ status: 500, body: {} }, "network-error", { status: 202, body: { sent: true } });
    await click(button("Email them again"));
    expect(text()).toContain("The email could not be sent. Please try again.");
    await click(button("Email them again"));
    expect(text()).toContain("The email could not be sent. Please try again.");
    await click(button("Email them again"));
    expect(text()).not.toContain("could not be sent");
    // The answer named no email: the one already on screen.
    expect(text()).toContain("Sent. Your licence keys are on their way to a***@example.com again.");
  });

  it("says the keys cannot be emailed again when the app no longer offers it (404)", async () => {
    const { fetchImpl, replyToResend } = scriptedFetch(GUEST());
    await mount(fetchImpl, { preAuthenticated: true, resendUrl: RESEND_URL });
    replyToResend({ status: 404, body: { error: "NOT_AVAILABLE" } });
    await click(button("Email them again"));
    expect(text()).toContain("cannot be emailed again from here. Please contact the store.");
    expect(button("Email them again")).toBeUndefined();
  });

  it("offers no resend when the merchant does not allow it", async () => {
    const { fetchImpl } = scriptedFetch(GUEST(false));
    await mount(fetchImpl, { preAuthenticated: true, onSignIn: loginPrompt(), resendUrl: RESEND_URL });
    expect(text()).toBe(
      "Your licence keys The licence keys for this order were emailed to a***@example.com. If you cannot find them, check your spam folder.",
    );
    expect(buttons()).toHaveLength(0);
  });

  it("speaks German, the outcome included", async () => {
    const { fetchImpl, replyToResend } = scriptedFetch(GUEST());
    await mount(fetchImpl, { t: german, preAuthenticated: true, resendUrl: RESEND_URL });
    expect(text()).toContain("Die Lizenzschlüssel dieser Bestellung wurden an a***@example.com gesendet.");
    replyToResend({ status: 429, body: { error: "RATE_LIMITED", retryAfterSeconds: 60 } });
    await click(button("Erneut per E-Mail senden"));
    expect(text()).toContain("Sie können sie in 1 Minute erneut anfordern.");
  });
});

describe("a signed-in customer", () => {
  it("still sees the keys, and is never asked to sign in", async () => {
    const { fetchImpl } = scriptedFetch(READY);
    const requireLogin = loginPrompt();
    await mount(fetchImpl, { preAuthenticated: false, onSignIn: requireLogin, resendUrl: RESEND_URL });
    expect(text()).toContain("PhotoForge Pro - 5 seats PFP-AAAA-1111 Copy");
    expect(text()).not.toContain("Sign in");
    expect(requireLogin).not.toHaveBeenCalled();
  });

  it("gets an error, not a sign-in loop, when the app cannot tell who is signed in", async () => {
    const { fetchImpl, calls } = scriptedFetch(SIGN_IN);
    await mount(fetchImpl, { preAuthenticated: false, onSignIn: loginPrompt() });
    expect(text()).toContain("Your licence keys could not be loaded");
    expect(button("Sign in")).toBeUndefined();
    await advance(60_000);
    expect(calls).toHaveLength(1);
  });
});

describe("reading the app's answer", () => {
  it("takes a guest object only when it is well formed, and never keys with 'sign-in'", () => {
    expect(parseKeysAnswer({ state: "sign-in", keys: [] })).toEqual({ state: "sign-in", keys: [] });
    expect(
      parseKeysAnswer({ state: "sign-in", keys: [], guest: { email: "a***@example.com", canResend: true } }),
    ).toEqual({ state: "sign-in", keys: [], guest: { email: "a***@example.com", canResend: true } });
    expect(
      parseKeysAnswer({ state: "sign-in", keys: [], guest: { email: "a***@example.com", canResend: "yes" } }),
    ).toEqual({ state: "sign-in", keys: [], guest: { email: "a***@example.com", canResend: false } });
    for (const guest of [null, "a***@example.com", { email: 7 }, { email: "" }, { canResend: true }]) {
      expect(parseKeysAnswer({ state: "sign-in", keys: [], guest }), JSON.stringify(guest)).toEqual({
        state: "sign-in",
        keys: [],
      });
    }
    expect(parseKeysAnswer({ state: "sign-in", keys: [{ value: "LEAKED" }] })).toEqual({ state: "sign-in", keys: [] });
    expect(parseKeysAnswer({ state: "sign-in" })).toBeNull();
    expect(parseKeysAnswer({ state: "signed-out", keys: [] })).toBeNull();
  });
});

describe("locales", () => {
  function flatten(messages: Messages, prefix = ""): string[] {
    return Object.entries(messages).flatMap(([key, value]) =>
      typeof value === "string" ? [`${prefix}${key}`] : flatten(value, `${prefix}${key}.`),
    );
  }

  it("gives every extension the same keys in English and German", () => {
    const reference = flatten(readLocale(EXTENSIONS[0], "en.default.json")).sort();
    for (const extension of EXTENSIONS) {
      for (const file of ["en.default.json", "de.json"]) {
        expect(flatten(readLocale(extension, file)).sort(), `${extension}/${file}`).toEqual(reference);
      }
    }
  });

  it("has a translation for every string the block asks for", async () => {
    const asked = new Set<string>();
    const recording = (key: string, options?: Record<string, string | number>) => {
      asked.add(key);
      return english(key, options);
    };
    const scripts = [
      scriptedFetch(READY),
      scriptedFetch({ state: "waiting", keys: [{ value: "K", productTitle: "", status: "USED" }] }),
      scriptedFetch(PREPARING),
      scriptedFetch(500),
    ];
    for (const { fetchImpl } of scripts) {
      await mount(fetchImpl, { t: recording });
      await advance(6_000);
      render(null, container);
    }
    const visitor = scriptedFetch(SIGN_IN);
    await mount(visitor.fetchImpl, { t: recording, preAuthenticated: true, onSignIn: loginPrompt() });
    render(null, container);
    // A guest, through every outcome of "Email them again".
    const guest = scriptedFetch(GUEST());
    guest.replyToResend(
      { status: 429, body: { retryAfterSeconds: 5 } },
      { status: 429, body: { retryAfterSeconds: 300 } },
      { status: 429, body: { retryAfterSeconds: 7200 } },
      { status: 429, body: {} },
      { status: 500, body: {} },
      { status: 202, body: { sent: true, email: "a***@example.com" } },
    );
    await mount(guest.fetchImpl, { t: recording, preAuthenticated: true, resendUrl: RESEND_URL });
    for (let i = 0; i < 6; i++) await click(container.querySelector("s-button"));
    render(null, container);
    const unavailable = scriptedFetch(GUEST());
    unavailable.replyToResend({ status: 404, body: { error: "NOT_AVAILABLE" } });
    await mount(unavailable.fetchImpl, { t: recording, preAuthenticated: true, resendUrl: RESEND_URL });
    await click(container.querySelector("s-button"));
    render(null, container);

    expect([...asked].sort()).toEqual(
      expect.arrayContaining([
        "copy.action",
        "copy.label",
        "error.body",
        "guest.body",
        "guest.failed",
        "guest.later.hours",
        "guest.later.minutes",
        "guest.later.seconds",
        "guest.later.soon",
        "guest.resend",
        "guest.sent",
        "guest.unavailable",
        "heading",
        "preparing.later",
        "retry",
        "signIn.action",
        "signIn.body",
        "waiting.body",
      ]),
    );
    for (const file of ["en.default.json", "de.json"]) {
      const translate = createTranslate(readLocale(EXTENSIONS[0], file), file.slice(0, 2));
      for (const key of asked) {
        for (const count of [1, 2]) {
          const message = translate(key, { count, product: "P", email: "a***@example.com" });
          expect(message, `${file}: ${key}`).not.toBe(key);
          expect(message, `${file}: ${key}`).not.toMatch(/\{\{/);
        }
      }
    }
  });
});
