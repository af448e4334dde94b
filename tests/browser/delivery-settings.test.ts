// Settings' delivery email as a merchant edits it, in real Chromium inside the demo admin frame: the
// live preview follows the template and the language as they are typed (markup shown as text), the
// server's validation appears on the field and goes when the field changes, and "Send me a test"
// reaches a real SMTP server with the saved template.
import { simpleParser } from "mailparser";
import type { Browser, BrowserContext, Frame, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { startMailCatcher, type MailCatcher } from "~/demo/mail-catcher";
import { runBackgroundTick } from "~/models/background.server";
import { closeMailTransport } from "~/models/mailer.server";
import { closePgPool } from "~/pg.server";
import { launchBrowser, startDemoApp, type DemoApp, waitForAppFrame } from "tests/helpers/browser";
import { BROWSER_UA } from "tests/helpers/shopify";

const STEP = 240_000;

let demo: DemoApp;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let catcher: MailCatcher;
const pageErrors: string[] = [];

beforeAll(async () => {
  catcher = await startMailCatcher();
  process.env.SMTP_URL = catcher.url;
  demo = await startDemoApp();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  closeMailTransport();
  await catcher?.close();
  delete process.env.SMTP_URL;
  await closePgPool();
});

beforeEach(async () => {
  context = await browser.newContext({ userAgent: BROWSER_UA, viewport: { width: 1400, height: 1000 } });
  page = await context.newPage();
  page.setDefaultTimeout(60_000);
  page.setDefaultNavigationTimeout(90_000);
  page.on("pageerror", (error) => pageErrors.push(error.message));
});

afterEach(async ({ task }) => {
  if (task.result?.state === "fail") {
    await page.screenshot({ path: `.data/test/delivery-settings-${task.name.slice(0, 40).replace(/\W+/g, "-")}.png`, fullPage: true });
  }
  await context.close();
  expect(pageErrors).toEqual([]);
});

async function openSettings(): Promise<Frame> {
  await page.goto(`${demo.url}/apps/keyshelf/app/settings`);
  const frame = await waitForAppFrame(page);
  await frame.getByRole("heading", { name: "Delivery email", exact: true }).first().waitFor();
  return frame;
}

describe("delivery email settings", () => {
  it(
    "previews the template live, in the chosen language, with markup shown as text",
    async () => {
      const frame = await openSettings();
      const preview = frame.getByTestId("delivery-preview");
      await expect.poll(() => frame.getByTestId("delivery-preview-subject").textContent()).toBe(
        "Your licence keys for order #1001",
      );
      await preview.getByText("K7Q2M-9XD4F-R8T6P-3WZ5N").waitFor();
      await preview.getByText("Hi Alex,").waitFor();

      await frame.getByLabel("Message").fill("<b>Thanks</b> {{customer_first_name}}!\n\n{{keys}}\n\nBye from {{shop_name}}");
      await preview.getByText("<b>Thanks</b> Alex!").waitFor();
      expect(await preview.locator("b").count()).toBe(0);
      await preview.getByText("Single-seat add-on").waitFor();

      await frame.getByLabel("Message").fill("");
      await frame.getByLabel("Language for customers without a translation").selectOption("de");
      await expect.poll(() => frame.getByTestId("delivery-preview-subject").textContent()).toBe(
        "Ihre Lizenzschlüssel für Bestellung #1001",
      );
      await preview.getByText("Hallo Erika,").waitFor();

      // Polaris draws its own radio over the native one: click the choice's label, as a merchant does.
      await frame.getByText("Send a link to view the keys", { exact: true }).click();
      await preview.getByRole("link", { name: "Lizenzschlüssel ansehen" }).waitFor();
      expect(await preview.getByText("K7Q2M-9XD4F-R8T6P-3WZ5N").count()).toBe(0);
    },
    STEP,
  );

  it(
    "shows the server's error on the field until it is edited, saves, and sends a test of the saved template",
    async () => {
      const frame = await openSettings();
      await frame.getByLabel("Subject").fill("Keys for {{order_number}}");
      await frame.getByRole("button", { name: "Save delivery email" }).click();
      const error = frame.getByText(/^Unknown placeholder \{\{order_number\}\}/);
      await error.waitFor();
      await frame.getByLabel("Subject").fill("Keys for {{order_name}} from {{shop_name}}");
      await error.waitFor({ state: "detached" });
      await frame.getByRole("button", { name: "Save delivery email" }).click();
      await page.getByRole("status").filter({ hasText: "Delivery email saved" }).waitFor();
      await expect
        .poll(async () => (await prisma.shop.findFirstOrThrow({ where: { domain: demo.shop } })).deliverySubject)
        .toBe("Keys for {{order_name}} from {{shop_name}}");

      catcher.clear();
      await frame.getByLabel("Send a test to").fill("me@merchant.example");
      await frame.getByRole("button", { name: "Send me a test" }).click();
      await page.getByRole("status").filter({ hasText: "Test email queued for me@merchant.example" }).waitFor();
      await runBackgroundTick();
      // The SMTP server accepted it before the round ended; other demo mail may have gone out beside it.
      const sent = catcher.messages().filter((m) => m.envelope.to.includes("me@merchant.example"));
      expect(sent).toHaveLength(1);
      const message = sent[0];
      const mail = await simpleParser(message.raw);
      const shop = await prisma.shop.findFirstOrThrow({ where: { domain: demo.shop } });
      expect(mail.subject).toBe(`[Test] Keys for #1001 from ${shop.name}`);
      expect(mail.text).toContain("K7Q2M-9XD4F-R8T6P-3WZ5N");
    },
    STEP,
  );
});
