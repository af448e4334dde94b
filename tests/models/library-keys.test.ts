// GIVEN a tag's keys, WHEN the merchant searches, filters, pages, deletes, moves or tags them,
// THEN the list, the tags each key sits in, the counters and the activity log follow the rules.
import pg from "pg";
import { beforeEach, describe, expect, it } from "vitest";
import { prisma, resetDatabase } from "tests/helpers/db";
import {
  addKeys,
  countersAndTruth,
  createTag,
  keysWithoutAnyTag,
  linkOrder,
  systemTag,
  tagNamesOf,
  untaggedKeysWithTags,
} from "tests/helpers/library";
import { installShop, OTHER_SHOP, TEST_SHOP } from "tests/helpers/shopify";
import { LibraryError } from "~/lib/library";
import { listAudit } from "~/models/audit.server";
import {
  addTagsToKeys,
  deleteKey,
  deleteKeys,
  listKeys,
  moveKeys,
  previewKeyDelete,
  previewKeySelection,
} from "~/models/keys.server";

const actor = "Staff member 42";

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LibraryError);
  return error as LibraryError;
}

async function expectCountersTrue(...tagIds: number[]) {
  for (const tagId of tagIds) {
    const { counters, truth } = await countersAndTruth(tagId);
    expect(counters).toEqual(truth);
  }
}

let shopId: number;
let otherShopId: number;

beforeEach(async () => {
  await resetDatabase();
  shopId = (await installShop(TEST_SHOP)).id;
  otherShopId = (await installShop(OTHER_SHOP)).id;
});

describe("a tag's key list", () => {
  it("shows each key with its type, status, tags and order, newest first", async () => {
    const tag = await createTag(shopId, "games");
    const extra = await createTag(shopId, "bundle");
    const [older, newer] = await addKeys(shopId, ["AAAA-1111", "BBBB-2222"], { tagIds: [tag.id] });
    await prisma.keyTag.create({ data: { tagId: extra.id, keyId: older, shopId, status: "PENDING" } });
    await linkOrder(shopId, [older], { name: "#1042", shopifyId: 820982911946154500n });

    const page = await listKeys({ shopId, tagId: tag.id });
    expect(page.matches).toBe(2);
    expect(page.keys.map((k) => k.id)).toEqual([newer, older]);
    expect(page.keys[1]).toMatchObject({
      value: "AAAA-1111",
      type: "UPLOADED",
      status: "ASSIGNED",
      order: { name: "#1042", shopifyId: "820982911946154500" },
    });
    expect(page.keys[1].tags.map((t) => t.name).sort()).toEqual(["bundle", "games"]);
    expect(page.keys[1].createdAt).toBeInstanceOf(Date);
    expect(page.keys[0].order).toBeNull();
  });

  it("searches any part of the key case-insensitively, short and long fragments alike", async () => {
    const tag = await createTag(shopId, "games");
    const values = Array.from({ length: 60 }, (_, i) => `KEY-${String(i).padStart(3, "0")}-ZZ`);
    await addKeys(shopId, [...values, "ab_c%d", "SPECIAL-QX7"], { tagIds: [tag.id] });
    // The same fragment in another shop or another tag never shows.
    await addKeys(otherShopId, ["SPECIAL-QX7"]);
    await addKeys(shopId, ["SPECIAL-QX7-ELSEWHERE"]);

    const exact = await listKeys({ shopId, tagId: tag.id, q: "qx7" });
    expect(exact.keys.map((k) => k.value)).toEqual(["SPECIAL-QX7"]);
    expect(exact.matches).toBe(1);
    expect((await listKeys({ shopId, tagId: tag.id, q: "x7" })).keys.map((k) => k.value)).toEqual(["SPECIAL-QX7"]);
    expect((await listKeys({ shopId, tagId: tag.id, q: "05" })).matches).toBe(11); // 005 and 050-059
    // Wildcards in the fragment are literal characters.
    expect((await listKeys({ shopId, tagId: tag.id, q: "_c%" })).keys.map((k) => k.value)).toEqual(["ab_c%d"]);
    expect((await listKeys({ shopId, tagId: tag.id, q: "%" })).matches).toBe(1);
    // A fragment in every key: all of them match and the first page shows 50.
    const broad = await listKeys({ shopId, tagId: tag.id, q: "-zz" });
    expect(broad.matches).toBe(60);
    expect(broad.keys).toHaveLength(50);
    expect(broad.nextCursor).not.toBeNull();
    expect((await listKeys({ shopId, tagId: tag.id, q: "nothing-like-it" })).keys).toEqual([]);
  });

  it("finds a fragment shared by thousands of keys by walking the tag instead", async () => {
    const tag = await createTag(shopId, "bulk");
    await prisma.$executeRaw`
      INSERT INTO "license_key" ("shop_id", "value") SELECT ${shopId}, 'COMMON-' || g FROM generate_series(1, 5200) g`;
    await prisma.$executeRaw`
      INSERT INTO "key_tag" ("tag_id", "key_id", "shop_id", "status")
      SELECT ${tag.id}, "id", "shop_id", "status" FROM "license_key" WHERE "shop_id" = ${shopId} AND "value" LIKE 'COMMON-%'`;
    const page = await listKeys({ shopId, tagId: tag.id, q: "common" });
    expect(page.matches).toBe(5200);
    expect(page.keys[0].value).toBe("COMMON-5200");
    expect(page.keys).toHaveLength(50);
    expect((await listKeys({ shopId, tagId: tag.id, q: "mmon-5199" })).keys.map((k) => k.value)).toEqual([
      "COMMON-5199",
    ]);
    // Keys another shop added since do not show, and a one- or two-character fragment's count stops
    // at 1,000 ("1,000+ matches"); its page is the tag's newest matches all the same.
    await addKeys(otherShopId, ["COMMON-9999", "NEWEST-M"]);
    const short = await listKeys({ shopId, tagId: tag.id, q: "m" });
    expect(short).toMatchObject({ matches: 1000, matchesCapped: true });
    expect(short.keys.map((k) => k.value).slice(0, 2)).toEqual(["COMMON-5200", "COMMON-5199"]);
    expect(await listKeys({ shopId, tagId: tag.id, q: "n-" })).toMatchObject({ matches: 1000, matchesCapped: true });
    expect(await listKeys({ shopId, tagId: tag.id, q: "99" })).toMatchObject({ matches: 97, matchesCapped: false });
  });

  it("filters by status with counts from the tag's counters", async () => {
    const tag = await createTag(shopId, "games");
    const ids = await addKeys(shopId, ["P1", "P2", "A1", "U1"], { tagIds: [tag.id] });
    await linkOrder(shopId, [ids[2], ids[3]]);
    await prisma.licenseKey.update({ where: { id: ids[3] }, data: { status: "USED" } });

    const pending = await listKeys({ shopId, tagId: tag.id, status: "PENDING" });
    expect(pending.keys.map((k) => k.value)).toEqual(["P2", "P1"]);
    expect(pending.matches).toBe(2);
    expect((await listKeys({ shopId, tagId: tag.id, status: "USED" })).keys.map((k) => k.value)).toEqual(["U1"]);
    const searched = await listKeys({ shopId, tagId: tag.id, status: "ASSIGNED", q: "a1" });
    expect(searched.keys.map((k) => k.value)).toEqual(["A1"]);
    expect((await listKeys({ shopId, tagId: tag.id, status: "PENDING", q: "a1" })).matches).toBe(0);
  });

  it("pages forwards and back with cursors", async () => {
    const tag = await createTag(shopId, "games");
    const values = Array.from({ length: 7 }, (_, i) => `K${i + 1}`);
    await addKeys(shopId, values, { tagIds: [tag.id] });
    const first = await listKeys({ shopId, tagId: tag.id, pageSize: 3 });
    expect(first.keys.map((k) => k.value)).toEqual(["K7", "K6", "K5"]);
    expect(first.previousCursor).toBeNull();
    const second = await listKeys({ shopId, tagId: tag.id, pageSize: 3, after: first.nextCursor });
    expect(second.keys.map((k) => k.value)).toEqual(["K4", "K3", "K2"]);
    const third = await listKeys({ shopId, tagId: tag.id, pageSize: 3, after: second.nextCursor });
    expect(third.keys.map((k) => k.value)).toEqual(["K1"]);
    expect(third.nextCursor).toBeNull();
    const back = await listKeys({ shopId, tagId: tag.id, pageSize: 3, before: third.previousCursor });
    expect(back.keys.map((k) => k.value)).toEqual(["K4", "K3", "K2"]);
    const start = await listKeys({ shopId, tagId: tag.id, pageSize: 3, before: back.previousCursor });
    expect(start.keys.map((k) => k.value)).toEqual(["K7", "K6", "K5"]);
    expect(start.previousCursor).toBeNull();
    // Searching pages the same way.
    const searched = await listKeys({ shopId, tagId: tag.id, pageSize: 3, q: "k", after: first.nextCursor });
    expect(searched.keys.map((k) => k.value)).toEqual(["K4", "K3", "K2"]);
  });

  it("answers 404 for another shop's tag", async () => {
    const theirs = await createTag(otherShopId, "theirs");
    expect((await refusal(listKeys({ shopId, tagId: theirs.id }))).status).toBe(404);
  });
});

describe("deleting one key", () => {
  it("previews the order the key is linked to, deletes it from every tag and logs it", async () => {
    const tag = await createTag(shopId, "games");
    const other = await createTag(shopId, "other");
    const [key] = await addKeys(shopId, ["GONE-1"], { tagIds: [tag.id, other.id] });
    await linkOrder(shopId, [key], { name: "#1001" });
    expect(await previewKeyDelete({ shopId, keyId: key })).toMatchObject({
      value: "GONE-1",
      status: "ASSIGNED",
      order: { name: "#1001" },
    });
    await deleteKey({ shopId, keyId: key, actor });
    expect(await prisma.licenseKey.findUnique({ where: { id: key } })).toBeNull();
    await expectCountersTrue(tag.id, other.id);
    expect((await listAudit({ shopId })).entries[0]).toMatchObject({
      action: "keys.delete",
      count: 1,
      summary: "Deleted licence key GONE-1 (linked to order #1001)",
    });
  });

  it("answers 404 for another shop's key and leaves it alone", async () => {
    const [theirs] = await addKeys(otherShopId, ["THEIRS"]);
    expect((await refusal(deleteKey({ shopId, keyId: theirs, actor }))).status).toBe(404);
    expect((await refusal(previewKeyDelete({ shopId, keyId: theirs }))).status).toBe(404);
    expect(await prisma.licenseKey.count({ where: { id: theirs } })).toBe(1);
  });
});

describe("bulk delete", () => {
  it("deletes ticked keys after previewing how many are linked to orders", async () => {
    const tag = await createTag(shopId, "games");
    const other = await createTag(shopId, "other");
    const ids = await addKeys(shopId, ["A", "B", "C", "D"], { tagIds: [tag.id] });
    await prisma.keyTag.create({ data: { tagId: other.id, keyId: ids[1], shopId } });
    await linkOrder(shopId, [ids[0]]);
    const selection = { scope: "ids" as const, ids: [ids[0], ids[1], ids[2]] };

    expect(await previewKeySelection({ shopId, tagId: tag.id, selection })).toEqual({
      keys: 3,
      linkedToOrders: 1,
      inOtherTags: 1,
    });
    expect(await deleteKeys({ shopId, tagId: tag.id, selection, actor })).toMatchObject({
      deleted: 3,
      linkedToOrders: 1,
    });
    expect((await listKeys({ shopId, tagId: tag.id })).keys.map((k) => k.value)).toEqual(["D"]);
    await expectCountersTrue(tag.id, other.id);
    expect((await listAudit({ shopId })).entries[0]).toMatchObject({
      action: "keys.delete",
      count: 3,
      summary: 'Deleted 3 licence keys from tag "games" (1 linked to orders)',
    });
  });

  it("deletes all keys matching the search and status filter, across pages", async () => {
    const tag = await createTag(shopId, "games");
    const values = Array.from({ length: 120 }, (_, i) => (i % 2 ? `ODD-${i}` : `EVEN-${i}`));
    const ids = await addKeys(shopId, values, { tagIds: [tag.id] });
    await linkOrder(shopId, [ids[1]]); // ODD-1 is assigned
    const selection = { scope: "all" as const, q: "odd", status: "PENDING" as const };
    expect((await previewKeySelection({ shopId, tagId: tag.id, selection })).keys).toBe(59);
    await deleteKeys({ shopId, tagId: tag.id, selection, actor });
    const left = await listKeys({ shopId, tagId: tag.id, q: "odd" });
    expect(left.keys.map((k) => k.value)).toEqual(["ODD-1"]);
    expect((await listKeys({ shopId, tagId: tag.id })).matches).toBe(61);
    await expectCountersTrue(tag.id);
  });

  it("refuses ids from another shop or another tag, changing nothing", async () => {
    const tag = await createTag(shopId, "games");
    const elsewhere = await createTag(shopId, "elsewhere");
    const [mine] = await addKeys(shopId, ["MINE"], { tagIds: [tag.id] });
    const [notInTag] = await addKeys(shopId, ["NOT-IN-TAG"], { tagIds: [elsewhere.id] });
    const [theirs] = await addKeys(otherShopId, ["THEIRS"]);
    for (const foreign of [theirs, notInTag]) {
      const error = await refusal(
        deleteKeys({ shopId, tagId: tag.id, selection: { scope: "ids", ids: [mine, foreign] }, actor }),
      );
      expect(error.status).toBe(404);
    }
    expect(await prisma.licenseKey.count()).toBe(3);
    const theirTag = await systemTag(otherShopId, "UNTAGGED");
    const error = await refusal(
      deleteKeys({ shopId, tagId: theirTag.id, selection: { scope: "all", q: "", status: null }, actor }),
    );
    expect(error.status).toBe(404);
    expect(await prisma.licenseKey.count()).toBe(3);
    expect((await listAudit({ shopId })).entries).toEqual([]);
  });
});

describe("moving keys", () => {
  it("swaps this tag for the destination and never touches status or orders", async () => {
    const from = await createTag(shopId, "from");
    const to = await createTag(shopId, "to");
    const also = await createTag(shopId, "also");
    const ids = await addKeys(shopId, ["M1", "M2", "M3"], { tagIds: [from.id] });
    await prisma.keyTag.create({ data: { tagId: also.id, keyId: ids[0], shopId } });
    const order = await linkOrder(shopId, [ids[1]]);
    // M3 already sits in the destination: it just leaves "from".
    await prisma.keyTag.create({ data: { tagId: to.id, keyId: ids[2], shopId } });

    const result = await moveKeys({
      shopId,
      tagId: from.id,
      selection: { scope: "ids", ids },
      destinationTagId: to.id,
      actor,
    });
    expect(result.moved).toBe(3);
    expect(await tagNamesOf(ids[0])).toEqual(["also", "to"]);
    expect(await tagNamesOf(ids[1])).toEqual(["to"]);
    expect(await tagNamesOf(ids[2])).toEqual(["to"]);
    const assigned = await prisma.licenseKey.findUniqueOrThrow({ where: { id: ids[1] } });
    expect(assigned).toMatchObject({ status: "ASSIGNED", orderId: order.id });
    await expectCountersTrue(from.id, to.id, also.id);
    expect((await prisma.tag.findUniqueOrThrow({ where: { id: to.id } })).assignedCount).toBe(1);
    expect((await listAudit({ shopId })).entries[0]).toMatchObject({
      action: "keys.move",
      summary: 'Moved 3 licence keys from tag "from" to "to"',
    });
  });

  it("succeeds when another writer puts one of the keys into the destination while the move runs", async () => {
    const from = await createTag(shopId, "from");
    const to = await createTag(shopId, "to");
    const ids = await addKeys(shopId, ["RACE-1", "RACE-2"], { tagIds: [from.id] });
    // Another transaction tags RACE-1 "to" and has not committed yet: the move's UPDATE waits for it.
    const other = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query(`INSERT INTO "key_tag" ("tag_id", "key_id", "shop_id") VALUES ($1, $2, $3)`, [to.id, ids[0], shopId]);
      const [{ pid }] = (await other.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows;
      const move = moveKeys({ shopId, tagId: from.id, selection: { scope: "ids", ids }, destinationTagId: to.id, actor });
      // The race must really happen: commit only once the move is waiting for this transaction's lock.
      for (;;) {
        const { rows } = await other.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))`,
          [pid],
        );
        if (rows[0].n > 0) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      await other.query("COMMIT");
      expect((await move).moved).toBe(2);
    } finally {
      await other.end();
    }
    expect(await tagNamesOf(ids[0])).toEqual(["to"]);
    expect(await tagNamesOf(ids[1])).toEqual(["to"]);
    await expectCountersTrue(from.id, to.id);
  });

  it("moving out of No tag simply adds the tag", async () => {
    const untagged = await systemTag(shopId, "UNTAGGED");
    const to = await createTag(shopId, "to");
    const ids = await addKeys(shopId, ["LOOSE-1", "LOOSE-2"]);
    await moveKeys({
      shopId,
      tagId: untagged.id,
      selection: { scope: "all", q: "", status: null },
      destinationTagId: to.id,
      actor,
    });
    expect(await tagNamesOf(ids[0])).toEqual(["to"]);
    expect((await listKeys({ shopId, tagId: untagged.id })).matches).toBe(0);
    await expectCountersTrue(untagged.id, to.id);
    expect(await keysWithoutAnyTag(shopId)).toBe(0);
  });

  it("refuses a destination that no longer exists, a system tag, the same tag or another shop's tag", async () => {
    const from = await createTag(shopId, "from");
    const gone = await createTag(shopId, "gone");
    const theirs = await createTag(otherShopId, "theirs");
    const ids = await addKeys(shopId, ["S1"], { tagIds: [from.id] });
    await prisma.tag.delete({ where: { id: gone.id } });
    const untagged = await systemTag(shopId, "UNTAGGED");
    const selection = { scope: "ids" as const, ids };

    const missing = await refusal(moveKeys({ shopId, tagId: from.id, selection, destinationTagId: gone.id, actor }));
    expect(missing).toMatchObject({ status: 422, field: "destination" });
    expect(missing.message).toMatch(/no longer exists/);
    const foreign = await refusal(moveKeys({ shopId, tagId: from.id, selection, destinationTagId: theirs.id, actor }));
    expect(foreign.message).toMatch(/no longer exists/);
    const system = await refusal(moveKeys({ shopId, tagId: from.id, selection, destinationTagId: untagged.id, actor }));
    expect(system.message).toMatch(/system tag/);
    const same = await refusal(moveKeys({ shopId, tagId: from.id, selection, destinationTagId: from.id, actor }));
    expect(same.message).toMatch(/already in "from"/);
    expect(await tagNamesOf(ids[0])).toEqual(["from"]);
    expect(await prisma.keyTag.count({ where: { tagId: theirs.id } })).toBe(0);
  });
});

describe("adding tags", () => {
  it("keeps the tags keys have, creates new ones by name, and takes keys out of No tag", async () => {
    const untagged = await systemTag(shopId, "UNTAGGED");
    const games = await createTag(shopId, "games");
    const [loose] = await addKeys(shopId, ["LOOSE"]);
    const [tagged] = await addKeys(shopId, ["TAGGED"], { tagIds: [games.id] });

    await addTagsToKeys({
      shopId,
      tagId: games.id,
      selection: { scope: "ids", ids: [tagged] },
      newTagNames: ["bundle"],
      actor,
    });
    expect(await tagNamesOf(tagged)).toEqual(["bundle", "games"]);

    await addTagsToKeys({
      shopId,
      tagId: untagged.id,
      selection: { scope: "ids", ids: [loose] },
      tagIds: [games.id],
      actor,
    });
    expect(await tagNamesOf(loose)).toEqual(["games"]);
    expect(await untaggedKeysWithTags(shopId)).toBe(0);
    const bundle = await prisma.tag.findFirstOrThrow({ where: { shopId, name: "bundle" } });
    await expectCountersTrue(untagged.id, games.id, bundle.id);
    expect((await listAudit({ shopId })).entries[0]).toMatchObject({ action: "keys.tag", count: 1 });
  });

  it("refuses bad new names and system tags without changing anything", async () => {
    const games = await createTag(shopId, "games");
    const [key] = await addKeys(shopId, ["K"], { tagIds: [games.id] });
    const auto = await systemTag(shopId, "AUTO_GENERATED");
    const bad = await refusal(
      addTagsToKeys({
        shopId,
        tagId: games.id,
        selection: { scope: "ids", ids: [key] },
        newTagNames: ["Bad Name"],
        actor,
      }),
    );
    expect(bad.message).toMatch(/lowercase letters a-z/);
    const system = await refusal(
      addTagsToKeys({ shopId, tagId: games.id, selection: { scope: "ids", ids: [key] }, tagIds: [auto.id], actor }),
    );
    expect(system.message).toMatch(/system tag/);
    expect(await tagNamesOf(key)).toEqual(["games"]);
  });
});
