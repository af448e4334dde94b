// @vitest-environment happy-dom
// The two extensions' entry modules, as Shopify runs them: a `shopify` global for their target,
// `process.env.APP_URL` compiled in, and fetch to the app. Each asks its own endpoint for this order.
import { readFileSync } from "node:fs";
import path from "node:path";
import { act } from "preact/test-utils";
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

const requests: Array<{ url: string; authorization: string | null }> = [];

beforeAll(() => {
  installPolarisStandIns();
});

beforeEach(() => {
  vi.resetModules();
  requests.length = 0;
  process.env.APP_URL = "https://keyshelf.example.com/";
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    requests.push({ url, authorization: new Headers(init.headers).get("Authorization") });
    return new Response(
      JSON.stringify({
        state: "ready",
        keys: [{ value: "SQ-STEAM-7F3K", productTitle: "Stellar Quest", status: "USED" }],
      }),
      { headers: { "Content-Type": "application/json" } },
    );
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
    await runExtension(ENTRIES.orderStatus, {
      order: {
        value: { id: "gid://shopify/Order/5600000000001", name: "#1001", processedAt: new Date().toISOString() },
      },
    });
    expect(requests).toEqual([
      {
        url: "https://keyshelf.example.com/api/customer-account/orders/5600000000001/licence-keys",
        authorization: "Bearer extension-session-token",
      },
    ]);
    expect(document.body.textContent).toContain("SQ-STEAM-7F3K");
    expect(document.body.querySelector("s-button")?.textContent).toBe("Kopieren");
  });

  it("asks nothing when the app URL was not compiled in", async () => {
    delete process.env.APP_URL;
    await runExtension(ENTRIES.orderStatus, { order: { value: { id: "gid://shopify/Order/1" } } });
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
