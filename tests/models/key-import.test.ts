// GIVEN a merchant adding licence keys (pasted or uploaded), WHEN the upload is staged, previewed
// and committed, THEN the preview counts what will happen, the commit saves exactly that, all or
// nothing, in the chosen tags, and no shop can see or touch another shop's upload.
import { beforeEach, describe, expect, it } from "vitest";
import { prisma, resetDatabase } from "tests/helpers/db";
import { installShop, OTHER_SHOP, TEST_SHOP } from "tests/helpers/shopify";
import {
  cleanUpStaleImports,
  commitKeyImport,
  discardKeyImport,
  getKeyImportPreview,
  stageKeyImport,
} from "~/models/key-import.server";

async function* chunks(text: string | Uint8Array, size = 7) {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

async function stage(shopId: number, text: string, tagNames: string[] = [], fileName = "keys.txt") {
  return stageKeyImport({ shopId, source: "file", fileName, tagNames, body: chunks(text) });
}

async function staged(shopId: number, text: string, tagNames: string[] = [], fileName = "keys.txt") {
  const result = await stage(shopId, text, tagNames, fileName);
  if (!result.ok) throw new Error(`staging failed: ${JSON.stringify(result)}`);
  return result.batchId;
}

async function keysOf(tagName: string, shopId: number) {
  const rows = await prisma.$queryRaw<Array<{ value: string; status: string; kt_status: string }>>`
    SELECT k.value, k.status::text AS status, kt.status::text AS kt_status
    FROM key_tag kt JOIN tag t ON t.id = kt.tag_id JOIN license_key k ON k.id = kt.key_id
    WHERE t.name = ${tagName} AND t.shop_id = ${shopId} ORDER BY k.id`;
  return rows;
}

async function counts() {
  const [row] = await prisma.$queryRaw<Array<{ keys: number; links: number; staged: number; batches: number }>>`
    SELECT (SELECT count(*) FROM license_key)::int AS keys, (SELECT count(*) FROM key_tag)::int AS links,
      (SELECT count(*) FROM import_row)::int AS staged, (SELECT count(*) FROM import_batch)::int AS batches`;
  return row;
}

async function addKeys(shopId: number, tagName: string, values: string[]) {
  const tag = await prisma.tag.upsert({
    where: { shopId_name: { shopId, name: tagName } },
    create: { shopId, name: tagName },
    update: {},
  });
  await prisma.$executeRaw`
    WITH k AS (INSERT INTO license_key (shop_id, value) SELECT ${shopId}, v FROM unnest(${values}::text[]) v RETURNING id, status)
    INSERT INTO key_tag (tag_id, key_id, shop_id, status) SELECT ${tag.id}, id, ${shopId}, status FROM k`;
  return tag;
}

describe("adding licence keys", () => {
  let shopId: number;
  let otherShopId: number;

  beforeEach(async () => {
    await resetDatabase();
    shopId = (await installShop(TEST_SHOP)).id;
    otherShopId = (await installShop(OTHER_SHOP)).id;
  });

  it("previews new keys, blank lines, repeats inside the upload and keys already in the tag", async () => {
    await addKeys(shopId, "games", ["OLD-1", "OLD-2"]);
    // The same value in another shop or another tag is not "already in the tag".
    await addKeys(otherShopId, "games", ["NEW-1"]);
    await addKeys(shopId, "other", ["NEW-2"]);
    const batchId = await staged(shopId, "NEW-1\n\nOLD-1\r\nNEW-2\n  NEW-1  \n\n\nNEW-3\nOLD-2\nOLD-2\n", ["games"]);

    const preview = await getKeyImportPreview({ shopId, batchId });
    expect(preview).toMatchObject({
      state: "READY",
      tags: [{ name: "games", exists: true }],
      lines: 10,
      blankLines: 3,
      keys: 7,
      duplicatesInUpload: 2,
      alreadyInTags: 2,
      newKeys: 3,
    });
    expect(preview.rows.map((row) => [row.line, row.value, row.repeated, row.existing])).toEqual([
      [1, "NEW-1", false, false],
      [3, "OLD-1", false, true],
      [4, "NEW-2", false, false],
      [5, "NEW-1", true, false],
      [8, "NEW-3", false, false],
      [9, "OLD-2", false, true],
      [10, "OLD-2", true, true],
    ]);
    // Nothing is saved by a preview.
    expect(await keysOf("games", shopId)).toHaveLength(2);
  });

  it("skipping duplicates imports each new key once, in file order, as Pending keys of the tag", async () => {
    const games = await addKeys(shopId, "games", ["OLD-1"]);
    const batchId = await staged(shopId, "B-2\nA-1\nOLD-1\nB-2\nC-3\n", ["games"]);

    const result = await commitKeyImport({ shopId, batchId, duplicates: "skip", actor: "Staff member 1" });
    expect(result).toMatchObject({ imported: 3, skipped: 2, tags: [{ id: games.id, name: "games" }] });
    expect(await keysOf("games", shopId)).toEqual([
      { value: "OLD-1", status: "PENDING", kt_status: "PENDING" },
      { value: "B-2", status: "PENDING", kt_status: "PENDING" },
      { value: "A-1", status: "PENDING", kt_status: "PENDING" },
      { value: "C-3", status: "PENDING", kt_status: "PENDING" },
    ]);
    const tag = await prisma.tag.findUniqueOrThrow({ where: { id: games.id } });
    expect(tag.pendingCount).toBe(4);
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { shopId, action: "keys.import" } });
    expect(audit).toMatchObject({ actor: "Staff member 1", count: 3 });
    expect(audit.summary).toBe("Added 3 licence keys to tag games from keys.txt (2 duplicates skipped)");
    // The staged rows are gone; committing again is refused.
    expect((await counts()).staged).toBe(0);
    await expect(commitKeyImport({ shopId, batchId, duplicates: "skip", actor: "x" })).rejects.toMatchObject({ status: 409 });
    expect(await keysOf("games", shopId)).toHaveLength(4);
  });

  it("keeping duplicates imports every line", async () => {
    await addKeys(shopId, "games", ["OLD-1"]);
    const batchId = await staged(shopId, "A\nA\nOLD-1\n", ["games"]);
    const result = await commitKeyImport({ shopId, batchId, duplicates: "keep", actor: "x" });
    expect(result).toMatchObject({ imported: 3, skipped: 0 });
    expect((await keysOf("games", shopId)).map((k) => k.value)).toEqual(["OLD-1", "A", "A", "OLD-1"]);
  });

  it("creates new destination tags only when the keys are imported, and puts every key in each tag", async () => {
    await addKeys(shopId, "games", []);
    const batchId = await staged(shopId, "K-1\nK-2\n", ["games", "bundle"]);
    const preview = await getKeyImportPreview({ shopId, batchId });
    expect(preview.tags).toEqual([
      { name: "games", exists: true },
      { name: "bundle", exists: false },
    ]);
    expect(await prisma.tag.count({ where: { shopId, name: "bundle" } })).toBe(0);

    await commitKeyImport({ shopId, batchId, duplicates: "skip", actor: "x" });
    expect((await keysOf("games", shopId)).map((k) => k.value)).toEqual(["K-1", "K-2"]);
    expect((await keysOf("bundle", shopId)).map((k) => k.value)).toEqual(["K-1", "K-2"]);
    expect((await counts()).keys).toBe(2);
    const bundle = await prisma.tag.findFirstOrThrow({ where: { shopId, name: "bundle" } });
    expect(bundle.pendingCount).toBe(2);
  });

  it("puts keys imported without a tag into the No tag system tag", async () => {
    const batchId = await staged(shopId, "LOOSE-1\nLOOSE-2\n");
    expect((await getKeyImportPreview({ shopId, batchId })).tags).toEqual([{ name: "No tag", exists: true }]);
    await commitKeyImport({ shopId, batchId, duplicates: "skip", actor: "x" });
    expect((await keysOf("No tag", shopId)).map((k) => k.value)).toEqual(["LOOSE-1", "LOOSE-2"]);
  });

  it("reads the key column of a CSV file", async () => {
    const batchId = await staged(shopId, 'product,"Licence key"\r\nGame,"K-1"\r\n"Game, deluxe",K-2\r\n', ["games"], "keys.csv");
    await commitKeyImport({ shopId, batchId, duplicates: "skip", actor: "x" });
    expect((await keysOf("games", shopId)).map((k) => k.value)).toEqual(["K-1", "K-2"]);
  });

  it("refuses a file with a bad line, naming it, and saves nothing", async () => {
    const result = await stage(shopId, `GOOD-1\nGOOD-2\n${"x".repeat(300)}\nBAD\u0000KEY\nGOOD-3\n`, ["games"]);
    expect(result).toEqual({
      ok: false,
      reason: "invalid",
      truncated: false,
      issues: [
        { line: 3, message: "Line 3: the key is 300 characters long; the limit is 255." },
        {
          line: 4,
          message: "Line 4: the key contains a NUL character (U+0000); is the file saved as UTF-16? Save it as UTF-8.",
        },
      ],
    });
    expect(await counts()).toEqual({ keys: 0, links: 0, staged: 0, batches: 0 });
    expect(await prisma.tag.count({ where: { name: "games" } })).toBe(0);
  });

  it("refuses an upload over the size limit and keeps nothing of it", async () => {
    const result = await stageKeyImport({
      shopId,
      source: "file",
      fileName: "big.txt",
      tagNames: [],
      body: chunks("KEY-0001\n".repeat(20_000), 4096),
      maxBytes: 100_000,
    });
    expect(result).toEqual({ ok: false, reason: "too-large", maxBytes: 100_000 });
    expect(await counts()).toEqual({ keys: 0, links: 0, staged: 0, batches: 0 });
  });

  it("refuses a file with nothing but blank lines", async () => {
    expect(await stage(shopId, "\n \n\t\n")).toEqual({ ok: false, reason: "empty", lines: 3, blankLines: 3 });
    expect((await counts()).batches).toBe(0);
  });

  it("keeps nothing of an upload whose connection drops halfway", async () => {
    async function* broken() {
      yield new TextEncoder().encode("K-1\nK-2\n".repeat(50_000));
      throw new Error("socket hang up");
    }
    await expect(
      stageKeyImport({ shopId, source: "file", fileName: "k.txt", tagNames: [], body: broken() }),
    ).rejects.toThrow("socket hang up");
    expect(await counts()).toEqual({ keys: 0, links: 0, staged: 0, batches: 0 });
  });

  it("keeps nothing when the database connection drops in the middle of staging", async () => {
    const encoder = new TextEncoder();
    async function* body() {
      for (let i = 0; i < 40; i++) {
        yield encoder.encode(Array.from({ length: 5_000 }, (_, j) => `K-${i}-${j}`).join("\n") + "\n");
        if (i === 5) {
          const killed = await prisma.$queryRaw<Array<{ ok: boolean }>>`
            SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
            WHERE datname = current_database() AND query LIKE 'COPY "import_row"%'`;
          expect(killed).toEqual([{ ok: true }]);
        }
      }
    }
    await expect(stageKeyImport({ shopId, source: "file", fileName: "k.txt", tagNames: [], body: body() })).rejects.toThrow();
    expect(await counts()).toEqual({ keys: 0, links: 0, staged: 0, batches: 0 });
  });

  it("rolls the whole commit back when any part of it fails", async () => {
    await addKeys(shopId, "games", ["OLD-1"]);
    const batchId = await staged(shopId, "K-1\nK-2\nK-3\n", ["games", "fresh"]);
    // A failure at the very end of the transaction (after keys, links, counters and the audit entry).
    await prisma.$executeRawUnsafe(`
      CREATE FUNCTION fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.state = 'COMMITTED' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$`);
    await prisma.$executeRawUnsafe(
      `CREATE TRIGGER fail_commit BEFORE UPDATE ON import_batch FOR EACH ROW EXECUTE FUNCTION fail_commit()`,
    );
    try {
      await expect(commitKeyImport({ shopId, batchId, duplicates: "skip", actor: "x" })).rejects.toThrow(/disk full/);
    } finally {
      await prisma.$executeRawUnsafe(`DROP TRIGGER fail_commit ON import_batch`);
      await prisma.$executeRawUnsafe(`DROP FUNCTION fail_commit()`);
    }
    expect(await keysOf("games", shopId)).toHaveLength(1);
    expect(await prisma.tag.count({ where: { shopId, name: "fresh" } })).toBe(0);
    expect((await prisma.tag.findFirstOrThrow({ where: { shopId, name: "games" } })).pendingCount).toBe(1);
    expect(await prisma.auditEvent.count({ where: { action: "keys.import" } })).toBe(0);
    // The upload is still there to retry.
    const retried = await commitKeyImport({ shopId, batchId, duplicates: "skip", actor: "x" });
    expect(retried.imported).toBe(3);
  });

  it("answers 404 for another shop's upload and changes nothing", async () => {
    const batchId = await staged(shopId, "MINE-1\n", ["games"]);
    await expect(getKeyImportPreview({ shopId: otherShopId, batchId })).rejects.toMatchObject({ status: 404 });
    await expect(
      commitKeyImport({ shopId: otherShopId, batchId, duplicates: "keep", actor: "x" }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(discardKeyImport({ shopId: otherShopId, batchId })).rejects.toMatchObject({ status: 404 });
    expect(await counts()).toMatchObject({ keys: 0, staged: 1, batches: 1 });
    expect((await getKeyImportPreview({ shopId, batchId })).keys).toBe(1);
  });

  it("discards a previewed upload", async () => {
    const batchId = await staged(shopId, "K-1\n");
    await discardKeyImport({ shopId, batchId });
    expect(await counts()).toEqual({ keys: 0, links: 0, staged: 0, batches: 0 });
    await expect(getKeyImportPreview({ shopId, batchId })).rejects.toMatchObject({ status: 404 });
  });

  it("cleans up uploads left unimported for a day", async () => {
    const old = await staged(shopId, "OLD\n");
    const fresh = await staged(shopId, "FRESH\n");
    const done = await staged(shopId, "DONE\n");
    await commitKeyImport({ shopId, batchId: done, duplicates: "skip", actor: "x" });
    await prisma.importBatch.updateMany({
      where: { id: { in: [old, done] } },
      data: { createdAt: new Date(Date.now() - 25 * 3600_000) },
    });
    expect(await cleanUpStaleImports()).toBe(1);
    const left = await prisma.importBatch.findMany({ select: { id: true }, orderBy: { id: "asc" } });
    expect(left.map((b) => b.id)).toEqual([fresh, done]);
    expect(await prisma.importRow.count()).toBe(1);
  });

  it("gives orders waiting on the tag their keys as soon as keys arrive", async () => {
    const games = await addKeys(shopId, "games", []);
    const [order] = await prisma.$queryRaw<Array<{ id: number }>>`
      INSERT INTO "order" (shop_id, shopify_id, name, shortfall, carries_keys, updated_at, placed_at)
      VALUES (${shopId}, 1001, '#1001', 2, true, now(), now() - interval '1 hour') RETURNING id`;
    await prisma.$executeRaw`
      INSERT INTO order_line (shop_id, order_id, line_item_id, title, quantity, tag_id, keys_needed)
      VALUES (${shopId}, ${order.id}, 1, 'Game', 2, ${games.id}, 2)`;

    const batchId = await staged(shopId, "K-1\nK-2\nK-3\n", ["games"]);
    const result = await commitKeyImport({ shopId, batchId, duplicates: "skip", actor: "x" });
    expect(result.filled).toEqual({ ordersFilled: 1, keysAssigned: 2 });
    const keys = await prisma.licenseKey.findMany({ where: { shopId }, orderBy: { id: "asc" } });
    expect(keys.map((k) => [k.value, k.status, k.orderId])).toEqual([
      ["K-1", "ASSIGNED", order.id],
      ["K-2", "ASSIGNED", order.id],
      ["K-3", "PENDING", null],
    ]);
    const tag = await prisma.tag.findUniqueOrThrow({ where: { id: games.id } });
    expect({ pending: tag.pendingCount, assigned: tag.assignedCount }).toEqual({ pending: 1, assigned: 2 });
  });
});
