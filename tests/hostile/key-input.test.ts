// Adversarial key files and pasted text, end to end through the import route (multipart upload, then
// commit) over real PostgreSQL: each either imports exactly its valid keys or is refused with a line
// number; never a 500, and never a partial import (the rows of every key table are counted around each
// upload). The parser's own edge cases are in tests/unit/key-import.test.ts; this file proves the whole
// path, where a crash or half-written batch would show.
import { beforeAll, describe, expect, it } from "vitest";
import { dataPath, handle } from "tests/helpers/app";
import { prisma } from "tests/helpers/db";
import { adminRequest, installShop, TEST_SHOP } from "tests/helpers/shopify";

const IMPORT = "routes/app.import";
let shopId: number;

beforeAll(async () => {
  shopId = (await installShop(TEST_SHOP)).id;
  await handle(adminRequest(dataPath("/app/import", IMPORT), { shop: TEST_SHOP }));
});

async function counts() {
  const [row] = await prisma.$queryRaw<{ keys: number; links: number; tags: number; staged: number; batches: number }[]>`
    SELECT (SELECT count(*)::int FROM "license_key") AS keys, (SELECT count(*)::int FROM "key_tag") AS links,
           (SELECT count(*)::int FROM "tag") AS tags, (SELECT count(*)::int FROM "import_row") AS staged,
           (SELECT count(*)::int FROM "import_batch" WHERE "state" <> 'COMMITTED') AS batches`;
  return row;
}

async function upload(bytes: Uint8Array | string, { fileName = "keys.txt", tag = "hostile", paste = false } = {}) {
  const form = new FormData();
  form.append("intent", "upload");
  form.append("source", paste ? "paste" : "file");
  form.append("tags", tag);
  form.append("file", new Blob([bytes as BlobPart]), paste ? "pasted.txt" : fileName);
  const response = await handle(adminRequest(dataPath("/app/import", IMPORT), { shop: TEST_SHOP, form }));
  return { status: response.status, body: (await response.json()) as { ok: boolean; batchId?: number; errors?: Record<string, string[]> } };
}

async function commit(batchId: number) {
  const response = await handle(
    adminRequest(dataPath("/app/import", IMPORT), { shop: TEST_SHOP, form: { intent: "commit", batchId: String(batchId), duplicates: "keep" } }),
  );
  return { status: response.status, body: (await response.json()) as { ok: boolean; imported?: number } };
}

async function tagValues(tag: string) {
  const rows = await prisma.$queryRaw<{ value: string }[]>`
    SELECT k."value" FROM "license_key" k JOIN "key_tag" kt ON kt."key_id" = k."id" JOIN "tag" t ON t."id" = kt."tag_id"
    WHERE t."shop_id" = ${shopId} AND t."name" = ${tag} ORDER BY k."id"`;
  return rows.map((r) => r.value);
}

/** Accepted: imports exactly `keys`, in order, and nothing else anywhere. */
async function expectImports(input: Uint8Array | string, keys: string[], tag: string, options: { fileName?: string; paste?: boolean } = {}) {
  const before = await counts();
  const staged = await upload(input, { ...options, tag });
  expect(staged.status, JSON.stringify(staged.body.errors)).toBe(200);
  const done = await commit(staged.body.batchId!);
  expect(done.status).toBe(200);
  expect(done.body.imported).toBe(keys.length);
  expect(await tagValues(tag)).toEqual(keys);
  const after = await counts();
  expect(after.keys - before.keys).toBe(keys.length);
  expect(after.links - before.links).toBe(keys.length);
  expect(after.staged).toBe(before.staged);
}

/** Refused: a 4xx naming each bad line, and not one row written or left staged. */
async function expectRefused(input: Uint8Array | string, lines: number[], options: { fileName?: string; status?: number } = {}) {
  const before = await counts();
  const staged = await upload(input, { ...options, tag: "refused" });
  expect(staged.status).toBe(options.status ?? 422);
  expect(staged.body.ok).toBe(false);
  const messages = staged.body.errors?.file ?? [];
  for (const line of lines) expect(messages.some((m) => m.startsWith(`Line ${line.toLocaleString("en")}:`)), messages.join(" | ")).toBe(true);
  expect(await counts()).toEqual(before);
}

describe("adversarial key files through the import route", () => {
  it("mixed CRLF, LF and CR line endings with a BOM import exactly the keys", async () => {
    await expectImports("\uFEFFMIX-1\r\nMIX-2\nMIX-3\rMIX-4\r\n\r\n  MIX-5  \n", ["MIX-1", "MIX-2", "MIX-3", "MIX-4", "MIX-5"], "mixed");
  });

  it("two million blank lines around three keys import the three keys", async () => {
    const blank = "\n".repeat(1_000_000);
    await expectImports(`${blank}BLANK-1\n${blank}BLANK-2\r\n\r\nBLANK-3`, ["BLANK-1", "BLANK-2", "BLANK-3"], "blanks");
  });

  it("quoted CSV cells with commas and escaped quotes import the key column", async () => {
    const csv = 'note,licence_key\n"a, b","CSV-""1"""\n"multi\nline note",CSV-2\n';
    await expectImports(csv, ['CSV-"1"', "CSV-2"], "csvquoted", { fileName: "keys.csv" });
  });

  it("pasted text is read like a .txt file", async () => {
    await expectImports("PASTE-1\n\nPASTE-2\n", ["PASTE-1", "PASTE-2"], "pasted", { paste: true });
  });

  it("a key over 255 characters is refused on its line", async () => {
    await expectRefused(`OK-1\n${"A".repeat(256)}\nOK-2\n`, [2]);
  });

  it("a 5 MB line with no line break is refused without a crash", async () => {
    await expectRefused(`OK-1\n${"Z".repeat(5 * 1024 * 1024)}`, [2]);
  });

  it("NUL and control characters are refused on their lines", async () => {
    await expectRefused("OK-1\nBAD\u0000KEY\nOK-2\nBAD\u0007BELL\nBAD\u001bESC\n", [2, 4, 5]);
  });

  it("invalid UTF-8 is refused on its line", async () => {
    const bytes = Buffer.concat([Buffer.from("OK-1\nOK-2\nBAD-"), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from("\nOK-3\n")]);
    await expectRefused(bytes, [3]);
  });

  it("a quoted CSV key holding a line break is refused, naming the line where it starts", async () => {
    await expectRefused('key\nCSV-OK\n"CSV-\nBROKEN"\nCSV-OK-2\n', [3], { fileName: "keys.csv" });
  });

  it("a quote left open to the end of a CSV file is refused", async () => {
    await expectRefused('key\nCSV-A\n"CSV-OPEN\nCSV-B\nCSV-C\n', [3], { fileName: "keys.csv" });
  });

  it("a file of nothing but blank lines is refused", async () => {
    const before = await counts();
    const staged = await upload("\n\r\n\n   \n");
    expect(staged.status).toBe(422);
    expect(await counts()).toEqual(before);
  });

  it("generated files mixing every hazard: exactly the valid keys, or refusals naming the bad lines", async () => {
    // A fixed seed: the same 12 files every run, each checked end to end.
    let seed = 0x5eed;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const endings = ["\n", "\r\n", "\r"];
    for (let file = 0; file < 12; file++) {
      const parts: string[] = [];
      const keys: string[] = [];
      const bad: number[] = [];
      let line = 0;
      const lines = 20 + Math.floor(random() * 200);
      for (let i = 0; i < lines; i++) {
        line++;
        const roll = random();
        let text: string;
        // Blank lines hold a space: an empty one after a lone CR would join it into one CRLF break.
        if (roll < 0.15) text = " ";
        else if (roll < 0.18 && file % 2 === 0) {
          text = `BAD${["\u0000", "\u0001", "\u007f", "\u200b"][Math.floor(random() * 4)]}${i}`;
          bad.push(line);
        } else if (roll < 0.2 && file % 2 === 0) {
          text = "L".repeat(256 + Math.floor(random() * 5000));
          bad.push(line);
        } else {
          text = `GEN${file}-${i}-${Math.floor(random() * 1e9).toString(36)}`;
          keys.push(text);
          if (random() < 0.2) text = `  ${text}  `;
        }
        parts.push(text + endings[Math.floor(random() * 3)]);
      }
      const input = (file % 3 === 0 ? "\uFEFF" : "") + parts.join("");
      if (bad.length) await expectRefused(input, bad.slice(0, 5));
      else await expectImports(input, keys, `generated${"abcdefghijklmnop"[file]}`);
    }
  }, 120_000);
});
