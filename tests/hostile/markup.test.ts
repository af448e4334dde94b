// Key values and tag names carrying markup or spreadsheet formulas, shown in the admin in real Chromium
// and exported as CSV: the page shows them as literal text, no script runs and no dialog opens, and the
// CSV cells come out neutralised. A tag name outside a-z cannot be created through the app; one is
// written straight into the database here, as an older version or a hand-edited row could leave it.
import type { Browser, BrowserContext, Frame, Page } from "playwright-core";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, startDemoApp, type DemoApp, waitForAppFrame } from "tests/helpers/browser";
import { prisma } from "tests/helpers/db";
import { addKeys } from "tests/helpers/library";
import { BROWSER_UA } from "tests/helpers/shopify";

const HOSTILE_KEYS = [
  `<img src=x onerror="alert('img')">`,
  `<script>alert('script')</script>`,
  `"><svg onload=alert('svg')>`,
  `=HYPERLINK("http://evil.example","click")`,
  `+1+2`,
  `-2+3`,
  `@SUM(A1:A2)`,
];
const HOSTILE_TAG = `<img src=y onerror="alert('tag')">`;

let demo: DemoApp;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let tagId: number;
const dialogs: string[] = [];

beforeAll(async () => {
  demo = await startDemoApp();
  browser = await launchBrowser();
  const shop = await prisma.shop.findUniqueOrThrow({ where: { domain: demo.shop } });
  const tag = await prisma.tag.create({ data: { shopId: shop.id, name: HOSTILE_TAG } });
  tagId = tag.id;
  await addKeys(shop.id, HOSTILE_KEYS, { tagIds: [tag.id] });
  context = await browser.newContext({ userAgent: BROWSER_UA, viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await demo?.close();
});

async function appFrame(path: string): Promise<Frame> {
  await page.goto(`${demo.url}/apps/keyshelf${path}`);
  return waitForAppFrame(page);
}

describe("markup and formulas in keys and tag names", () => {
  it("the overview shows the tag name as text and runs nothing", async () => {
    const frame = await appFrame(`/app?q=${encodeURIComponent("img")}`);
    await frame.getByText(HOSTILE_TAG, { exact: true }).first().waitFor();
    expect(await frame.locator("img[src='y']").count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it("the tag's key list shows every key literally and runs nothing", async () => {
    const frame = await appFrame(`/app/tags/${tagId}`);
    for (const value of HOSTILE_KEYS) await frame.getByText(value, { exact: true }).first().waitFor();
    expect(await frame.locator("img[src='x'], svg[onload]").count()).toBe(0);
    expect(await frame.locator("script:not([src])").evaluateAll((nodes) => nodes.some((n) => n.textContent?.includes("alert(")))).toBe(false);
    // A search echoes the query into the page as well.
    const searched = await appFrame(`/app/tags/${tagId}?q=${encodeURIComponent("<script>")}`);
    await searched.getByText(HOSTILE_KEYS[1], { exact: true }).first().waitFor();
    expect(dialogs).toEqual([]);
  }, 60_000);

  it("the CSV download neutralises formula cells and keeps markup as plain text", async () => {
    const frame = await appFrame(`/app/tags/${tagId}`);
    const csv = await frame.evaluate(async (id) => {
      const response = await fetch(`/app/exports/download?tagId=${id}`);
      return { status: response.status, type: response.headers.get("Content-Type"), text: await response.text() };
    }, tagId);
    expect(csv.status).toBe(200);
    expect(csv.type).toContain("text/csv");
    const rows = parse(csv.text.replace(/^\uFEFF/, ""), { columns: true }) as Array<Record<string, string>>;
    const keyColumn = Object.keys(rows[0]).find((name) => /key/i.test(name))!;
    const tagColumn = Object.keys(rows[0]).find((name) => /tag/i.test(name))!;
    const cells = rows.map((row) => row[keyColumn]).sort();
    for (const value of HOSTILE_KEYS) {
      const formula = /^[=+\-@\t\r]/.test(value);
      expect(cells).toContain(formula ? `'${value}` : value);
    }
    for (const row of rows) {
      for (const cell of Object.values(row)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
      expect(row[tagColumn]).toContain(HOSTILE_TAG);
    }
    expect(dialogs).toEqual([]);
  });
});
