// The licence key library as a merchant uses it, in real Chromium inside the demo admin frame:
// the tags overview, a tag's key list and every action on keys and tags, including the refusals.
// The tests share the seeded demo store and run in order; each reads what it expects from the database.
import type { Browser, BrowserContext, Frame, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import prisma from "~/db.server";
import { TAG_NAME_RULE } from "~/lib/tags";
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
      path: `.data/test/library-${task.name.slice(0, 40).replace(/\W+/g, "-")}.png`,
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

async function tagId(name: string) {
  return (await prisma.tag.findFirstOrThrow({ where: { shopId, name } })).id;
}

const toast = (text: string | RegExp) => page.getByRole("status").filter({ hasText: text });
const frameParams = (frame: Frame) => new URL(frame.url()).searchParams;

async function openSearch(frame: Frame, placeholder: string) {
  const field = frame.getByPlaceholder(placeholder);
  if (!(await field.isVisible())) await frame.getByRole("button", { name: /Search and filter/ }).click();
  return field;
}

describe("tags overview", () => {
  it(
    "shows the summary and every tag; searches as you type, sorts and pages, all kept in the URL across a refresh",
    async () => {
      await prisma.$executeRaw`
        INSERT INTO "tag" ("shop_id", "name", "updated_at")
        SELECT ${shopId}, 'page' || chr(97 + g / 26) || chr(97 + g % 26), now() FROM generate_series(0, 59) g`;
      onTestFinished(() => prisma.tag.deleteMany({ where: { shopId, name: { startsWith: "page" } } }).then(() => {}));
      const keys = await prisma.licenseKey.count({ where: { shopId } });
      const pending = await prisma.licenseKey.count({ where: { shopId, status: "PENDING" } });
      const frame = await openApp("/app", "Licence keys");

      const totalCard = frame.getByRole("group", { name: "Total keys" });
      expect(await totalCard.innerText()).toContain(keys.toLocaleString("en-US"));
      const remainingCard = frame.getByRole("group", { name: "Remaining" });
      expect(await remainingCard.innerText()).toContain(pending.toLocaleString("en-US"));
      await frame.getByRole("link", { name: "No tag" }).waitFor();
      await frame.getByText("System").first().waitFor();
      await frame.getByText("Out of keys").first().waitFor();

      const search = await openSearch(frame, "Search tags by name");
      await search.pressSequentially("stell", { delay: 40 });
      await expect.poll(() => frameParams(frame).get("q"), POLL).toBe("stell");
      await expect.poll(() => frame.locator("tbody tr").count(), POLL).toBe(1);
      expect(await frame.locator("tbody tr").innerText()).toContain("stellarquest");

      await page.reload();
      const reloaded = await appFrame();
      await reloaded.getByRole("link", { name: "stellarquest" }).waitFor();
      expect(frameParams(reloaded).get("q")).toBe("stell");
      expect(await reloaded.locator("tbody tr").count()).toBe(1);
      expect(await reloaded.getByPlaceholder("Search tags by name").inputValue()).toBe("stell");

      await reloaded.getByRole("button", { name: "Clear" }).click();
      await expect.poll(() => frameParams(reloaded).get("q"), POLL).toBeNull();
      await reloaded.getByRole("button", { name: "Remaining" }).click();
      await expect.poll(() => frameParams(reloaded).get("sort"), POLL).toBe("remaining asc");
      await expect.poll(() => reloaded.locator("tbody tr").first().innerText(), POLL).toContain("Auto-generated");

      // 68 tags: page 2 exists; its place in the URL survives a refresh.
      await reloaded.getByRole("button", { name: "Next" }).click();
      await expect.poll(() => frameParams(reloaded).get("page"), POLL).toBe("2");
      await reloaded.getByText("Page 2 of 2").waitFor();
      await page.reload();
      const again = await appFrame();
      await again.getByText("Page 2 of 2").waitFor();
      expect(frameParams(again).get("sort")).toBe("remaining asc");
    },
    STEP,
  );
});

describe("a tag's key list", () => {
  it(
    "searches any part of a key, clears back to the full list, filters by status and copies a key",
    async () => {
      const id = await tagId("stellarquest");
      const tag = await prisma.tag.findUniqueOrThrow({ where: { id } });
      const total = tag.pendingCount + tag.assignedCount + tag.usedCount + tag.retiredCount;
      const [sample] = await prisma.$queryRaw<{ value: string }[]>`
        SELECT k."value" FROM "key_tag" kt JOIN "license_key" k ON k."id" = kt."key_id"
        WHERE kt."tag_id" = ${id} ORDER BY k."id" LIMIT 1`;
      const fragment = sample.value.slice(3, 9).toLowerCase();
      const [{ n: expected }] = await prisma.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM "key_tag" kt JOIN "license_key" k ON k."id" = kt."key_id"
        WHERE kt."tag_id" = ${id} AND k."value" ILIKE ${`%${fragment}%`}`;

      const frame = await openApp(`/app/tags/${id}`, "stellarquest");
      await frame.getByText(`${total} licence keys`, { exact: true }).waitFor();
      expect(await frame.locator("[data-licence-key]").count()).toBe(50);

      // The last 30 days of sales as bars, one per day, their total in the heading.
      const chart = frame.getByRole("img", { name: /^Keys handed out per day over the last 30 days/ });
      const bars = chart.locator("g[data-day]");
      expect(await bars.count()).toBe(30);
      const perDay = await bars.evaluateAll((nodes) => nodes.map((node) => Number(node.getAttribute("data-keys"))));
      const charted = perDay.reduce((sum, keys) => sum + keys, 0);
      await frame.getByRole("heading", { name: `Handed out, last 30 days: ${charted}` }).waitFor();
      const sold = (days: number) =>
        prisma.orderLine.aggregate({
          _sum: { keysAssigned: true },
          where: { tagId: id, createdAt: { gte: new Date(Date.now() - days * 24 * 3600_000) } },
        });
      expect(charted).toBeGreaterThan(0);
      expect(charted).toBeGreaterThanOrEqual((await sold(29))._sum.keysAssigned ?? 0);
      expect(charted).toBeLessThanOrEqual((await sold(31))._sum.keysAssigned ?? 0);
      await frame.getByText(/a day over the last 14 days, about \d+ days? left/).waitFor();
      const font = await frame
        .locator("[data-licence-key]")
        .first()
        .evaluate((node) => getComputedStyle(node).fontFamily);
      expect(font.toLowerCase()).toMatch(/mono|courier|consolas/);

      const search = await openSearch(frame, "Search licence keys");
      await search.fill(fragment);
      await frame.getByText(expected === 1 ? "1 match" : `${expected} matches`, { exact: true }).waitFor();
      expect(await frame.locator("[data-licence-key]").allInnerTexts()).toContain(sample.value);
      expect(frameParams(frame).get("q")).toBe(fragment);

      await frame.getByRole("button", { name: "Clear" }).click();
      await frame.getByText(`${total} licence keys`, { exact: true }).waitFor();

      await frame.getByRole("button", { name: "Status" }).click();
      await frame
        .locator("label")
        .filter({ hasText: /^Assigned$/ })
        .click();
      await frame.getByText(`${tag.assignedCount} matches`, { exact: true }).waitFor();
      const badges = await frame.locator("tbody tr").evaluateAll((rows) => rows.map((row) => row.textContent ?? ""));
      expect(badges.length).toBe(Math.min(tag.assignedCount, 50));
      for (const text of badges) expect(text).toContain("Assigned");
      // An assigned key links to its order in the Shopify admin.
      const orderLink = frame
        .locator("tbody tr")
        .first()
        .getByRole("link", { name: /Open order/ });
      expect(await orderLink.getAttribute("href")).toMatch(/^shopify:\/\/admin\/orders\/\d+$/);

      await frame
        .locator("tbody tr")
        .first()
        .getByRole("button", { name: /Copy licence key/ })
        .click();
      await toast("Licence key copied").waitFor();
    },
    STEP,
  );

  it(
    "deletes one key after a warning that names its order, and the activity log shows it",
    async () => {
      const id = await tagId("codevault");
      const [key] = await prisma.$queryRaw<{ id: number; value: string; orderName: string }[]>`
        SELECT k."id", k."value", o."name" AS "orderName" FROM "key_tag" kt
        JOIN "license_key" k ON k."id" = kt."key_id" JOIN "order" o ON o."id" = k."order_id"
        WHERE kt."tag_id" = ${id} AND k."status" = 'ASSIGNED' ORDER BY k."id" DESC LIMIT 1`;
      const frame = await openApp(`/app/tags/${id}?status=ASSIGNED`, "codevault");
      await frame.getByRole("button", { name: `Delete licence key ${key.value}` }).click();

      const dialog = frame.getByRole("dialog", { name: "Delete licence key?" });
      await dialog.getByText(`linked to order ${key.orderName}`).waitFor();
      expect(await dialog.innerText()).toContain("loses access to it immediately");
      expect(await dialog.innerText()).toContain("can't be undone");
      await dialog.getByRole("button", { name: "Delete key" }).click();
      await toast(`Licence key ${key.value} deleted`).waitFor();
      await dialog.waitFor({ state: "hidden" });
      await expect.poll(() => frame.getByText(key.value, { exact: true }).count(), POLL).toBe(0);
      expect(await prisma.licenseKey.count({ where: { id: key.id } })).toBe(0);

      await page.getByRole("list", { name: "Keyshelf" }).getByRole("link", { name: "Activity" }).click();
      await frame.getByRole("heading", { name: "Activity" }).first().waitFor();
      await frame.getByText(`Deleted licence key ${key.value} (linked to order ${key.orderName})`).waitFor();
    },
    STEP,
  );

  it(
    "moves ticked keys to another tag, adds tags (refusing a bad name), and deletes all matching keys across pages",
    async () => {
      const bulk = (await prisma.tag.create({ data: { shopId, name: "bulkdemo" } })).id;
      const destination = (await prisma.tag.create({ data: { shopId, name: "moveto" } })).id;
      await prisma.$executeRaw`
        INSERT INTO "license_key" ("shop_id", "value") SELECT ${shopId}, 'BULK-' || lpad(g::text, 4, '0') FROM generate_series(1, 120) g`;
      await prisma.$executeRaw`
        INSERT INTO "key_tag" ("tag_id", "key_id", "shop_id", "status")
        SELECT ${bulk}, "id", "shop_id", "status" FROM "license_key" WHERE "shop_id" = ${shopId} AND "value" LIKE 'BULK-%'`;

      const frame = await openApp(`/app/tags/${bulk}`, "bulkdemo");
      await frame.getByText("120 licence keys", { exact: true }).waitFor();
      const rows = frame.locator("tbody tr");
      await rows.nth(0).getByRole("checkbox").click();
      await rows.nth(1).getByRole("checkbox").click();
      await frame.getByRole("button", { name: "Move keys" }).click();
      const move = frame.getByRole("dialog", { name: "Move licence keys" });
      await move.getByText("Move 2 licence keys out of bulkdemo").waitFor();
      await move.getByLabel("Destination tag").fill("movet");
      await frame.getByRole("option", { name: "moveto" }).click();
      await move.getByText("Move 2 licence keys out of bulkdemo").click();
      await move.getByRole("button", { name: "Move keys" }).click();
      await toast("2 licence keys moved to moveto").waitFor();
      await frame.getByText("118 licence keys", { exact: true }).waitFor();
      const movedIds = await prisma.keyTag.findMany({ where: { tagId: destination }, select: { keyId: true } });
      const moved = await prisma.licenseKey.findMany({
        where: { id: { in: movedIds.map((row) => row.keyId) } },
        select: { value: true, status: true },
      });
      expect(moved.map((row) => row.value).sort()).toEqual(["BULK-0119", "BULK-0120"]);
      expect(moved.every((row) => row.status === "PENDING")).toBe(true);

      await rows.nth(0).getByRole("checkbox").click();
      await frame.getByRole("button", { name: "Add tags" }).click();
      const add = frame.getByRole("dialog", { name: "Add tags" });
      await add.getByText("Add tags to 1 licence key").waitFor();
      await add.getByLabel("Tags").fill("Bad Tag");
      await add.getByText(TAG_NAME_RULE).first().waitFor();
      await add.getByLabel("Tags").fill("extra");
      await frame.getByRole("option", { name: 'Create tag "extra"' }).click();
      await add.getByText("extra (new)").waitFor();
      await add.getByText("Add tags to 1 licence key").click();
      await add.getByRole("button", { name: "Add tags" }).click();
      await toast("Tags added to 1 licence key").waitFor();
      const taggedKey = await prisma.licenseKey.findFirstOrThrow({ where: { value: "BULK-0118" } });
      const tagged = await prisma.keyTag.findMany({
        where: { keyId: taggedKey.id },
        select: { tag: { select: { name: true } } },
      });
      expect(tagged.map((row) => row.tag.name).sort()).toEqual(["bulkdemo", "extra"]);

      const search = await openSearch(frame, "Search licence keys");
      await search.fill("bulk-0");
      await frame.getByText("118 matches", { exact: true }).waitFor();
      await frame
        .getByRole("checkbox", { name: /Select all/ })
        .first()
        .click();
      await frame.getByRole("button", { name: "Select all 118 matching licence keys" }).click();
      await frame.getByRole("button", { name: "More actions" }).last().click();
      await frame
        .getByRole("menuitem", { name: "Delete keys" })
        .or(frame.getByRole("button", { name: "Delete keys" }))
        .first()
        .click();
      const confirm = frame.getByRole("dialog", { name: "Delete 118 licence keys?" });
      await confirm.getByText("None of them is linked to an order.").waitFor();
      await confirm.getByText(/1 key also sits in other tags/).waitFor();
      await confirm.getByRole("button", { name: "Delete keys" }).click();
      await toast("118 licence keys deleted").waitFor();
      await frame.getByText("No licence keys match").waitFor();
      expect(await prisma.licenseKey.count({ where: { shopId, value: { startsWith: "BULK-" } } })).toBe(2);
    },
    STEP,
  );

  it(
    "keeps the key column in view while a narrow table scrolls sideways",
    async () => {
      await page.setViewportSize({ width: 800, height: 900 });
      const frame = await openApp(`/app/tags/${await tagId("stellarquest")}`, "stellarquest");
      const row = frame.locator("tbody tr").first();
      const keyCell = row.locator("td").nth(1);
      const addedCell = row.locator("td").nth(6);
      const left = async (cell: typeof keyCell) => (await cell.boundingBox())!.x;
      const position = (cell: typeof keyCell) => cell.evaluate((node) => getComputedStyle(node).position);
      await keyCell.waitFor();
      const key = await left(keyCell);
      const added = await left(addedCell);
      // Unscrolled, the cells are not pinned (app/styles/index-table.css: pinned cells slowed every
      // checkbox tick); this fails if Polaris renames the classes that rule relies on.
      expect(await position(keyCell)).toBe("static");

      await row.locator("td").nth(3).hover();
      await page.mouse.wheel(300, 0);
      await expect.poll(() => left(addedCell), POLL).toBeLessThan(added - 100);
      await expect.poll(() => position(keyCell), POLL).toBe("sticky");
      expect(Math.abs((await left(keyCell)) - key)).toBeLessThan(2);

      await page.mouse.wheel(-1000, 0);
      await expect.poll(() => left(addedCell), POLL).toBe(added);
      await expect.poll(() => position(keyCell), POLL).toBe("static");
      expect(await left(keyCell)).toBe(key);
    },
    STEP,
  );
});

describe("actions on a tag", () => {
  it(
    "cleans up duplicates, renames with the a-z rule, and deletes a tag with its keys",
    async () => {
      const id = await tagId("stellarquest");
      const frame = await openApp(`/app/tags/${id}`, "stellarquest");
      await frame.getByRole("button", { name: "More actions" }).first().click();
      await frame.getByRole("menuitem", { name: "Clean up duplicates" }).click();
      const dedupe = frame.getByRole("dialog", { name: "Clean up duplicates" });
      await dedupe.getByText("3 pending duplicates will be removed.").waitFor();
      await dedupe.getByRole("button", { name: "Remove 3 duplicates" }).click();
      await toast("3 duplicates removed").waitFor();

      await frame.getByRole("button", { name: "More actions" }).first().click();
      await frame.getByRole("menuitem", { name: "Rename tag" }).click();
      const rename = frame.getByRole("dialog", { name: "Rename stellarquest" });
      await rename.getByLabel("Tag name").fill("Stellar 2");
      await rename.getByRole("button", { name: "Rename" }).click();
      await rename.locator(".Polaris-InlineError").getByText(TAG_NAME_RULE).waitFor();
      await rename.getByLabel("Tag name").fill("codevault");
      await rename.getByRole("button", { name: "Rename" }).click();
      await rename.getByText('A tag named "codevault" already exists').waitFor();
      await rename.getByLabel("Tag name").fill("stellar");
      await rename.getByRole("button", { name: "Rename" }).click();
      await toast("Tag renamed to stellar").waitFor();
      await frame.getByRole("heading", { name: "stellar", exact: true }).waitFor();

      const unused = await tagId("unused");
      const keys = await prisma.keyTag.count({ where: { tagId: unused } });
      const tagFrame = await openApp(`/app/tags/${unused}`, "unused");
      await tagFrame.getByRole("button", { name: "More actions" }).first().click();
      await tagFrame.getByRole("menuitem", { name: "Delete tag" }).click();
      const remove = tagFrame.getByRole("dialog", { name: "Delete tag unused?" });
      await remove.getByText(`every licence key in it will be deleted: ${keys} keys`).waitFor();
      await remove.getByText("None of its keys is linked to an order.").waitFor();
      await remove.getByRole("button", { name: `Delete tag and ${keys} keys` }).click();
      await toast(`Tag unused and its ${keys} licence keys deleted`).waitFor();
      await tagFrame.getByRole("heading", { name: "Licence keys", exact: true }).waitFor();
      await expect.poll(() => tagFrame.getByRole("link", { name: "unused" }).count(), POLL).toBe(0);
      expect(await prisma.tag.count({ where: { id: unused } })).toBe(0);
    },
    STEP,
  );

  it(
    "offers no rename or delete on system tags, and the server refuses them anyway",
    async () => {
      const untagged = (await prisma.tag.findFirstOrThrow({ where: { shopId, kind: "UNTAGGED" } })).id;
      const frame = await openApp(`/app/tags/${untagged}`, "No tag");
      await frame.getByText("System tags can't be renamed or deleted.").waitFor();
      await frame.getByRole("button", { name: "More actions" }).first().click();
      expect(await frame.getByRole("menuitem", { name: /Rename tag/ }).isDisabled()).toBe(true);
      expect(await frame.getByRole("menuitem", { name: /Delete tag/ }).isDisabled()).toBe(true);
      const answer = await frame.evaluate(async (id) => {
        const body = new FormData();
        body.set("intent", "delete-tag");
        const response = await fetch(`/app/tags/${id}?_data=${encodeURIComponent("routes/app.tags.$tagId")}`, {
          method: "POST",
          body,
        });
        return { status: response.status, body: (await response.json()) as { error: string } };
      }, untagged);
      expect(answer).toEqual({
        status: 409,
        body: expect.objectContaining({ error: `"No tag" is a system tag: it can't be deleted.` }),
      });
      expect(await prisma.tag.count({ where: { id: untagged } })).toBe(1);
    },
    STEP,
  );

  it(
    "answers another shop's tag with a not-found page and changes nothing",
    async () => {
      const { ensureShop } = await import("~/models/shop.server");
      const other = await ensureShop("someone-else.myshopify.com");
      const theirs = await prisma.tag.create({ data: { shopId: other.id, name: "theirs" } });
      const frame = await openApp(`/app/tags/${theirs.id}`, "Tag not found");
      await frame.getByText("This tag doesn't exist").waitFor();
      const status = await frame.evaluate(async (id) => {
        const body = new FormData();
        body.set("intent", "rename");
        body.set("name", "stolen");
        const response = await fetch(`/app/tags/${id}?_data=${encodeURIComponent("routes/app.tags.$tagId")}`, {
          method: "POST",
          body,
        });
        return response.status;
      }, theirs.id);
      expect(status).toBe(404);
      expect((await prisma.tag.findUniqueOrThrow({ where: { id: theirs.id } })).name).toBe("theirs");
    },
    STEP,
  );
});

describe("an empty library", () => {
  it(
    "leads the merchant to adding keys",
    async () => {
      await prisma.licenseKey.deleteMany({ where: { shopId } });
      await prisma.tag.deleteMany({ where: { shopId, kind: "USER" } });
      const frame = await openApp("/app", "Licence keys");
      await frame.getByText("Add your first licence keys").waitFor();
      await frame.getByRole("button", { name: "Add keys" }).last().click();
      await expect.poll(() => new URL(frame.url()).pathname, POLL).toBe("/app/import");
    },
    STEP,
  );
});
