// The products and orders screens as a merchant uses them, in real Chromium inside the demo admin
// frame: linking products and single variants picked with the resource picker, and replacing,
// returning and revoking an order's keys after confirming. Tests share the seeded demo store and
// read what they expect from the database.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { closePgPool } from "~/pg.server";
import { launchBrowser, startDemoApp, type DemoApp, waitForAppFrame } from "tests/helpers/browser";
import { BROWSER_UA } from "tests/helpers/shopify";

// Generous: the machines running this suite are often busy, and each step waits on real rendering.
const STEP = 240_000;
const POLL = { timeout: 30_000 };

let demo: DemoApp;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let shopId: number;
const pageErrors: string[] = [];

beforeAll(async () => {
  demo = await startDemoApp();
  browser = await launchBrowser();
  shopId = (await prisma.shop.findUniqueOrThrow({ where: { domain: demo.shop } })).id;
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  await closePgPool();
});

beforeEach(async () => {
  context = await browser.newContext({ userAgent: BROWSER_UA, viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(60_000);
  page.setDefaultNavigationTimeout(90_000);
  page.on("pageerror", (error) => pageErrors.push(error.message));
});

afterEach(async ({ task }) => {
  if (task.result?.state === "fail") {
    await page.screenshot({
      path: `.data/test/fulfilment-${task.name.slice(0, 40).replace(/\W+/g, "-")}.png`,
      fullPage: true,
    });
  }
  await context.close();
  expect(pageErrors).toEqual([]);
});

const appFrame = () => waitForAppFrame(page);

async function openApp(path: string, heading: string) {
  await page.goto(`${demo.url}/apps/keyshelf${path}`);
  const frame = await appFrame();
  await frame.getByRole("heading", { name: heading, exact: true }).first().waitFor();
  return frame;
}

const toast = (text: string | RegExp) => page.getByRole("status").filter({ hasText: text });

/** The admin's resource picker (drawn by the admin frame, outside the app's iframe). */
async function pickInResourcePicker(rows: string[]) {
  const dialog = page.getByRole("dialog", { name: /Select products/ });
  await dialog.waitFor();
  // A row's name is its title followed by its price or variant count.
  for (const row of rows) await dialog.getByRole("checkbox", { name: new RegExp(`^${row} `) }).click();
  await dialog.getByRole("button", { name: "Select", exact: true }).click();
  await dialog.waitFor({ state: "detached" });
}

describe("products screen", () => {
  it(
    "links a whole product to automatic generation and a single variant to a tag, picked with the resource picker",
    async () => {
      const frame = await openApp("/app/products", "Products");
      // A seeded link shows how many keys remain in its tag.
      const photoforge = await prisma.tag.findFirstOrThrow({ where: { shopId, name: "photoforge" } });
      const seededRow = frame.locator("tr").filter({ hasText: "PhotoForge Pro" }).filter({ hasText: "All variants" });
      expect(await seededRow.innerText()).toContain(photoforge.pendingCount.toLocaleString("en"));

      await frame.getByRole("button", { name: "Link products" }).first().click();
      await pickInResourcePicker(["Printed user manual"]);
      const modal = frame.getByRole("dialog", { name: "Link product" });
      await modal.getByText("Generate a new key for each order").click();
      await modal.getByLabel("Format").fill("XX");
      await modal.getByLabel("Prefix (optional)").fill("MAN-");
      await modal.getByRole("button", { name: "Save" }).click();
      // The format is refused next to its field; nothing is linked.
      await modal.getByText(/at least 12 X characters/).waitFor();
      expect(await prisma.productLink.count({ where: { shopId, productTitle: "Printed user manual" } })).toBe(0);

      await modal.getByLabel("Format").fill("XXXX-XXXX-XXXX");
      await modal.getByText("MAN-").first().waitFor();
      await modal.getByRole("button", { name: "Save" }).click();
      await toast("Product linked").waitFor();
      await frame.locator("tr").filter({ hasText: "Printed user manual" }).filter({ hasText: "Unlimited" }).waitFor();
      expect(
        await prisma.productLink.findFirstOrThrow({ where: { shopId, productTitle: "Printed user manual" } }),
      ).toMatchObject({
        variantId: null,
        source: "AUTO_GENERATE",
        autoPattern: "XXXX-XXXX-XXXX",
        autoPrefix: "MAN-",
        keysPerUnit: 1,
      });

      await frame.getByRole("button", { name: "Link products" }).first().click();
      await pickInResourcePicker(["1 year"]);
      const variantModal = frame.getByRole("dialog", { name: "Link product" });
      await variantModal.getByText("SecureNet VPN - 1 year").waitFor();
      const stellar = await prisma.tag.findFirstOrThrow({ where: { shopId, name: "stellarquest" } });
      await variantModal.getByLabel("Tag", { exact: true }).selectOption(String(stellar.id));
      await variantModal.getByLabel("Keys per unit sold").fill("2");
      await variantModal.getByRole("button", { name: "Save" }).click();
      await toast("Product linked").waitFor();
      await frame.locator("tr").filter({ hasText: "Variant: 1 year" }).filter({ hasText: "stellarquest" }).waitFor();
      expect(await prisma.productLink.findFirstOrThrow({ where: { shopId, variantId: 4510000000041n } })).toMatchObject(
        { source: "TAG", tagId: stellar.id, keysPerUnit: 2 },
      );
    },
    STEP,
  );
});

describe("an order's keys", () => {
  it(
    "replaces, returns and revokes keys after confirmation, and the activity log records each",
    async () => {
      const photoforge = await prisma.tag.findFirstOrThrow({ where: { shopId, name: "photoforge" } });
      // An order with at least two unviewed keys from a tag that still has pending keys.
      const [order] = await prisma.$queryRaw<Array<{ id: number; name: string }>>`
        SELECT o."id", o."name" FROM "order" o JOIN "order_line" ol ON ol."order_id" = o."id"
        JOIN "license_key" k ON k."order_line_id" = ol."id"
        WHERE o."shop_id" = ${shopId} AND ol."tag_id" = ${photoforge.id} AND k."status" = 'ASSIGNED'
        GROUP BY o."id", o."name" HAVING count(*) >= 2 ORDER BY o."id" LIMIT 1`;
      const keys = await prisma.licenseKey.findMany({
        where: { orderId: order.id, status: "ASSIGNED" },
        orderBy: { id: "asc" },
      });
      const [broken, unwanted] = keys;

      const list = await openApp(`/app/orders?q=${encodeURIComponent(order.name)}`, "Orders");
      await list.getByRole("link", { name: order.name }).click();
      const frame = await appFrame();
      await frame.getByRole("heading", { name: order.name, exact: true }).first().waitFor();

      await frame.getByRole("button", { name: `Replace ${broken.value}` }).click();
      const replace = frame.getByRole("dialog", { name: "Replace licence key?" });
      await replace.getByText(broken.value).waitFor();
      await replace.getByRole("button", { name: "Replace key" }).click();
      await toast(/Key replaced/).waitFor();
      expect(await prisma.licenseKey.findUniqueOrThrow({ where: { id: broken.id } })).toMatchObject({
        status: "RETIRED",
        retireReason: "REPLACED",
      });
      await frame.getByText("Replaced").first().waitFor();

      await frame.getByRole("button", { name: `Return ${unwanted.value} to the pool` }).click();
      await frame
        .getByRole("dialog", { name: "Return licence key to the pool?" })
        .getByRole("button", { name: "Return to pool" })
        .click();
      await toast(/Key returned to the pool/).waitFor();
      expect(await prisma.licenseKey.findUniqueOrThrow({ where: { id: unwanted.id } })).toMatchObject({
        status: "PENDING",
        orderId: null,
      });

      const held = await prisma.licenseKey.findFirstOrThrow({
        where: { orderId: order.id, status: { in: ["ASSIGNED", "USED"] } },
      });
      await frame.getByRole("button", { name: `Revoke ${held.value}` }).click();
      const revoke = frame.getByRole("dialog", { name: "Revoke licence key?" });
      await revoke.getByText(/loses access/).waitFor();
      await revoke.getByRole("button", { name: "Revoke key" }).click();
      await toast(/Key revoked/).waitFor();
      await expect
        .poll(async () => (await prisma.licenseKey.findUniqueOrThrow({ where: { id: held.id } })).retireReason, POLL)
        .toBe("REVOKED");

      const actions = await prisma.auditEvent.findMany({
        where: { shopId, action: { startsWith: "order.key." } },
        select: { action: true },
      });
      expect(actions.map((a) => a.action).sort()).toEqual([
        "order.key.replace",
        "order.key.return",
        "order.key.revoke",
      ]);
    },
    STEP,
  );
});
