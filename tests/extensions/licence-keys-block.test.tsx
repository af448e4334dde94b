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
import type { FetchLike, KeysAnswer } from "../../extensions/shared/licence-keys";
import { createTranslate, type Messages } from "../../extensions/shared/translate";

const root = path.resolve(__dirname, "../..");
const EXTENSIONS = ["keyshelf-order-status", "keyshelf-thank-you"];
const readLocale = (extension: string, file: string) =>
  JSON.parse(readFileSync(path.join(root, "extensions", extension, "locales", file), "utf8")) as Messages;
const english = createTranslate(readLocale("keyshelf-order-status", "en.default.json"), "en");
const german = createTranslate(readLocale("keyshelf-order-status", "de.json"), "de");

const URL_ = "https://keyshelf.test/api/customer-account/orders/1001/licence-keys";
const BACKOFF = [1_000, 2_000, 3_000];

/** A fetch that answers from a script, one answer per call (the last one repeats). */
function scriptedFetch(...answers: Array<KeysAnswer | number>) {
  const calls: Array<{ url: string; authorization: string | undefined }> = [];
  const fetchImpl: FetchLike = async (url, init) => {
    calls.push({ url, authorization: init.headers.Authorization });
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)];
    if (typeof answer === "number") return { ok: false, status: answer, json: async () => ({}) };
    return { ok: true, status: 200, json: async () => JSON.parse(JSON.stringify(answer)) };
  };
  return { fetchImpl, calls };
}

let container: HTMLElement;

async function mount(fetchImpl: FetchLike, { t = english, stale = false, url = URL_ as string | null } = {}) {
  await act(async () => {
    render(
      <LicenceKeys
        url={url}
        getToken={async () => "customer-token"}
        t={t}
        stale={stale}
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
    expect([...asked].sort()).toEqual(
      expect.arrayContaining([
        "copy.action",
        "copy.label",
        "error.body",
        "heading",
        "preparing.later",
        "retry",
        "waiting.body",
      ]),
    );
    for (const file of ["en.default.json", "de.json"]) {
      const translate = createTranslate(readLocale(EXTENSIONS[0], file), file.slice(0, 2));
      for (const key of asked) expect(translate(key, { count: 1, product: "P" }), `${file}: ${key}`).not.toBe(key);
    }
  });
});
