// GIVEN a shop's tags and keys, WHEN the merchant reads the overview or acts on a whole tag,
// THEN counts, refusals, deletions and the activity log are what the merchant is promised.
import { beforeEach, describe, expect, it } from "vitest";
import { prisma, resetDatabase } from "tests/helpers/db";
import { addKeys, countersAndTruth, createTag, linkOrder, systemTag, tagNamesOf } from "tests/helpers/library";
import { installShop, OTHER_SHOP, TEST_SHOP } from "tests/helpers/shopify";
import { LibraryError } from "~/lib/library";
import { TAG_NAME_RULE } from "~/lib/tags";
import { listAudit, recordAudit } from "~/models/audit.server";
import {
  cleanUpDuplicates,
  deleteTag,
  findOrCreateTags,
  getLibrarySummary,
  listTags,
  previewDuplicateCleanup,
  previewTagDelete,
  renameTag,
} from "~/models/tags.server";

const actor = "Staff member 42";

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LibraryError);
  return error as LibraryError;
}

let shopId: number;
let otherShopId: number;

beforeEach(async () => {
  await resetDatabase();
  shopId = (await installShop(TEST_SHOP)).id;
  otherShopId = (await installShop(OTHER_SHOP)).id;
});

describe("overview", () => {
  it("lists every tag with its counts, system tags included, sorted and searched by name", async () => {
    const zeta = await createTag(shopId, "zeta");
    const alpha = await createTag(shopId, "alpha");
    await addKeys(shopId, ["A1", "A2", "A3"], { tagIds: [alpha.id] });
    const [used] = await addKeys(shopId, ["A4"], { tagIds: [alpha.id] });
    await prisma.licenseKey.update({ where: { id: used }, data: { status: "USED" } });
    await addKeys(shopId, ["Z1"], { tagIds: [zeta.id] });
    await addKeys(shopId, ["loose"]);
    await createTag(otherShopId, "alphabet");

    const page = await listTags({ shopId });
    expect(page.tags.map((t) => t.name)).toEqual(["alpha", "Auto-generated", "No tag", "zeta"]);
    expect(page.total).toBe(4);
    const alphaRow = page.tags.find((t) => t.name === "alpha")!;
    expect(alphaRow).toMatchObject({ pending: 3, used: 1, assigned: 0, total: 4, kind: "USER" });
    expect(alphaRow.lastAddedAt).toBeInstanceOf(Date);
    expect(page.tags.find((t) => t.name === "No tag")).toMatchObject({ kind: "UNTAGGED", pending: 1 });

    expect((await listTags({ shopId, sort: "name desc" })).tags.map((t) => t.name)).toEqual([
      "zeta",
      "No tag",
      "Auto-generated",
      "alpha",
    ]);
    expect((await listTags({ shopId, sort: "remaining desc" })).tags.map((t) => t.name)).toEqual([
      "alpha",
      "No tag",
      "zeta",
      "Auto-generated",
    ]);
    expect((await listTags({ shopId, sort: "remaining asc" })).tags[0].name).toBe("Auto-generated");
    // Another shop's "alphabet" never shows; search is by any part of the name, case-insensitively.
    expect((await listTags({ shopId, q: "ALP" })).tags.map((t) => t.name)).toEqual(["alpha"]);
    expect((await listTags({ shopId, q: "%" })).tags).toEqual([]);
  });

  it("pages through many tags and clamps a page past the end", async () => {
    await prisma.$executeRaw`
      INSERT INTO "tag" ("shop_id", "name", "updated_at")
      SELECT ${shopId}, 'tag' || chr(97 + g / 26) || chr(97 + g % 26), now() FROM generate_series(0, 119) g`;
    const first = await listTags({ shopId, pageSize: 50 });
    expect(first).toMatchObject({ total: 122, page: 1, pageCount: 3 });
    expect(first.tags).toHaveLength(50);
    const last = await listTags({ shopId, pageSize: 50, page: 99 });
    expect(last.page).toBe(3);
    expect(last.tags).toHaveLength(22);
  });

  it("summarises keys once each, and the tags running low", async () => {
    const low = await createTag(shopId, "low", { lowStockThreshold: 5 });
    const fine = await createTag(shopId, "fine", { lowStockThreshold: 1 });
    const empty = await createTag(shopId, "empty");
    await createTag(shopId, "unlinked");
    await addKeys(shopId, ["L1", "L2"], { tagIds: [low.id, fine.id] });
    const [assigned] = await addKeys(shopId, ["F1"], { tagIds: [fine.id] });
    await linkOrder(shopId, [assigned]);
    await prisma.productLink.create({ data: { shopId, productId: 1n, tagId: empty.id } });
    await addKeys(otherShopId, ["O1", "O2", "O3"]);

    expect(await getLibrarySummary({ shopId })).toMatchObject({
      totalKeys: 3,
      remaining: 2,
      assigned: 1,
      // "low" is at 2 of 5; "empty" hands out keys to a product and has none. "fine" has 2 > 1.
      runningLow: 2,
    });
    const rows = (await listTags({ shopId })).tags;
    expect(rows.find((t) => t.name === "empty")?.linkedProducts).toBe(1);
  });
});

describe("findOrCreateTags", () => {
  it("reuses existing tags, creates missing ones, and keeps the order given", async () => {
    const existing = await createTag(shopId, "games");
    const tags = await findOrCreateTags({ shopId, names: ["music", "games", " music "] });
    expect(tags.map((t) => t.name)).toEqual(["music", "games"]);
    expect(tags[1].id).toBe(existing.id);
    expect(await prisma.tag.count({ where: { shopId, name: "music" } })).toBe(1);
    expect(await prisma.tag.count({ where: { shopId: otherShopId, name: "music" } })).toBe(0);
  });

  it("refuses names outside a-z, naming the rule, and creates nothing", async () => {
    for (const name of ["Games", "game2", "two words", "café", "No tag", ""]) {
      const error = await refusal(findOrCreateTags({ shopId, names: ["fine", name] }));
      expect(error.message).toContain(TAG_NAME_RULE);
      expect(error.status).toBe(422);
    }
    expect(await prisma.tag.count({ where: { shopId, name: "fine" } })).toBe(0);
  });
});

describe("rename", () => {
  it("renames a user tag and records who did it", async () => {
    const tag = await createTag(shopId, "old");
    await renameTag({ shopId, tagId: tag.id, name: "fresh", actor });
    expect((await prisma.tag.findUniqueOrThrow({ where: { id: tag.id } })).name).toBe("fresh");
    const { entries } = await listAudit({ shopId });
    expect(entries[0]).toMatchObject({ actor, action: "tag.rename", summary: 'Renamed tag "old" to "fresh"' });
  });

  it("refuses bad names, taken names, system tags and other shops' tags", async () => {
    const tag = await createTag(shopId, "mine");
    await createTag(shopId, "taken");
    const theirs = await createTag(otherShopId, "theirs");

    const bad = await refusal(renameTag({ shopId, tagId: tag.id, name: "Mine2", actor }));
    expect(bad).toMatchObject({ status: 422, field: "name", message: TAG_NAME_RULE });
    const taken = await refusal(renameTag({ shopId, tagId: tag.id, name: "taken", actor }));
    expect(taken.message).toBe('A tag named "taken" already exists. Tag names are unique.');
    const untagged = await systemTag(shopId, "UNTAGGED");
    const system = await refusal(renameTag({ shopId, tagId: untagged.id, name: "loose", actor }));
    expect(system).toMatchObject({ status: 409, message: `"No tag" is a system tag: it can't be renamed.` });
    const foreign = await refusal(renameTag({ shopId, tagId: theirs.id, name: "stolen", actor }));
    expect(foreign.status).toBe(404);

    expect((await prisma.tag.findUniqueOrThrow({ where: { id: theirs.id } })).name).toBe("theirs");
    expect((await prisma.tag.findUniqueOrThrow({ where: { id: tag.id } })).name).toBe("mine");
    expect((await listAudit({ shopId })).entries).toEqual([]);
  });
});

describe("delete tag", () => {
  it("previews, then deletes every key in the tag, including keys that also sit in other tags", async () => {
    const doomed = await createTag(shopId, "doomed");
    const keep = await createTag(shopId, "keep");
    const [a, , c] = await addKeys(shopId, ["D1", "D2", "D3"], { tagIds: [doomed.id] });
    const [shared] = await addKeys(shopId, ["S1"], { tagIds: [doomed.id, keep.id] });
    const [survivor] = await addKeys(shopId, ["K1"], { tagIds: [keep.id] });
    await linkOrder(shopId, [a, c]);
    await prisma.productLink.create({ data: { shopId, productId: 9n, tagId: doomed.id } });

    expect(await previewTagDelete({ shopId, tagId: doomed.id })).toMatchObject({
      keys: 4,
      linkedToOrders: 2,
      inOtherTags: 1,
      linkedProducts: 1,
    });

    const result = await deleteTag({ shopId, tagId: doomed.id, actor });
    expect(result).toMatchObject({ keys: 4, linkedToOrders: 2 });
    expect(await prisma.tag.findUnique({ where: { id: doomed.id } })).toBeNull();
    expect(await prisma.licenseKey.findUnique({ where: { id: shared } })).toBeNull();
    expect(await tagNamesOf(survivor)).toEqual(["keep"]);
    expect(await prisma.productLink.count({ where: { shopId } })).toBe(0);
    const keepCounts = await countersAndTruth(keep.id);
    expect(keepCounts.counters).toEqual(keepCounts.truth);
    expect(await getLibrarySummary({ shopId })).toMatchObject({ totalKeys: 1, remaining: 1 });

    const [entry] = (await listAudit({ shopId })).entries;
    expect(entry).toMatchObject({
      actor,
      action: "tag.delete",
      count: 4,
      summary: 'Deleted tag "doomed" and its 4 licence keys (2 linked to orders)',
    });
  });

  it("refuses system tags and another shop's tag, changing nothing", async () => {
    const auto = await systemTag(shopId, "AUTO_GENERATED");
    await addKeys(shopId, ["G1"], { tagIds: [auto.id], type: "AUTO_GENERATED" });
    const error = await refusal(deleteTag({ shopId, tagId: auto.id, actor }));
    expect(error.message).toBe(`"Auto-generated" is a system tag: it can't be deleted.`);
    await expect(previewTagDelete({ shopId, tagId: auto.id })).rejects.toBeInstanceOf(LibraryError);

    const theirs = await createTag(otherShopId, "theirs");
    await addKeys(otherShopId, ["T1"], { tagIds: [theirs.id] });
    expect((await refusal(deleteTag({ shopId, tagId: theirs.id, actor }))).status).toBe(404);
    expect((await refusal(previewTagDelete({ shopId, tagId: theirs.id }))).status).toBe(404);
    expect(await prisma.licenseKey.count()).toBe(2);
    expect((await listAudit({ shopId })).entries).toEqual([]);
  });
});

describe("clean up duplicates", () => {
  it("keeps the oldest of each value and removes later pending copies; copies in use stay", async () => {
    const tag = await createTag(shopId, "dupes");
    const other = await createTag(shopId, "other");
    // Oldest first: X(old), Y(old), X(pending), X(assigned), Y(pending, also in "other"), Z(unique)
    const [xOld, yOld, xPending, xAssigned, yShared, z] = await addKeys(shopId, ["X", "Y", "X", "X", "Y", "Z"], {
      tagIds: [tag.id],
    });
    await prisma.keyTag.create({ data: { tagId: other.id, keyId: yShared, shopId } });
    await linkOrder(shopId, [xAssigned]);
    // The same value in another shop and outside the tag is none of this tag's business.
    await addKeys(otherShopId, ["X"]);
    const [xElsewhere] = await addKeys(shopId, ["X"], { tagIds: [other.id] });

    expect(await previewDuplicateCleanup({ shopId, tagId: tag.id })).toMatchObject({
      duplicateValues: 2,
      remove: 2,
      keptInUse: 1,
    });
    const result = await cleanUpDuplicates({ shopId, tagId: tag.id, actor });
    expect(result).toMatchObject({ removed: 2, deleted: 1, unlinked: 1, keptInUse: 1 });

    const left = await prisma.keyTag.findMany({
      where: { tagId: tag.id },
      select: { keyId: true },
      orderBy: { keyId: "asc" },
    });
    expect(left.map((row) => row.keyId)).toEqual([xOld, yOld, xAssigned, z]);
    expect(await prisma.licenseKey.findUnique({ where: { id: xPending } })).toBeNull();
    // The copy that also sat in "other" only left this tag.
    expect(await tagNamesOf(yShared)).toEqual(["other"]);
    expect(await tagNamesOf(xElsewhere)).toEqual(["other"]);
    const counts = await countersAndTruth(tag.id);
    expect(counts.counters).toEqual(counts.truth);
    expect((await listAudit({ shopId })).entries[0]).toMatchObject({
      action: "tag.dedupe",
      count: 2,
      summary: 'Removed 2 duplicate licence keys from tag "dupes"',
    });

    // Running it again finds nothing and logs nothing.
    expect(await cleanUpDuplicates({ shopId, tagId: tag.id, actor })).toMatchObject({ removed: 0 });
    expect((await listAudit({ shopId })).entries).toHaveLength(1);
  });

  it("answers 404 for another shop's tag", async () => {
    const theirs = await createTag(otherShopId, "theirs");
    await addKeys(otherShopId, ["D", "D"], { tagIds: [theirs.id] });
    expect((await refusal(cleanUpDuplicates({ shopId, tagId: theirs.id, actor }))).status).toBe(404);
    expect(await prisma.licenseKey.count({ where: { shopId: otherShopId } })).toBe(2);
  });
});

describe("activity log", () => {
  it("pages newest first, back and forth, and keeps shops apart", async () => {
    for (let i = 1; i <= 7; i++) {
      await recordAudit({ shopId, actor, action: "keys.delete", summary: `entry ${i}`, count: i });
    }
    await recordAudit({ shopId: otherShopId, actor, action: "keys.delete", summary: "theirs" });
    const first = await listAudit({ shopId, limit: 3 });
    expect(first.entries.map((e) => e.summary)).toEqual(["entry 7", "entry 6", "entry 5"]);
    expect(first.before).toBeNull();
    const second = await listAudit({ shopId, limit: 3, after: first.after });
    expect(second.entries.map((e) => e.summary)).toEqual(["entry 4", "entry 3", "entry 2"]);
    const third = await listAudit({ shopId, limit: 3, after: second.after });
    expect(third.entries.map((e) => e.summary)).toEqual(["entry 1"]);
    expect(third.after).toBeNull();
    const back = await listAudit({ shopId, limit: 3, before: third.before });
    expect(back.entries.map((e) => e.summary)).toEqual(["entry 4", "entry 3", "entry 2"]);
    // A mangled cursor from an edited URL shows the first page.
    expect((await listAudit({ shopId, limit: 3, after: "nonsense" })).entries[0].summary).toBe("entry 7");
  });

  it("leaves no entry when the action's transaction rolls back", async () => {
    await expect(
      prisma.$transaction(async (tx) => {
        await recordAudit({ tx, shopId, actor, action: "keys.delete", summary: "never happened" });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect((await listAudit({ shopId })).entries).toEqual([]);
  });
});
