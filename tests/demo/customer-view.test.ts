// The demo's customer view in real Chromium: the real order status / thank-you extension code,
// bundled for the page, fetches the app's real endpoint with a token the demo server signed, shows
// the order's keys, copies one, and the keys become Used in the database. On the order status page
// a visitor who is signed out (pre-authenticated) is asked to sign in, and a guest order says where
// its keys were emailed and emails them again.
import type { Browser, BrowserContext, Page } from "playwright-core";
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

/** A guest order (no customer account) with keys and an email address, as the demo seed has. */
async function guestOrder() {
  return prisma.order.findFirstOrThrow({
    where: {
      shop: { domain: demo.shop },
      customerId: null,
      email: { not: null },
      shortfall: 0,
      keys: { some: { status: { in: ["ASSIGNED", "USED"] } } },
    },
    orderBy: { placedAt: "desc" },
    select: { id: true, shopId: true, shopifyId: true, name: true, email: true, keys: { select: { value: true } } },
  });
}

/**
 * Given: the order's keys went out in a delivery email that the mail server accepted. (SQL, as the
 * migration defines the tables: the demo's workers, which would send it, are off in tests.)
 */
async function markKeysEmailed(order: { id: number; shopId: number; email: string | null }) {
  await prisma.$executeRaw`
    WITH delivery AS (
      INSERT INTO "key_delivery" ("shop_id", "order_id", "reason", "requested_by", "mode")
      VALUES (${order.shopId}, ${order.id}, 'NEW', 'Keyshelf', 'KEYS'::"DeliveryMode") RETURNING "id"
    )
    INSERT INTO "mail_message" ("shop_id", "kind", "state", "to", "subject", "text", "delivery_id", "sent_at")
    SELECT ${order.shopId}, 'KEY_DELIVERY'::"MailKind", 'SENT'::"MailState", ${order.email}, 'Your licence keys', '', "id",
      now() AT TIME ZONE 'UTC'
    FROM delivery`;
}

/** Where the emails the customer asked for from the order status page are addressed. */
async function resendRecipients(orderId: number) {
  const rows = await prisma.$queryRaw<Array<{ to: string }>>`
    SELECT m."to" FROM "key_delivery" d JOIN "mail_message" m ON m."delivery_id" = d."id"
    WHERE d."order_id" = ${orderId} AND d."reason" = 'RESEND'`;
  return rows.map((row) => row.to);
}

/** Records, in every frame of the page from its first moment, whether a spinner was ever shown. */
async function watchForSpinners(page: Page) {
  await page.addInitScript(() => {
    const record = () => {
      if (document.querySelector("s-spinner")) (window as unknown as { spinnerSeen: boolean }).spinnerSeen = true;
    };
    new MutationObserver(record).observe(document, { childList: true, subtree: true });
  });
}

async function spinnerSeen(page: Page) {
  const frame = await (await page.waitForSelector("#extension-frame")).contentFrame();
  return frame!.evaluate(() => (window as unknown as { spinnerSeen?: boolean }).spinnerSeen === true);
}

/** The claims of a token the demo mints for the customer view (no Origin: a same-site caller). */
async function mintedClaims(query: string) {
  const response = await fetch(`${demo.url}/demo/customer/session-token?${query}`, { method: "POST" });
  expect(response.status).toBe(200);
  const { token } = (await response.json()) as { token: string };
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")) as Record<string, unknown>;
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

  it("asks a signed-out customer to sign in, shows no keys, and signing in shows them", async () => {
    const order = await unopenedOrder();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await watchForSpinners(page);
    await page.goto(
      `${demo.url}/demo/customer?order=${order.shopifyId}&surface=order-status&locale=en&auth=signed-out`,
    );

    const view = page.getByRole("navigation", { name: "View" });
    expect(await view.getByRole("link", { name: "Signed out" }).getAttribute("aria-current")).toBe("true");
    expect(await view.getByRole("link", { name: "Signed in" }).getAttribute("aria-current")).toBe("false");
    expect(await page.locator("#visitor").innerText()).toMatch(
      /^Signed out: .+ opened from the order confirmation email/,
    );

    const frame = page.frameLocator("#extension-frame");
    const signIn = frame.getByRole("button", { name: "Sign in" });
    await signIn.waitFor();
    await frame.getByText("Sign in to your account to see the licence keys for this order.").waitFor();
    const shown = await frame.locator("body").innerText();
    for (const key of order.keys) expect(shown).not.toContain(key.value);
    expect(await spinnerSeen(page)).toBe(false);
    // Nothing was revealed, so nothing became Used.
    const before = await prisma.licenseKey.findMany({ where: { orderId: order.id }, select: { status: true } });
    expect(before.every((key) => key.status === "ASSIGNED")).toBe(true);

    // The demo's requireLogin() opens the same order signed in.
    await signIn.click();
    await expect.poll(() => new URL(page.url()).searchParams.get("auth")).toBe("signed-in");
    await frame.getByText(order.keys[0].value, { exact: true }).waitFor();
    expect(await page.locator("#visitor").innerText()).toMatch(/^Signed in as /);
    expect(await view.getByRole("link", { name: "Signed in" }).getAttribute("aria-current")).toBe("true");
    expect(await frame.getByRole("button", { name: "Sign in" }).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("tells a guest where their keys were emailed and emails them again", async () => {
    const order = await guestOrder();
    await markKeysEmailed(order);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await watchForSpinners(page);
    // Guest orders are offered on the order status page too.
    await page.goto(`${demo.url}/demo/customer?surface=order-status&locale=en`);
    expect(await page.locator("ul.orders a", { hasText: " · Guest" }).count()).toBeGreaterThan(0);
    await page.goto(`${demo.url}/demo/customer?order=${order.shopifyId}&surface=order-status&locale=en`);

    expect(await page.locator("#visitor").innerText()).toMatch(/^Guest order \(no customer account\)/);
    // No account to sign in to: "Signed in" is not on offer.
    const view = page.getByRole("navigation", { name: "View" });
    expect(await view.getByRole("link", { name: "Signed in" }).count()).toBe(0);
    expect(await view.getByRole("link", { name: "Signed out" }).getAttribute("aria-current")).toBe("true");

    const frame = page.frameLocator("#extension-frame");
    const [local, domain] = order.email!.split("@");
    const masked = `${local[0]}***@${domain}`;
    await frame.getByText(`The licence keys for this order were emailed to ${masked}.`, { exact: false }).waitFor();
    const shown = await frame.locator("body").innerText();
    expect(shown).not.toContain(order.email!);
    for (const key of order.keys) expect(shown).not.toContain(key.value);
    expect(await frame.getByRole("button", { name: "Sign in" }).count()).toBe(0);

    await frame.getByRole("button", { name: "Email them again" }).click();
    await frame.getByText(`Sent. Your licence keys are on their way to ${masked} again.`).waitFor();
    // The app queued the email to the order's own address.
    expect(await resendRecipients(order.id)).toEqual([order.email]);
    expect(await spinnerSeen(page)).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("mints a token without a customer for a signed-out visitor or a guest order", async () => {
    const order = await unopenedOrder();
    const guest = await guestOrder();
    const customer = (await prisma.order.findUniqueOrThrow({ where: { id: order.id }, select: { customerId: true } }))
      .customerId;
    expect(await mintedClaims(`order=${order.shopifyId}&surface=order-status&auth=signed-in`)).toMatchObject({
      sub: `gid://shopify/Customer/${customer}`,
    });
    expect(await mintedClaims(`order=${order.shopifyId}&surface=order-status`)).toHaveProperty("sub");
    expect(await mintedClaims(`order=${order.shopifyId}&surface=order-status&auth=signed-out`)).not.toHaveProperty(
      "sub",
    );
    expect(await mintedClaims(`order=${guest.shopifyId}&surface=order-status&auth=signed-in`)).not.toHaveProperty(
      "sub",
    );
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
