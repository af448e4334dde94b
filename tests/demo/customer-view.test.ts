// The demo's customer view in real Chromium: the real order status / thank-you extension code,
// bundled for the page, fetches the app's real endpoint with a token the demo server signed, shows
// the order's keys, copies one, and the keys become Used in the database.
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, startDemoApp, type DemoApp } from "tests/helpers/browser";
import { prisma } from "tests/helpers/db";
import { BROWSER_UA } from "tests/helpers/shopify";

let demo: DemoApp;
let browser: Browser;
let context: BrowserContext;

/** A demo order of a signed-in customer whose keys the customer has not opened yet. */
async function unopenedOrder() {
  const order = await prisma.order.findFirstOrThrow({
    where: {
      shop: { domain: demo.shop },
      customerId: { not: null },
      shortfall: 0,
      keys: { some: { status: "ASSIGNED" }, none: { status: "USED" } },
    },
    orderBy: { placedAt: "desc" },
    select: { id: true, shopifyId: true, name: true, keys: { where: { status: "ASSIGNED" }, select: { value: true } } },
  });
  return order;
}

beforeAll(async () => {
  demo = await startDemoApp();
  browser = await launchBrowser();
  // Shopify's library turns away bot user agents (HeadlessChrome) before authenticating.
  context = await browser.newContext({ userAgent: BROWSER_UA });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: demo.url });
  // Bundling the extensions is the slow part of a first visit: do it here, not inside a test.
  for (const surface of ["order-status", "thank-you"]) {
    const bundle = await fetch(`${demo.url}/demo/customer/extension-${surface}.js`);
    expect(bundle.status).toBe(200);
  }
}, 120_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await demo?.close();
});

// Real Chromium on a shared machine: pages can take a while under load.
describe("demo customer view", { timeout: 60_000 }, () => {
  it("shows a customer their order's keys on the order status page, and they become Used", async () => {
    const order = await unopenedOrder();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${demo.url}/demo/customer?order=${order.shopifyId}&surface=order-status&locale=en`);
    await expect.poll(() => page.locator("h1").textContent()).toBe(`Order ${order.name}`);

    const frame = page.frameLocator("#extension-frame");
    const first = order.keys[0].value;
    await frame.getByText(first, { exact: true }).waitFor();
    expect(await frame.locator("s-section").getAttribute("heading")).toMatch(/^Your licence keys?$/);

    // The accessible name comes from the button's label; its text is the slotted light DOM.
    await frame
      .getByRole("button", { name: /^Copy the licence key for / })
      .first()
      .click();
    await frame.locator("s-button", { hasText: "Copied" }).first().waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(first);

    const keys = await prisma.licenseKey.findMany({
      where: { orderId: order.id },
      select: { status: true, usedAt: true },
    });
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((key) => key.status === "USED" && key.usedAt !== null)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows the thank-you page block in German", async () => {
    const order = await unopenedOrder();
    const page = await context.newPage();
    await page.goto(`${demo.url}/demo/customer?order=${order.shopifyId}&surface=thank-you&locale=de`);
    const frame = page.frameLocator("#extension-frame");
    await frame.getByText(order.keys[0].value, { exact: true }).waitFor();
    expect(await frame.getByRole("button", { name: /^Lizenzschlüssel für .+ kopieren$/ }).count()).toBeGreaterThan(0);
    expect(await frame.locator("s-button").first().textContent()).toBe("Kopieren");
    await page.close();
  });

  it("tells 'waiting for stock' for an order that ran short", async () => {
    const waiting = await prisma.order.findFirst({
      where: { shop: { domain: demo.shop }, shortfall: { gt: 0 }, customerId: { not: null } },
      select: { shopifyId: true },
    });
    expect(waiting, "the demo seed has an order waiting for keys").not.toBeNull();
    const page = await context.newPage();
    await page.goto(`${demo.url}/demo/customer?order=${waiting!.shopifyId}&surface=order-status&locale=en`);
    await page.frameLocator("#extension-frame").getByText("waiting for new stock", { exact: false }).waitFor();
    await page.close();
  });

  it("signs session tokens only for the demo's own pages", async () => {
    const order = await unopenedOrder();
    const response = await fetch(
      `${demo.url}/demo/customer/session-token?order=${order.shopifyId}&surface=order-status`,
      {
        method: "POST",
        headers: { Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" },
      },
    );
    expect(response.status).toBe(403);
  });
});
