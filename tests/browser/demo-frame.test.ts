// The offline demo in real Chromium, as a merchant meets it: the admin frame around the embedded app,
// App Bridge's stand-in (session tokens, nav menu, title bar, toasts, resource picker, save bar,
// modal) and the app refusing anything not signed with its secret.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from "vitest";
import { DEMO_PRODUCTS, DEMO_SHOP, DEMO_SHOP_NAME, DEMO_STAFF } from "~/demo/catalog";
import { verifySessionToken } from "~/demo/session-token";
import { launchBrowser, startDemoApp, type DemoApp, waitForAppFrame } from "tests/helpers/browser";
import { BROWSER_UA, sessionToken, TEST_API_KEY, TEST_API_SECRET } from "tests/helpers/shopify";

let demo: DemoApp;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const outsideRequests: string[] = [];

beforeAll(async () => {
  demo = await startDemoApp();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

beforeEach(async () => {
  context = await browser.newContext({ userAgent: BROWSER_UA, viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  page.on("request", (request) => {
    if (!request.url().startsWith(demo.url) && !request.url().startsWith("data:")) outsideRequests.push(request.url());
  });
});

afterEach(async () => {
  await context.close();
});

/** The app's iframe, once its App Bridge stand-in is up. */
const appFrame = () => waitForAppFrame(page);

async function openAdmin(path = "/") {
  await page.goto(`${demo.url}${path}`);
  const frame = await appFrame();
  await frame.getByRole("heading", { name: path.endsWith("/activity") ? "Activity" : "Licence keys" }).first().waitFor();
  return frame;
}

// Each test opens the admin in a fresh browser context: on a loaded two-core machine that alone can
// take well over 10 s, hence the longer limit.
describe("the demo admin frame", { timeout: 90_000 }, () => {
  it("shows the app's home authenticated inside the admin, with nothing fetched from the internet", async () => {
    const frame = await openAdmin();
    await expect.poll(() => new URL(page.url()).pathname).toBe("/apps/keyshelf/app");
    expect(await page.locator(".store-name").innerText()).toBe(DEMO_SHOP_NAME);
    const src = new URL(frame.url());
    expect(src.pathname).toBe("/app");
    expect(src.searchParams.get("shop")).toBe(DEMO_SHOP);
    expect(src.searchParams.get("embedded")).toBe("1");
    expect(Buffer.from(src.searchParams.get("host")!, "base64url").toString()).toBe("admin.shopify.com/store/keyshelf-demo");
    const config = await frame.evaluate(() => ({ ...window.shopify.config }));
    expect(config).toMatchObject({ apiKey: TEST_API_KEY, shop: DEMO_SHOP });
    // The title the app declares with <TitleBar> is drawn by the admin, not inside the iframe.
    await expect.poll(() => page.locator("#titlebar-title").innerText()).toBe("Licence keys");
    expect(outsideRequests).toEqual([]);
  });

  it("lists the app's nav menu in the sidebar and navigates the app from it; a refresh keeps the page", async () => {
    const frame = await openAdmin();
    const declared = await frame.evaluate(() =>
      Array.from(document.querySelectorAll("ui-nav-menu a:not([rel=home])"), (a) => a.textContent!.trim()),
    );
    expect(declared).toContain("Activity");
    const nav = page.getByRole("list", { name: "Keyshelf" });
    await expect.poll(() => nav.getByRole("link").allInnerTexts()).toEqual(declared);

    await nav.getByRole("link", { name: "Activity" }).click();
    await frame.getByRole("heading", { name: "Activity" }).first().waitFor();
    expect(new URL(frame.url()).pathname).toBe("/app/activity");
    await expect.poll(() => new URL(page.url()).pathname).toBe("/apps/keyshelf/app/activity");
    await expect.poll(() => nav.getByRole("link", { name: "Activity" }).getAttribute("aria-current")).toBe("page");
    await expect.poll(() => page.locator("#titlebar-title").innerText()).toBe("Activity");

    await page.reload();
    const reloaded = await appFrame();
    await reloaded.getByRole("heading", { name: "Activity" }).first().waitFor();
    expect(new URL(reloaded.url()).pathname).toBe("/app/activity");

    await page.getByRole("link", { name: "Keyshelf", exact: true }).click();
    await reloaded.getByRole("heading", { name: "Licence keys" }).first().waitFor();
    await expect.poll(() => new URL(page.url()).pathname).toBe("/apps/keyshelf/app");
  });

  it("mints genuine session tokens for the app, signed with the app's secret and refreshed on demand", async () => {
    const frame = await openAdmin();
    const token = await frame.evaluate(() => window.shopify.idToken());
    const claims = verifySessionToken(token, { apiKey: TEST_API_KEY, apiSecret: TEST_API_SECRET });
    expect(claims).toMatchObject({
      iss: `https://${DEMO_SHOP}/admin`,
      dest: `https://${DEMO_SHOP}`,
      aud: TEST_API_KEY,
      sub: String(DEMO_STAFF.id),
    });
    expect(claims.exp - claims.iat).toBe(60);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims.sid).toBeTruthy();
    expect(() => verifySessionToken(token, { apiKey: TEST_API_KEY, apiSecret: "another-secret" })).toThrow(/signature/);
    // The secret itself never reaches the browser.
    const html = await page.content();
    expect(html).not.toContain(TEST_API_SECRET);
  });

  it("lets the app's own fetches through with its token and refuses one signed with another secret", async () => {
    const frame = await openAdmin();
    const statuses = await frame.evaluate(async (forged) => {
      const plain = await fetch("/app?_data=routes%2Fapp._index");
      const withForged = await fetch("/app?_data=routes%2Fapp._index", { headers: { Authorization: `Bearer ${forged}` } });
      return { plain: plain.status, forged: withForged.status, retry: withForged.headers.get("X-Shopify-Retry-Invalid-Session-Request") };
    }, sessionToken({ shop: DEMO_SHOP, secret: "not-the-demo-secret" }));
    expect(statuses).toEqual({ plain: 200, forged: 401, retry: "1" });
  });

  it("shows the app's toasts in the admin, errors in red, and tells the app when one is dismissed", async () => {
    const frame = await openAdmin();
    await frame.evaluate(() => {
      window.shopify.toast.show("120 licence keys added");
      window.shopify.toast.show("That file is too large", {
        isError: true,
        duration: 60_000,
        onDismiss: () => ((window as unknown as { dismissed: boolean }).dismissed = true),
      });
    });
    await page.getByRole("status").filter({ hasText: "120 licence keys added" }).waitFor();
    const error = page.getByRole("alert").filter({ hasText: "That file is too large" });
    await error.waitFor();
    expect(await error.evaluate((node) => getComputedStyle(node).backgroundColor)).toBe("rgb(199, 10, 36)");
    await error.getByRole("button", { name: "Dismiss notification" }).click();
    await frame.waitForFunction(() => (window as unknown as { dismissed?: boolean }).dismissed === true);
  });

  it("offers the demo products in the resource picker and returns Shopify's payload", async () => {
    const frame = await openAdmin();
    await frame.evaluate(() => {
      (window as unknown as { picked: Promise<unknown> }).picked = window.shopify.resourcePicker({ type: "product", multiple: true });
    });
    const picker = page.getByRole("dialog", { name: "Add products" });
    await picker.waitFor();
    const rows = picker.locator(".picker-row:not(.variant) .picker-title");
    expect(await rows.allInnerTexts()).toEqual(DEMO_PRODUCTS.map((p) => p.title));
    await picker.getByPlaceholder("Search products").fill("stellar");
    await picker.getByRole("checkbox", { name: /Stellar Quest/ }).click();
    await picker.getByPlaceholder("Search products").fill("");
    await picker.getByRole("checkbox", { name: /^5 seats/ }).click();
    expect(await picker.locator(".selected-count").innerText()).toBe("2 products selected");
    await picker.getByRole("button", { name: "Add" }).click();

    const picked = (await frame.evaluate(() => (window as unknown as { picked: Promise<unknown> }).picked)) as Array<{
      id: string;
      title: string;
      handle: string;
      images: Array<{ originalSrc: string }>;
      variants: Array<{ id: string; title: string; price: string; sku: string }>;
    }>;
    expect(picked.map((p) => p.id)).toEqual([`gid://shopify/Product/${DEMO_PRODUCTS[0].id}`, `gid://shopify/Product/${DEMO_PRODUCTS[2].id}`]);
    // A product with only some variants ticked comes back with just those variants.
    expect(picked[0].variants).toEqual([
      expect.objectContaining({ id: `gid://shopify/ProductVariant/${DEMO_PRODUCTS[0].variants[1].id}`, title: "5 seats", price: "199.00", sku: "PFP-5" }),
    ]);
    expect(picked[1]).toMatchObject({ title: "Stellar Quest (Steam key)", handle: "stellar-quest" });
    const image = await page.request.get(picked[1].images[0].originalSrc);
    expect(image.headers()["content-type"]).toContain("image/svg+xml");
  });

  it("returns undefined when the merchant cancels the picker, and picks single variants by type", async () => {
    const frame = await openAdmin();
    const cancelled = frame.evaluate(() => window.shopify.resourcePicker({ type: "product" }).then((r) => r === undefined));
    await page.getByRole("dialog", { name: "Add product" }).getByRole("button", { name: "Cancel" }).click();
    expect(await cancelled).toBe(true);

    const variants = frame.evaluate(() =>
      window.shopify.resourcePicker({ type: "variant", action: "select" }).then((r) => r?.map((v) => v.id)),
    );
    const picker = page.getByRole("dialog", { name: "Select variant" });
    await picker.getByRole("checkbox", { name: /SecureNet VPN - 2 years/ }).click();
    await picker.getByRole("button", { name: "Select" }).click();
    expect(await variants).toEqual([`gid://shopify/ProductVariant/${DEMO_PRODUCTS[3].variants[1].id}`]);
  });

  it("draws title bar actions in the admin and clicks the app's own button for them", async () => {
    const frame = await openAdmin();
    await frame.evaluate(() => {
      const bar = document.createElement("ui-title-bar");
      bar.setAttribute("title", "Import keys");
      bar.innerHTML =
        '<button variant="breadcrumb">Licence keys</button><button id="cancel">Cancel</button><button variant="primary" id="go">Import</button>' +
        '<section label="More actions"><button id="tpl" onclick="window.templateClicked = true">Download template</button></section>';
      document.body.appendChild(bar);
      bar.querySelector("#go")!.addEventListener("click", () => ((window as unknown as { imported: boolean }).imported = true));
    });
    await expect.poll(() => page.locator("#titlebar-title").innerText()).toBe("Import keys");
    await page.locator("#titlebar-actions").getByRole("button", { name: "Import" }).click();
    await frame.waitForFunction(() => (window as unknown as { imported?: boolean }).imported === true);
    await page.getByRole("button", { name: "More actions" }).click();
    await page.getByRole("menuitem", { name: "Download template" }).click();
    await frame.waitForFunction(() => (window as unknown as { templateClicked?: boolean }).templateClicked === true);
    expect(await page.locator("#titlebar-crumb").innerText()).toContain("Licence keys");
  });

  it("shows the contextual save bar in the admin and blocks leaving until it is resolved", async () => {
    const frame = await openAdmin();
    await frame.evaluate(() => {
      const bar = document.createElement("ui-save-bar");
      bar.id = "settings-save-bar";
      bar.innerHTML = '<button variant="primary" id="save">Save</button><button id="discard">Discard</button>';
      document.body.appendChild(bar);
      bar.querySelector("#save")!.addEventListener("click", () => {
        (window as unknown as { saved: boolean }).saved = true;
        void window.shopify.saveBar.hide("settings-save-bar");
      });
      return window.shopify.saveBar.show("settings-save-bar");
    });
    const saveBar = page.locator("#savebar");
    await saveBar.getByText("Unsaved changes").waitFor();
    // Navigating away with unsaved changes shakes the bar instead.
    await page.getByRole("list", { name: "Keyshelf" }).getByRole("link", { name: "Activity" }).click();
    expect(new URL(frame.url()).pathname).toBe("/app");
    await saveBar.getByRole("button", { name: "Save" }).click();
    await frame.waitForFunction(() => (window as unknown as { saved?: boolean }).saved === true);
    await saveBar.waitFor({ state: "hidden" });
  });

  it("opens the app's modals over the app with their title and actions, and dims the admin", async () => {
    const frame = await openAdmin();
    await frame.evaluate(() => {
      const modal = document.createElement("ui-modal");
      modal.id = "confirm-delete";
      modal.innerHTML =
        '<p>Delete 3 licence keys?</p><ui-title-bar title="Delete keys"><button variant="primary" tone="critical" id="yes">Delete</button><button id="no">Cancel</button></ui-title-bar>';
      document.body.appendChild(modal);
      modal.querySelector("#yes")!.addEventListener("click", () => {
        (window as unknown as { deleted: boolean }).deleted = true;
        void window.shopify.modal.hide("confirm-delete");
      });
      return window.shopify.modal.show("confirm-delete");
    });
    const dialog = frame.getByRole("dialog", { name: "Delete keys" });
    await dialog.getByText("Delete 3 licence keys?").waitFor();
    // The admin around the app dims too, as under a real admin modal.
    await page.locator("#chrome-dim").waitFor();
    await dialog.getByRole("button", { name: "Delete" }).click();
    await frame.waitForFunction(() => (window as unknown as { deleted?: boolean }).deleted === true);
    await dialog.waitFor({ state: "hidden" });
    await page.locator("#chrome-dim").waitFor({ state: "hidden" });
  });

  it("puts the app back into the admin when its page is opened on its own, as App Bridge does", async () => {
    const frame = await openAdmin("/apps/keyshelf/app/activity");
    const standalone = frame.url();
    await page.goto(standalone);
    await expect.poll(() => new URL(page.url()).pathname).toBe("/apps/keyshelf/app/activity");
    const again = await appFrame();
    await again.getByRole("heading", { name: "Activity" }).first().waitFor();
  });

  it("opens the app in the admin when Shopify is asked for it by shop", async () => {
    const host = Buffer.from("admin.shopify.com/store/keyshelf-demo").toString("base64url");
    await page.goto(`${demo.url}/?shop=${DEMO_SHOP}&host=${host}`);
    await expect.poll(() => new URL(page.url()).pathname).toBe("/apps/keyshelf/app");
    const frame = await appFrame();
    await frame.getByRole("heading", { name: "Licence keys" }).first().waitFor();
  });
});
