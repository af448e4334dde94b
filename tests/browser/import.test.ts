// Adding licence keys in real Chromium inside the demo admin, as a merchant does it: paste keys or
// upload a CSV, pick or create tags, check the preview, import; and the refusals (bad line, bad tag
// name, oversized file) that save nothing.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, Frame, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { prisma } from "tests/helpers/db";
import { launchBrowser, startDemoApp, type DemoApp, waitForAppFrame } from "tests/helpers/browser";
import { BROWSER_UA } from "tests/helpers/shopify";

let demo: DemoApp;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let scratch: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  demo = await startDemoApp();
  browser = await launchBrowser();
  scratch = mkdtempSync(path.join(os.tmpdir(), "keyshelf-import-"));
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  rmSync(scratch, { recursive: true, force: true });
});

beforeEach(async () => {
  pageErrors.length = 0;
  context = await browser.newContext({ userAgent: BROWSER_UA, viewport: { width: 1400, height: 1000 } });
  page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
});

afterEach(async () => {
  await context.close();
  expect(pageErrors).toEqual([]);
});

const appFrame = () => waitForAppFrame(page);

async function shopId() {
  return (await prisma.shop.findUniqueOrThrow({ where: { domain: demo.shop } })).id;
}

async function keysInTag(name: string) {
  const rows = await prisma.$queryRaw<Array<{ value: string }>>`
    SELECT k.value FROM key_tag kt JOIN tag t ON t.id = kt.tag_id JOIN license_key k ON k.id = kt.key_id
    WHERE t.name = ${name} AND t.shop_id = ${await shopId()} ORDER BY k.id`;
  return rows.map((row) => row.value);
}

/** From the overview's "Add keys" button, the way a merchant gets there. */
async function openAddKeys() {
  await page.goto(`${demo.url}/`);
  const frame = await appFrame();
  await frame.getByRole("heading", { name: "Licence keys" }).first().waitFor();
  await frame.getByRole("link", { name: "Add keys" }).or(frame.getByRole("button", { name: "Add keys" })).first().click();
  await frame.getByRole("heading", { name: "Add licence keys" }).waitFor();
  return frame;
}

async function createTag(frame: Frame, name: string) {
  await frame.getByRole("combobox", { name: "Tags" }).fill(name);
  await frame.getByText(`Create tag "${name}"`).click();
  await frame.getByRole("combobox", { name: "Tags" }).press("Escape");
  await frame.getByText(`${name} (new)`).waitFor();
}

// Chromium on a busy two-core machine: a whole flow takes tens of seconds.
describe("adding licence keys in the admin", { timeout: 180_000 }, () => {
  it("pastes keys into a new tag, previews counts and duplicates, and imports", async () => {
    const frame = await openAddKeys();
    await frame.getByRole("textbox", { name: "Licence keys" }).fill("  PASTE-0001  \nPASTE-0002\n\nPASTE-0001\nPASTE-0003\n");
    await createTag(frame, "pastetest");
    await frame.getByRole("button", { name: "Preview" }).click();

    await frame.getByRole("heading", { name: "Check the licence keys" }).waitFor();
    const figure = (label: string) => frame.getByText(label, { exact: true }).locator("xpath=following-sibling::*[1]");
    expect(await figure("New keys").innerText()).toBe("3");
    expect(await figure("Duplicates in this upload").innerText()).toBe("1");
    expect(await figure("Blank lines skipped").innerText()).toBe("1");
    const rows = frame.locator("tbody tr");
    await expect.poll(() => rows.count()).toBe(4);
    expect(await rows.nth(2).innerText()).toMatch(/^4\s+PASTE-0001\s[\s\S]*Duplicate in upload$/);
    expect(await rows.nth(3).innerText()).toMatch(/^5\s+PASTE-0003\s[\s\S]*New$/);
    // Nothing is saved by the preview.
    expect(await keysInTag("pastetest")).toEqual([]);
    expect(await prisma.tag.count({ where: { name: "pastetest" } })).toBe(0);

    await frame.getByRole("button", { name: "Import 3 licence keys" }).click();
    await frame.getByText("3 licence keys imported into pastetest").waitFor();
    await page.locator("#toasts").getByText("3 licence keys imported").waitFor();
    expect(await keysInTag("pastetest")).toEqual(["PASTE-0001", "PASTE-0002", "PASTE-0003"]);

    await frame.getByRole("link", { name: "View pastetest" }).click();
    await frame.getByRole("heading", { name: "pastetest" }).first().waitFor();
    await frame.getByText("PASTE-0003").first().waitFor();
  });

  it("uploads a CSV from a tag's page, keeping duplicates, with the tag as destination", async () => {
    await prisma.tag.create({ data: { shopId: await shopId(), name: "csvtest" } });
    const file = path.join(scratch, "codes.csv");
    writeFileSync(file, '\ufeffProduct,"Licence Key"\r\n"Game, deluxe",CSV-1\r\nGame,CSV-2\r\nGame,CSV-1\r\n');

    await page.goto(`${demo.url}/`);
    const frame = await appFrame();
    await frame.getByRole("heading", { name: "Licence keys" }).first().waitFor();
    await frame.getByRole("link", { name: "csvtest" }).first().click();
    await frame.getByRole("heading", { name: "csvtest" }).first().waitFor();
    await frame.getByRole("link", { name: "Add keys" }).or(frame.getByRole("button", { name: "Add keys" })).first().click();
    await frame.getByRole("heading", { name: "Add licence keys" }).waitFor();
    // The tag the merchant came from is the destination.
    await frame.getByRole("button", { name: /Remove csvtest/ }).waitFor();

    await frame.getByRole("tab", { name: "Upload a file" }).click();
    await frame.locator('input[type="file"]').setInputFiles(file);
    await frame.getByText("codes.csv").waitFor();
    await frame.getByRole("button", { name: "Preview" }).click();
    await frame.getByRole("heading", { name: "Check the licence keys" }).waitFor();
    await frame.getByText("From codes.csv").waitFor();

    await frame.getByText("Keep duplicates: import all 3 keys").click();
    await frame.getByRole("button", { name: "Import 3 licence keys" }).click();
    await frame.getByText("3 licence keys imported into csvtest").waitFor();
    expect(await keysInTag("csvtest")).toEqual(["CSV-1", "CSV-2", "CSV-1"]);
  });

  it("cancelling a preview throws the upload away; its old link says so", async () => {
    const frame = await openAddKeys();
    await frame.getByRole("textbox", { name: "Licence keys" }).fill("CANCEL-1\nCANCEL-2\n");
    await frame.getByRole("button", { name: "Preview" }).click();
    await frame.getByRole("heading", { name: "Check the licence keys" }).waitFor();
    const batchId = new URL(frame.url()).searchParams.get("batch");
    expect(await prisma.importBatch.count({ where: { id: Number(batchId) } })).toBe(1);

    await frame.getByRole("button", { name: "Cancel" }).click();
    await frame.getByRole("heading", { name: "Add licence keys" }).waitFor();
    await expect.poll(() => prisma.importBatch.count({ where: { id: Number(batchId) } })).toBe(0);
    expect(await prisma.licenseKey.count({ where: { value: "CANCEL-1" } })).toBe(0);

    await page.goto(`${demo.url}/apps/keyshelf/app/import?batch=${batchId}`);
    const again = await appFrame();
    await again.getByText("This upload no longer exists").waitFor();
    await again.getByRole("link", { name: "Add keys again" }).click();
    await again.getByRole("button", { name: "Preview" }).waitFor();
  });

  it("refuses a bad line and a bad tag name, saving nothing, and a file over 100 MB before sending it", async () => {
    const before = await prisma.licenseKey.count();
    const batchesBefore = await prisma.importBatch.count();
    const frame = await openAddKeys();
    await frame.getByRole("combobox", { name: "Tags" }).fill("Bad Tag");
    await frame.getByText("Tag names use lowercase letters a-z only", { exact: false }).first().waitFor();
    await frame.getByRole("combobox", { name: "Tags" }).fill("");

    await frame.getByRole("textbox", { name: "Licence keys" }).fill(`GOOD-1\n${"X".repeat(300)}\nGOOD-2\n`);
    await frame.getByRole("button", { name: "Preview" }).click();
    await frame.getByText("Nothing was saved").waitFor();
    await frame.getByText("Line 2: the key is 300 characters long; the limit is 255.").waitFor();
    expect(await prisma.licenseKey.count()).toBe(before);
    expect(await prisma.importBatch.count()).toBe(batchesBefore);

    const big = path.join(scratch, "huge.txt");
    writeFileSync(big, Buffer.alloc(101 * 1024 * 1024, 0x0a));
    await frame.getByRole("tab", { name: "Upload a file" }).click();
    await frame.locator('input[type="file"]').setInputFiles(big);
    await frame.getByRole("button", { name: "Preview" }).click();
    await frame.getByText(/The file is larger than 100 MB/).waitFor();
    expect(await prisma.importBatch.count()).toBe(batchesBefore);
  });
});
