// Adding keys over HTTP, through the real Remix handler: a multipart upload with a session token,
// the preview at ?batch=<id>, the commit; refusals for bad input, oversized uploads, forged tokens
// and another shop's upload.
import { beforeEach, describe, expect, it } from "vitest";
import { dataPath, handle } from "tests/helpers/app";
import { prisma, resetDatabase } from "tests/helpers/db";
import {
  adminRequest,
  BROWSER_UA,
  installShop,
  OTHER_SHOP,
  sessionToken,
  TEST_APP_URL,
  TEST_SHOP,
} from "tests/helpers/shopify";

const ROUTE = "routes/app.import";
const actionPath = dataPath("/app/import", ROUTE);

function uploadForm({
  keys,
  fileName = "keys.txt",
  tags = [],
  source = "file",
}: {
  keys: string | Uint8Array;
  fileName?: string;
  tags?: string[];
  source?: "file" | "paste";
}) {
  const form = new FormData();
  form.append("intent", "upload");
  form.append("source", source);
  for (const tag of tags) form.append("tags", tag);
  form.append("file", new Blob([keys as BlobPart]), fileName);
  return form;
}

async function upload(shop: string, options: Parameters<typeof uploadForm>[0]) {
  const response = await handle(adminRequest(actionPath, { shop, form: uploadForm(options) }));
  return { status: response.status, body: await response.json() };
}

async function preview(shop: string, batchId: number) {
  return handle(adminRequest(dataPath(`/app/import?batch=${batchId}`, ROUTE), { shop }));
}

async function stagedState() {
  const [row] = await prisma.$queryRaw<Array<{ keys: number; staged: number; batches: number }>>`
    SELECT (SELECT count(*) FROM license_key)::int AS keys, (SELECT count(*) FROM import_row)::int AS staged,
      (SELECT count(*) FROM import_batch)::int AS batches`;
  return row;
}

/** A multipart body streamed piece by piece, as a browser sends a large file, without Content-Length. */
function streamedUpload({ fileBytes, fill }: { fileBytes: number; fill: string }) {
  const boundary = "----keyshelf-test-boundary";
  const encoder = new TextEncoder();
  const head = encoder.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="intent"\r\n\r\nupload\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.txt"\r\nContent-Type: text/plain\r\n\r\n`,
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  const piece = encoder.encode(fill.repeat(Math.ceil((1 << 20) / fill.length)).slice(0, 1 << 20));
  let sent = 0;
  let stage: "head" | "body" | "tail" | "done" = "head";
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (stage === "head") {
        controller.enqueue(head);
        stage = "body";
      } else if (stage === "body") {
        const size = Math.min(piece.length, fileBytes - sent);
        controller.enqueue(piece.subarray(0, size));
        sent += size;
        if (sent >= fileBytes) stage = "tail";
      } else if (stage === "tail") {
        controller.enqueue(tail);
        stage = "done";
      } else {
        controller.close();
      }
    },
  });
  return new Request(new URL(actionPath, TEST_APP_URL), {
    method: "POST",
    headers: {
      Authorization: `Bearer ${sessionToken({ shop: TEST_SHOP })}`,
      "User-Agent": BROWSER_UA,
      "Content-Type": `multipart/form-data; boundary=${boundary}`,
    },
    body,
    duplex: "half",
  } as RequestInit);
}

describe("adding keys over HTTP", () => {
  let shopId: number;

  beforeEach(async () => {
    await resetDatabase();
    shopId = (await installShop(TEST_SHOP)).id;
    await installShop(OTHER_SHOP);
  });

  it("uploads a CSV, previews it and imports it into a new tag", async () => {
    const csv = "Order,Licence Key\r\n1001,AAA-111\r\n1002,BBB-222\r\n1003,AAA-111\r\n\r\n";
    const uploaded = await upload(TEST_SHOP, { keys: csv, fileName: "keys.csv", tags: ["games"] });
    expect(uploaded).toEqual({ status: 200, body: { intent: "upload", ok: true, batchId: expect.any(Number) } });

    const page = await preview(TEST_SHOP, uploaded.body.batchId);
    expect(page.status).toBe(200);
    const data = await page.json();
    expect(data.preview).toMatchObject({
      fileName: "keys.csv",
      tags: [{ name: "games", exists: false }],
      keys: 3,
      newKeys: 2,
      duplicatesInUpload: 1,
      alreadyInTags: 0,
      blankLines: 1,
    });
    expect(data.preview.rows.map((row: { value: string }) => row.value)).toEqual(["AAA-111", "BBB-222", "AAA-111"]);

    const commit = await handle(
      adminRequest(actionPath, {
        shop: TEST_SHOP,
        form: { intent: "commit", batchId: String(uploaded.body.batchId), duplicates: "skip" },
      }),
    );
    expect(commit.status).toBe(200);
    const committed = await commit.json();
    expect(committed).toMatchObject({ intent: "commit", ok: true, imported: 2, skipped: 1, tags: [{ name: "games" }] });
    const keys = await prisma.licenseKey.findMany({ where: { shopId }, orderBy: { id: "asc" }, select: { value: true } });
    expect(keys.map((k) => k.value)).toEqual(["AAA-111", "BBB-222"]);
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { shopId, action: "keys.import" } });
    expect(audit.actor).toBe("Staff member 70000001");
  });

  it("imports pasted keys into No tag when no tag is chosen", async () => {
    const uploaded = await upload(TEST_SHOP, { keys: "P-1\nP-2\n", source: "paste", fileName: "pasted.txt" });
    const commit = await handle(
      adminRequest(actionPath, {
        shop: TEST_SHOP,
        form: { intent: "commit", batchId: String(uploaded.body.batchId), duplicates: "keep" },
      }),
    );
    expect(await commit.json()).toMatchObject({ ok: true, imported: 2, tags: [{ name: "No tag" }] });
    const batch = await prisma.importBatch.findFirstOrThrow({ where: { shopId } });
    expect(batch.fileName).toBe("");
  });

  it("refuses a file with bad lines, naming them, and saves nothing", async () => {
    const result = await upload(TEST_SHOP, { keys: `OK-1\n${"K".repeat(256)}\nOK-2\nBAD\u0007\n`, tags: ["games"] });
    expect(result).toEqual({
      status: 422,
      body: {
        intent: "upload",
        ok: false,
        truncated: false,
        errors: {
          file: [
            "Line 2: the key is 256 characters long; the limit is 255.",
            "Line 4: the key contains a control character (U+0007).",
          ],
        },
      },
    });
    expect(await stagedState()).toEqual({ keys: 0, staged: 0, batches: 0 });
  });

  it("refuses a bad tag name with the rule, before reading the keys", async () => {
    const result = await upload(TEST_SHOP, { keys: "K-1\n", tags: ["Games 2"] });
    expect(result.status).toBe(422);
    expect(result.body.errors.tags[0]).toMatch(/^Tag names use lowercase letters a-z only/);
    expect(await stagedState()).toEqual({ keys: 0, staged: 0, batches: 0 });
  });

  it("refuses files that are not .txt or .csv", async () => {
    const result = await upload(TEST_SHOP, { keys: new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]), fileName: "keys.xlsx" });
    expect(result.status).toBe(422);
    expect(result.body.errors.file).toEqual([
      "Upload a .txt or .csv file. From a spreadsheet, save it as CSV UTF-8 first.",
    ]);
  });

  it("refuses an upload declared larger than 100 MB without reading it", async () => {
    const request = adminRequest(actionPath, { shop: TEST_SHOP, form: uploadForm({ keys: "K-1\n" }) });
    const forged = new Request(request, { headers: new Headers(request.headers) });
    forged.headers.set("Content-Length", String(150 * 1024 * 1024));
    const response = await handle(forged);
    expect(response.status).toBe(413);
    expect((await response.json()).errors.file[0]).toMatch(/^The file is larger than 100 MB/);
  });

  it("stops an upload streamed past 100 MB with a clear message and keeps nothing", async () => {
    const response = await handle(streamedUpload({ fileBytes: 101 * 1024 * 1024, fill: "\n" }));
    expect(response.status).toBe(413);
    expect((await response.json()).errors.file).toEqual([
      "The file is larger than 100 MB. Split it into smaller files and add them one after the other.",
    ]);
    expect(await stagedState()).toEqual({ keys: 0, staged: 0, batches: 0 });
  }, 120_000);

  it("refuses a forged session token and stages nothing", async () => {
    const response = await handle(
      adminRequest(actionPath, {
        shop: TEST_SHOP,
        token: sessionToken({ shop: TEST_SHOP, secret: "not-the-app-secret" }),
        form: uploadForm({ keys: "K-1\n" }),
      }),
    );
    expect(response.status).toBe(401);
    expect(await stagedState()).toEqual({ keys: 0, staged: 0, batches: 0 });
  });

  it("answers 404 to another shop for this shop's upload, and changes nothing", async () => {
    const uploaded = await upload(TEST_SHOP, { keys: "MINE-1\nMINE-2\n", tags: ["games"] });
    const batchId = String(uploaded.body.batchId);

    expect((await preview(OTHER_SHOP, uploaded.body.batchId)).status).toBe(404);
    const forms: Array<Record<string, string>> = [
      { intent: "commit", batchId, duplicates: "keep" },
      { intent: "discard", batchId },
    ];
    for (const form of forms) {
      const response = await handle(adminRequest(actionPath, { shop: OTHER_SHOP, form }));
      expect(response.status).toBe(404);
    }
    expect(await stagedState()).toEqual({ keys: 0, staged: 2, batches: 1 });
    expect((await preview(TEST_SHOP, uploaded.body.batchId)).status).toBe(200);
  });

  it("answers 409 to a second commit of the same upload", async () => {
    const uploaded = await upload(TEST_SHOP, { keys: "K-1\n" });
    const form = { intent: "commit", batchId: String(uploaded.body.batchId), duplicates: "skip" };
    expect((await handle(adminRequest(actionPath, { shop: TEST_SHOP, form }))).status).toBe(200);
    const again = await handle(adminRequest(actionPath, { shop: TEST_SHOP, form }));
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ errors: { form: ["These keys were already imported."] } });
    expect((await stagedState()).keys).toBe(1);
  });

  it("answers 400 to an unknown intent and 422 to a missing duplicates choice", async () => {
    const unknown = await handle(adminRequest(actionPath, { shop: TEST_SHOP, form: { intent: "explode" } }));
    expect(unknown.status).toBe(400);
    const uploaded = await upload(TEST_SHOP, { keys: "K-1\n" });
    const missing = await handle(
      adminRequest(actionPath, { shop: TEST_SHOP, form: { intent: "commit", batchId: String(uploaded.body.batchId) } }),
    );
    expect(missing.status).toBe(422);
    expect((await missing.json()).errors.duplicates).toEqual(["Choose whether to skip or keep duplicates."]);
  });

  it("prefills the destination from a tag's page", async () => {
    await prisma.tag.create({ data: { shopId, name: "games" } });
    const response = await handle(adminRequest(dataPath("/app/import?tag=games", ROUTE), { shop: TEST_SHOP }));
    const data = await response.json();
    expect(data.initialTags).toEqual(["games"]);
    expect(data.tagNames).toEqual(["games"]);
    expect(data.limits.maxBytes).toBe(100 * 1024 * 1024);
  });
});
