// @vitest-environment happy-dom
// The two extensions' entry modules, as Shopify runs them: a `shopify` global for their target,
// `process.env.APP_URL` compiled in, and fetch to the app. Each asks its own endpoint for this order;
// the order status page's block also follows the page's authentication state.
import { readFileSync } from "node:fs";
import path from "node:path";
import { act } from "preact/test-utils";
import { signal } from "@preact/signals";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { installPolarisStandIns } from "~/demo/customer-view/polaris-stand-ins";
import { createTranslate, type Messages } from "../../extensions/shared/translate";

const root = path.resolve(__dirname, "../..");
const german = createTranslate(
  JSON.parse(readFileSync(path.join(root, "extensions/keyshelf-order-status/locales/de.json"), "utf8")) as Messages,
  "de",
);

// Imported through a variable: the entry modules are typed against their extension's own
// `shopify` global (extensions/*/shopify.d.ts), which the app's type-check does not load.
const ENTRIES = {
  orderStatus: "../../extensions/keyshelf-order-status/src/OrderStatusBlock.tsx",
  thankYou: "../../extensions/keyshelf-thank-you/src/ThankYouBlock.tsx",
};

async function runExtension(entry: string, shopify: Record<string, unknown>) {
  (globalThis as Record<string, unknown>).shopify = {
    sessionToken: { get: async () => "extension-session-token" },
    i18n: { translate: german },
    ...shopify,
  };
  const module = (await import(/* @vite-ignore */ entry)) as { default: () => Promise<void> };
  await act(async () => {
    await module.default();
  });
  for (let i = 0; i < 5; i++) await act(async () => {});
}

const requests: Array<{ url: string; method: string; authorization: string | null }> = [];
/** What the app answers, by the request's path and method. */
let answers: Record<string, { status: number; body: unknown }> = {};

const READY = { state: "ready", keys: [{ value: "SQ-STEAM-7F3K", productTitle: "Stellar Quest", status: "USED" }] };
const ORDER = {
  value: { id: "gid://shopify/Order/5600000000001", name: "#1001", processedAt: new Date().toISOString() },
};
const KEYS_URL = "https://keyshelf.example.com/api/customer-account/orders/5600000000001/licence-keys";

/** The order status page's own API: its authentication state and login prompt. */
function orderStatusPage(authenticationState: "fully_authenticated" | "pre_authenticated") {
  return { order: ORDER, authenticationState: signal(authenticationState), requireLogin: vi.fn(async () => {}) };
}

const visibleText = () => document.body.textContent?.replace(/\s+/g, " ").trim() ?? "";

beforeAll(() => {
  installPolarisStandIns();
});

beforeEach(() => {
  vi.resetModules();
  requests.length = 0;
  answers = {};
  process.env.APP_URL = "https://keyshelf.example.com/";
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    const method = init.method ?? "GET";
    requests.push({ url, method, authorization: new Headers(init.headers).get("Authorization") });
    const answer = answers[`${method} ${new URL(url).pathname}`] ?? { status: 200, body: READY };
    return new Response(JSON.stringify(answer.body), {
      status: answer.status,
      headers: { "Content-Type": "application/json" },
    });
  });
});

afterEach(() => {
  document.body.replaceChildren();
  vi.unstubAllGlobals();
  delete process.env.APP_URL;
  delete (globalThis as Record<string, unknown>).shopify;
});

describe("order status extension", () => {
  it("asks the customer account endpoint for this order and shows its keys", async () => {
    const page = orderStatusPage("fully_authenticated");
    await runExtension(ENTRIES.orderStatus, page);
    expect(requests).toEqual([{ url: KEYS_URL, method: "GET", authorization: "Bearer extension-session-token" }]);
    expect(document.body.textContent).toContain("SQ-STEAM-7F3K");
    expect(document.body.querySelector("s-button")?.textContent).toBe("Kopieren");
    expect(page.requireLogin).not.toHaveBeenCalled();
  });

  it("asks a pre-authenticated visitor to sign in through the page's login, and shows no keys", async () => {
    // Even were the app to answer with keys, the page's own state decides.
    const page = orderStatusPage("pre_authenticated");
    await runExtension(ENTRIES.orderStatus, page);
    expect(visibleText()).toContain("Melden Sie sich in Ihrem Kundenkonto an");
    expect(visibleText()).not.toContain("SQ-STEAM-7F3K");
    expect(document.body.querySelector("s-spinner")).toBeNull();
    const signIn = [...document.body.querySelectorAll("s-button")].find((b) => b.textContent === "Anmelden");
    await act(async () => {
      (signIn as HTMLElement).click();
    });
    expect(page.requireLogin).toHaveBeenCalledTimes(1);

    // Signed in where the page stays: the block asks again and shows the keys.
    await act(async () => {
      page.authenticationState.value = "fully_authenticated";
    });
    for (let i = 0; i < 5; i++) await act(async () => {});
    expect(requests.map((request) => request.url)).toEqual([KEYS_URL, KEYS_URL]);
    expect(visibleText()).toContain("SQ-STEAM-7F3K");
  });

  it("emails a guest order's keys again through the resend endpoint", async () => {
    answers[`GET ${new URL(KEYS_URL).pathname}`] = {
      status: 200,
      body: { state: "sign-in", keys: [], guest: { email: "a***@example.com", canResend: true } },
    };
    answers[`POST ${new URL(KEYS_URL).pathname}/resend`] = {
      status: 202,
      body: { sent: true, email: "a***@example.com" },
    };
    await runExtension(ENTRIES.orderStatus, orderStatusPage("pre_authenticated"));
    expect(visibleText()).toContain("a***@example.com gesendet");
    const resend = [...document.body.querySelectorAll("s-button")].find(
      (b) => b.textContent === "Erneut per E-Mail senden",
    );
    await act(async () => {
      (resend as HTMLElement).click();
    });
    for (let i = 0; i < 5; i++) await act(async () => {});
    expect(requests.slice(1)).toEqual([
      { url: `${KEYS_URL}/resend`, method: "POST", authorization: "Bearer extension-session-token" },
    ]);
    expect(visibleText()).toContain("Gesendet. Ihre Lizenzschlüssel sind erneut an a***@example.com unterwegs.");
  });

  it("asks nothing when the app URL was not compiled in", async () => {
    delete process.env.APP_URL;
    await runExtension(ENTRIES.orderStatus, {
      ...orderStatusPage("pre_authenticated"),
      order: { value: { id: "gid://shopify/Order/1" } },
    });
    expect(requests).toEqual([]);
    expect(document.body.innerHTML).toBe("");
  });
});

describe("thank-you extension", () => {
  it("proves the order with its confirmation number", async () => {
    await runExtension(ENTRIES.thankYou, {
      orderConfirmation: { value: { order: { id: "gid://shopify/Order/5600000000001" }, number: "XPAV284CT" } },
    });
    expect(requests.map((request) => request.url)).toEqual([
      "https://keyshelf.example.com/api/checkout/orders/5600000000001/licence-keys?confirmation=XPAV284CT",
    ]);
    expect(document.body.textContent).toContain("SQ-STEAM-7F3K");
  });

  it("asks nothing for an order without a confirmation number", async () => {
    await runExtension(ENTRIES.thankYou, {
      orderConfirmation: { value: { order: { id: "gid://shopify/Order/5600000000001" } } },
    });
    expect(requests).toEqual([]);
    expect(document.body.innerHTML).toBe("");
  });
});
