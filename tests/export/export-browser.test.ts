// GIVEN the demo shop in the admin frame (real Chromium), and a real SMTP server on loopback
// WHEN the merchant exports the whole library from the overview, and downloads a filtered tag list
// THEN the dialog tells how many keys and where they are emailed, follows the background export to
//      a download link, and both files (and the emailed attachment) equal what the database holds.
import { readFile } from "node:fs/promises";
import { simpleParser } from "mailparser";
import type { Browser, BrowserContext, Frame, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { startMailCatcher, type MailCatcher } from "~/demo/mail-catcher";
import { runBackgroundTick } from "~/models/background.server";
import { startExport } from "~/models/export.server";
import { closeMailTransport } from "~/models/mailer.server";
import { launchBrowser, startDemoApp, type DemoApp, waitForAppFrame } from "tests/helpers/browser";
import { BROWSER_UA } from "tests/helpers/shopify";
import { expectedRows, readCsv } from "./fixtures";

let catcher: MailCatcher;
let demo: DemoApp;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let shop: { id: number; ianaTimezone: string; email: string };

beforeAll(async () => {
  catcher = await startMailCatcher();
  process.env.SMTP_URL = catcher.url;
  demo = await startDemoApp();
  browser = await launchBrowser();
  context = await browser.newContext({
    userAgent: BROWSER_UA,
    viewport: { width: 1400, height: 900 },
    acceptDownloads: true,
  });
  page = await context.newPage();
  shop = await prisma.shop.findUniqueOrThrow({
    where: { domain: demo.shop },
    select: { id: true, ianaTimezone: true, email: true },
  });
}, 180_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await demo?.close();
  closeMailTransport();
  await catcher?.close();
  delete process.env.SMTP_URL;
});

async function appFrame(path: string): Promise<Frame> {
  await page.goto(`${demo.url}/apps/keyshelf${path}`);
  return waitForAppFrame(page);
}

async function downloaded(trigger: () => Promise<void>) {
  const [download] = await Promise.all([page.waitForEvent("download"), trigger()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), body: await readFile(path) };
}

describe("Export in the admin", () => {
  it("exports the whole library in the background, shows it finishing, downloads and emails it", async () => {
    const frame = await appFrame("/app");
    const total = await prisma.licenseKey.count({ where: { shopId: shop.id } });
    expect(total).toBeGreaterThan(10);

    await frame.getByRole("button", { name: "Export", exact: true }).click();
    const dialog = frame.getByRole("dialog");
    await dialog
      .getByText(`${total.toLocaleString("en-US")} licence keys from all licence keys`, { exact: false })
      .waitFor();
    await dialog.getByText(`emailed to ${shop.email}`, { exact: false }).waitFor();

    await dialog.getByRole("button", { name: "Start export" }).click();
    await dialog.getByText("Waiting to start", { exact: false }).waitFor();
    const job = await prisma.job.findFirstOrThrow({
      where: { shopId: shop.id, kind: "EXPORT" },
      orderBy: { id: "desc" },
    });
    expect(job.state).toBe("QUEUED");

    // The app server's runner is off in tests: one tick, as the runner would do within a second.
    await runBackgroundTick();
    await dialog.getByText("Your export is ready").waitFor({ timeout: 20_000 });

    const file = await downloaded(() => dialog.getByRole("button", { name: "Download CSV" }).click());
    expect(file.name).toMatch(/^keyshelf-all-licence-keys-\d{12}\.csv$/);
    const [, ...rows] = readCsv(file.body);
    const expected = await expectedRows({ shopId: shop.id, timeZone: shop.ianaTimezone });
    expect(rows).toEqual(expected);

    const [message] = await catcher.waitFor(1);
    expect(message.envelope.to).toEqual([shop.email]);
    const mail = await simpleParser(message.raw);
    expect(readCsv(mail.attachments[0].content).slice(1)).toEqual(expected);
  }, 120_000);

  it("downloads a tag's filtered list at once with Download now", async () => {
    const tag = await prisma.tag.findFirstOrThrow({
      where: { shopId: shop.id, kind: "USER", pendingCount: { gt: 0 } },
      orderBy: { pendingCount: "desc" },
    });
    const frame = await appFrame(`/app/tags/${tag.id}?status=PENDING`);
    await frame.getByRole("button", { name: "Export", exact: true }).click();
    const dialog = frame.getByRole("dialog");
    await dialog.getByText(`from tag ${tag.name}`, { exact: false }).waitFor();

    const file = await downloaded(() => dialog.getByRole("button", { name: "Download now" }).click());
    expect(file.name).toBe(`keyshelf-${tag.name}-pending.csv`);
    const [, ...rows] = readCsv(file.body);
    expect(rows).toEqual(
      await expectedRows({ shopId: shop.id, tagId: tag.id, status: "PENDING", timeZone: shop.ianaTimezone }),
    );
    expect(rows.length).toBe(tag.pendingCount);
  }, 120_000);

  it("lists the export and its email on the Exports page", async () => {
    // Its own export, emailed: this test does not rely on the ones before it.
    const { jobId } = await startExport({
      shop: await prisma.shop.findUniqueOrThrow({ where: { id: shop.id } }),
      scope: { tagId: null, q: "", status: "USED" },
      actor: "Staff member 1",
    });
    await runBackgroundTick();
    expect((await prisma.job.findUniqueOrThrow({ where: { id: jobId } })).state).toBe("SUCCEEDED");
    const frame = await appFrame("/app/exports");
    await frame.getByText("Exports and stock alerts are emailed to", { exact: false }).waitFor();
    await frame.getByText(`Sent to ${shop.email}`).first().waitFor();
    await frame.getByText("Ready", { exact: true }).first().waitFor();
    await frame.getByText("Your licence key export is ready", { exact: false }).first().waitFor();
  }, 60_000);
});
