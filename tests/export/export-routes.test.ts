// GIVEN two installed shops with licence keys
// WHEN the admin starts, follows and downloads exports through the real Remix handler, and someone
//      opens a download link
// THEN each shop reaches only its own exports, tags and emails (404 otherwise); links work while
//      signed and unexpired, and a tampered or expired link gets nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { runBackgroundTick } from "~/models/background.server";
import { signExportToken } from "~/models/export-files.server";
import { closePgPool } from "~/pg.server";
import { dataPath, handle } from "tests/helpers/app";
import { adminRequest, installShop, OTHER_SHOP, sessionToken, TEST_SHOP } from "tests/helpers/shopify";
import { expectedRows, HEADER, readCsv, seedLibrary, type SeededLibrary } from "./fixtures";

const EXPORTS = "routes/app.exports._index";
let mine: SeededLibrary;
let theirs: SeededLibrary;

function startRequest(shop: string, fields: Record<string, string>) {
  return adminRequest(dataPath("/app/exports?index", EXPORTS), { shop, form: { intent: "start", ...fields } });
}

async function startExportVia(shop: string, fields: Record<string, string>) {
  const response = await handle(startRequest(shop, fields));
  expect(response.status).toBe(201);
  return ((await response.json()) as { jobId: number }).jobId;
}

async function exportView(shop: string, jobId: number) {
  const response = await handle(adminRequest(`/app/exports/${jobId}`, { shop }));
  return {
    status: response.status,
    body: response.status === 200 ? ((await response.json()) as { export: Record<string, unknown> }) : null,
  };
}

async function download(path: string) {
  const response = await handle(new Request(new URL(path, "https://keyshelf.test")));
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

beforeAll(async () => {
  delete process.env.SMTP_URL;
  mine = await seedLibrary(TEST_SHOP, { count: 40, timeZone: "Asia/Tokyo" });
  theirs = await seedLibrary(OTHER_SHOP, { count: 10 });
});

afterAll(async () => {
  await closePgPool();
});

describe("starting and following an export", () => {
  it("starts, reports progress and offers a signed link to a file equal to the database", async () => {
    const jobId = await startExportVia(TEST_SHOP, { tagId: String(mine.tags.beta), q: "key", status: "" });
    const queued = await exportView(TEST_SHOP, jobId);
    expect(queued.body?.export).toMatchObject({ id: jobId, state: "QUEUED", progress: 0, downloadUrl: null });
    expect(queued.body?.export.total).toBeGreaterThan(5);

    await runBackgroundTick();
    const done = await exportView(TEST_SHOP, jobId);
    expect(done.body?.export).toMatchObject({ state: "SUCCEEDED", mail: null });
    const url = done.body?.export.downloadUrl as string;
    expect(url).toMatch(/^\/exports\/\d+\.\d+\.[\w-]{43}$/);

    const { response, body } = await download(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("Content-Disposition")).toMatch(/^attachment; filename="keyshelf-beta-\d{12}\.csv"$/);
    expect(Number(response.headers.get("Content-Length"))).toBe(body.length);
    const [header, ...rows] = readCsv(body);
    expect(header).toEqual(HEADER("Asia/Tokyo"));
    expect(rows).toEqual(
      await expectedRows({ shopId: mine.shopId, tagId: mine.tags.beta, q: "key", timeZone: "Asia/Tokyo" }),
    );
  }, 90_000);

  it("lists the shop's exports on the Exports page, and says plainly that email is not set up", async () => {
    const response = await handle(adminRequest(dataPath("/app/exports", EXPORTS), { shop: TEST_SHOP }));
    expect(response.status).toBe(200);
    const page = (await response.json()) as {
      exports: Array<{ state: string }>;
      mailConfigured: boolean;
      reportEmail: string;
    };
    expect(page.mailConfigured).toBe(false);
    expect(page.reportEmail).toBe(`owner@${TEST_SHOP}`);
    expect(page.exports.length).toBeGreaterThan(0);
    expect(page.exports.every((e) => e.state === "SUCCEEDED")).toBe(true);
  });

  it("answers 404 for another shop's export, tag and email, and changes nothing", async () => {
    const jobId = await startExportVia(TEST_SHOP, { tagId: "", q: "", status: "" });
    expect((await exportView(OTHER_SHOP, jobId)).status).toBe(404);
    expect((await exportView(OTHER_SHOP, 999_999)).status).toBe(404);

    const foreignTag = await handle(startRequest(OTHER_SHOP, { tagId: String(mine.tags.alpha), q: "", status: "" }));
    expect(foreignTag.status).toBe(404);
    expect(await prisma.job.count({ where: { shopId: theirs.shopId } })).toBe(0);

    for (const path of [
      `/app/exports/preview?tagId=${mine.tags.alpha}`,
      `/app/exports/download?tagId=${mine.tags.alpha}`,
    ]) {
      expect((await handle(adminRequest(path, { shop: OTHER_SHOP }))).status).toBe(404);
    }

    const mail = await prisma.mailMessage.create({
      data: { shopId: mine.shopId, kind: "LOW_STOCK", to: "x@y.test", subject: "s", text: "t", state: "FAILED" },
    });
    const retry = await handle(
      adminRequest(dataPath("/app/exports?index", EXPORTS), {
        shop: OTHER_SHOP,
        form: { intent: "retry-mail", mailId: String(mail.id) },
      }),
    );
    expect(retry.status).toBe(404);
    expect(await prisma.mailMessage.findUniqueOrThrow({ where: { id: mail.id } })).toMatchObject({ state: "FAILED" });
  });

  it("refuses bad input with 422, an unknown intent with 400 and a bad session with 401", async () => {
    const bad = await handle(startRequest(TEST_SHOP, { tagId: "", q: "", status: "LOST" }));
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { errors: Record<string, string[]> }).errors.status).toBeDefined();

    const unknown = await handle(
      adminRequest(dataPath("/app/exports?index", EXPORTS), { shop: TEST_SHOP, form: { intent: "explode" } }),
    );
    expect(unknown.status).toBe(400);

    const forged = await handle(
      adminRequest(`/app/exports/preview`, {
        shop: TEST_SHOP,
        token: sessionToken({ shop: TEST_SHOP, secret: "wrong" }),
      }),
    );
    expect(forged.status).toBe(401);
  });

  it("tells the dialog how many keys an export holds and where it is emailed", async () => {
    const response = await handle(
      adminRequest(`/app/exports/preview?tagId=${mine.tags.alpha}&status=PENDING`, { shop: TEST_SHOP }),
    );
    expect(response.status).toBe(200);
    const expected = await expectedRows({
      shopId: mine.shopId,
      tagId: mine.tags.alpha,
      status: "PENDING",
      timeZone: "UTC",
    });
    expect(await response.json()).toEqual({
      count: expected.length,
      directDownload: true,
      directDownloadLimit: 50_000,
      mailConfigured: false,
      reportEmail: `owner@${TEST_SHOP}`,
    });
  });
});

describe("Download now", () => {
  it("streams a small list's CSV in the response", async () => {
    const response = await handle(
      adminRequest(`/app/exports/download?tagId=${mine.tags.alpha}&status=PENDING`, { shop: TEST_SHOP }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Disposition")).toBe('attachment; filename="keyshelf-alpha-pending.csv"');
    const [header, ...rows] = readCsv(Buffer.from(await response.arrayBuffer()));
    expect(header).toEqual(HEADER("Asia/Tokyo"));
    expect(rows).toEqual(
      await expectedRows({ shopId: mine.shopId, tagId: mine.tags.alpha, status: "PENDING", timeZone: "Asia/Tokyo" }),
    );
  });

  it("refuses a list too large to download at once with 413", async () => {
    const big = await installShop("foxtrot-test.myshopify.com");
    await prisma.$executeRaw`
      INSERT INTO "license_key" ("shop_id", "value", "created_at")
      SELECT ${big.id}, 'BULK-' || g, now() AT TIME ZONE 'UTC' FROM generate_series(1, 50001) g`;
    const response = await handle(adminRequest(`/app/exports/download`, { shop: big.domain }));
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: string }).error).toContain("50,001 licence keys");
  });
});

describe("signed download links", () => {
  let jobId: number;
  let good: string;

  beforeAll(async () => {
    jobId = await startExportVia(TEST_SHOP, { tagId: String(mine.tags.alpha), q: "", status: "" });
    await runBackgroundTick();
    good = signExportToken({ shopId: mine.shopId, jobId, expiresAt: new Date(Date.now() + 600_000) });
  });

  it("serves the file without a session while signed and unexpired", async () => {
    const { response, body } = await download(`/exports/${good}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
    expect(readCsv(body).length).toBeGreaterThan(1);
  });

  it("refuses a tampered signature, another export's id and another shop's signature", async () => {
    const [id, exp, sig] = good.split(".");
    const flipped = `${sig.slice(0, -1)}${sig.endsWith("A") ? "B" : "A"}`;
    const forgedForOtherShop = signExportToken({
      shopId: theirs.shopId,
      jobId,
      expiresAt: new Date(Date.now() + 600_000),
    });
    for (const token of [
      `${id}.${exp}.${flipped}`,
      `${Number(id) + 1}.${exp}.${sig}`,
      `${id}.${Number(exp) + 3600}.${sig}`,
      forgedForOtherShop,
      "not-a-token",
    ]) {
      const { response, body } = await download(`/exports/${token}`);
      expect(response.status, token).toBe(404);
      expect(body.toString()).not.toContain("Licence key");
    }
  });

  it("refuses an expired link with 410", async () => {
    const expired = signExportToken({ shopId: mine.shopId, jobId, expiresAt: new Date(Date.now() - 1000) });
    const { response, body } = await download(`/exports/${expired}`);
    expect(response.status).toBe(410);
    expect(body.toString()).toContain("expired");
  });

  it("answers 410 once the file is past its 7 days, even for a link still valid", async () => {
    await prisma.$executeRaw`UPDATE "job" SET "finished_at" = "finished_at" - interval '8 days' WHERE "id" = ${jobId}`;
    await runBackgroundTick();
    expect(await prisma.exportFile.count({ where: { jobId } })).toBe(0);
    const { response } = await download(`/exports/${good}`);
    expect(response.status).toBe(410);
    const view = await exportView(TEST_SHOP, jobId);
    expect(view.body?.export).toMatchObject({ state: "SUCCEEDED", expired: true, downloadUrl: null });
  });
});
