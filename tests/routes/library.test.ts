// The library's screens through the real Remix handler with forged session tokens: what the overview,
// a tag's key list and their actions answer, and that another shop's ids get a 404 and change nothing.
import { beforeEach, describe, expect, it } from "vitest";
import { dataPath, handle } from "tests/helpers/app";
import { prisma, resetDatabase } from "tests/helpers/db";
import { addKeys, createTag, linkOrder, systemTag, tagNamesOf } from "tests/helpers/library";
import { adminRequest, installShop, OTHER_SHOP, TEST_SHOP} from "tests/helpers/shopify";
import { TAG_NAME_RULE } from "~/lib/tags";

const OVERVIEW = "routes/app._index";
const TAG = "routes/app.tags.$tagId";
const ACTIVITY = "routes/app.activity";

let shopId: number;
let otherShopId: number;

beforeEach(async () => {
  await resetDatabase();
  shopId = (await installShop(TEST_SHOP)).id;
  otherShopId = (await installShop(OTHER_SHOP)).id;
  await prisma.shop.update({ where: { id: shopId }, data: { ianaTimezone: "Europe/Berlin" } });
});

async function load<T = Record<string, unknown>>(path: string, routeId: string, shop = TEST_SHOP) {
  const response = await handle(adminRequest(dataPath(path, routeId), { shop }));
  return {
    status: response.status,
    body: (response.status < 300 ? await response.json() : await response.text()) as T,
  };
}

async function post(tagId: number, form: Record<string, string | string[]>, shop = TEST_SHOP) {
  const response = await handle(adminRequest(dataPath(`/app/tags/${tagId}`, TAG), { shop, form }));
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: response.status, body };
}

describe("overview", () => {
  it("answers the tags page with summary, sorted and searched from the URL", async () => {
    const games = await createTag(shopId, "games");
    const music = await createTag(shopId, "music");
    await addKeys(shopId, ["G1", "G2", "G3"], { tagIds: [games.id] });
    await addKeys(shopId, ["M1"], { tagIds: [music.id] });
    await createTag(otherShopId, "gamesforeign");

    const { status, body } = await load<{
      tags: { name: string; pending: number }[];
      summary: { totalKeys: number; remaining: number };
      params: { sort: string };
      timeZone: string;
    }>("/app?sort=remaining+desc", OVERVIEW);
    expect(status).toBe(200);
    expect(body.tags.map((t) => t.name)).toEqual(["games", "music", "Auto-generated", "No tag"]);
    expect(body.summary).toMatchObject({ totalKeys: 4, remaining: 4 });
    expect(body.timeZone).toBe("Europe/Berlin");

    const searched = await load<{ tags: { name: string }[] }>("/app?q=gam", OVERVIEW);
    expect(searched.body.tags.map((t) => t.name)).toEqual(["games"]);
    // A hand-edited URL with nonsense falls back to defaults rather than failing.
    const odd = await load<{ params: { sort: string; page: number } }>("/app?sort=drop+table&page=-4", OVERVIEW);
    expect(odd.status).toBe(200);
    expect(odd.body.params).toMatchObject({ sort: "name asc", page: 1 });
  });
});

describe("a tag's key list", () => {
  it("answers the keys with their order, the matches and the destinations for moves", async () => {
    const games = await createTag(shopId, "games");
    await createTag(shopId, "music");
    const ids = await addKeys(shopId, ["ABC-111", "ABC-222", "XYZ-333"], { tagIds: [games.id] });
    await linkOrder(shopId, [ids[0]], { name: "#1001", shopifyId: 4400001n });

    const { status, body } = await load<{
      keys: { value: string; order: { name: string; shopifyId: string } | null }[];
      matches: number;
      tagOptions: { name: string }[];
    }>(`/app/tags/${games.id}?q=abc`, TAG);
    expect(status).toBe(200);
    expect(body.keys.map((k) => k.value)).toEqual(["ABC-222", "ABC-111"]);
    expect(body.keys[1].order).toEqual({ name: "#1001", shopifyId: "4400001" });
    expect(body.matches).toBe(2);
    expect(body.tagOptions.map((t) => t.name)).toEqual(["music"]);

    const filtered = await load<{ keys: { value: string }[] }>(`/app/tags/${games.id}?status=ASSIGNED`, TAG);
    expect(filtered.body.keys.map((k) => k.value)).toEqual(["ABC-111"]);
  });

  it("charts the keys handed out per day in the shop's time zone, with the forecast; none for Auto-generated", async () => {
    const games = await createTag(shopId, "games");
    const music = await createTag(shopId, "music");
    await addKeys(
      shopId,
      Array.from({ length: 20 }, (_, i) => `GAME-${i}`),
      { tagIds: [games.id] },
    );
    const order = await prisma.order.create({ data: { shopId, shopifyId: 4400002n, name: "#1002" } });
    const day = 24 * 3600_000;
    const now = Date.now();
    // 23:30 UTC is 00:30 the next day in Berlin (UTC+1 in winter, +2 in summer).
    const lateEvening = new Date(new Date(now - 5 * day).toISOString().slice(0, 10) + "T23:30:00Z");
    const lines = [
      { tagId: games.id, keysAssigned: 3, createdAt: lateEvening },
      { tagId: games.id, keysAssigned: 2, createdAt: new Date(now - 60_000) },
      { tagId: games.id, keysAssigned: 10, createdAt: new Date(now - 40 * day) },
      { tagId: music.id, keysAssigned: 7, createdAt: new Date(now - 2 * day) },
    ];
    await prisma.orderLine.createMany({
      data: lines.map((line, i) => ({
        shopId,
        orderId: order.id,
        lineItemId: BigInt(i + 1),
        quantity: 1,
        keysNeeded: 10,
        ...line,
      })),
    });
    const berlinDay = (at: Date) => new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin" }).format(at);

    const { body } = await load<{
      history: { days: { day: string; keys: number }[]; perDay: number; daysLeft: number; windowDays: number };
    }>(`/app/tags/${games.id}`, TAG);
    const { days, perDay, daysLeft, windowDays } = body.history;
    expect(days).toHaveLength(30);
    expect(days.at(-1)!.day).toBe(berlinDay(new Date()));
    expect(new Date(`${days.at(-1)!.day}T00:00:00Z`).getTime() - new Date(`${days[0].day}T00:00:00Z`).getTime()).toBe(
      29 * day,
    );
    const counted = Object.fromEntries(days.filter((d) => d.keys > 0).map((d) => [d.day, d.keys]));
    expect(counted).toEqual({ [berlinDay(lateEvening)]: 3, [berlinDay(new Date(now - 60_000))]: 2 });
    expect(berlinDay(lateEvening)).not.toBe(lateEvening.toISOString().slice(0, 10));
    // The forecast the low-stock alerts give: 5 keys in 14 days, 20 pending.
    expect(windowDays).toBe(14);
    expect(perDay).toBeCloseTo(5 / 14);
    expect(daysLeft).toBe(56);

    const generated = await systemTag(shopId, "AUTO_GENERATED");
    expect((await load<{ history: unknown }>(`/app/tags/${generated.id}`, TAG)).body.history).toBeNull();
  });

  it("answers 404 for another shop's tag and for ids that are not numbers", async () => {
    const theirs = await createTag(otherShopId, "theirs");
    expect((await load(`/app/tags/${theirs.id}`, TAG)).status).toBe(404);
    expect((await load(`/app/tags/abc`, TAG)).status).toBe(404);
    expect((await load(`/app/tags/99999999999`, TAG)).status).toBe(404);
  });
});

describe("actions on keys", () => {
  it("previews and deletes one key, naming its order, and logs it", async () => {
    const games = await createTag(shopId, "games");
    const [key] = await addKeys(shopId, ["DEL-1"], { tagIds: [games.id] });
    await linkOrder(shopId, [key], { name: "#1002" });

    const preview = await post(games.id, { intent: "preview-key", keyId: String(key) });
    expect(preview).toMatchObject({ status: 200, body: { ok: true, preview: { value: "DEL-1", orderName: "#1002" } } });
    const done = await post(games.id, { intent: "delete-key", keyId: String(key) });
    expect(done).toMatchObject({ status: 200, body: { ok: true, message: "Licence key DEL-1 deleted" } });
    expect(await prisma.licenseKey.count({ where: { id: key } })).toBe(0);

    const activity = await load<{ entries: { summary: string; actor: string }[] }>("/app/activity", ACTIVITY);
    expect(activity.body.entries[0]).toMatchObject({
      summary: "Deleted licence key DEL-1 (linked to order #1002)",
      actor: "Staff member 70000001",
    });
  });

  it("moves all keys matching a search to another tag, and refuses a destination that is gone", async () => {
    const games = await createTag(shopId, "games");
    const music = await createTag(shopId, "music");
    const gone = await createTag(shopId, "gone");
    const ids = await addKeys(shopId, ["MV-1", "MV-2", "STAY-3"], { tagIds: [games.id] });
    await prisma.tag.delete({ where: { id: gone.id } });

    const refused = await post(games.id, { intent: "move-keys", scope: "all", q: "mv", destination: String(gone.id) });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ ok: false, field: "destination" });
    expect(String(refused.body.error)).toMatch(/no longer exists/);

    const preview = await post(games.id, { intent: "preview-selection", scope: "all", q: "mv" });
    expect(preview.body).toMatchObject({ ok: true, preview: { keys: 2, linkedToOrders: 0, inOtherTags: 0 } });
    const moved = await post(games.id, { intent: "move-keys", scope: "all", q: "mv", destination: String(music.id) });
    expect(moved.body).toMatchObject({ ok: true, message: "2 licence keys moved to music" });
    expect(await tagNamesOf(ids[0])).toEqual(["music"]);
    expect(await tagNamesOf(ids[2])).toEqual(["games"]);
  });

  it("adds tags to ticked keys, creating a new tag, and refuses a name outside a-z with 422", async () => {
    const games = await createTag(shopId, "games");
    const [key] = await addKeys(shopId, ["T-1"], { tagIds: [games.id] });
    const bad = await post(games.id, { intent: "add-tags", scope: "ids", ids: String(key), newTag: "New Tag" });
    expect(bad.status).toBe(422);
    expect(String(bad.body.error)).toContain(TAG_NAME_RULE);
    const done = await post(games.id, { intent: "add-tags", scope: "ids", ids: String(key), newTag: "bundle" });
    expect(done.body).toMatchObject({ ok: true });
    expect(await tagNamesOf(key)).toEqual(["bundle", "games"]);
  });

  it("deletes ticked keys; an empty or oversized selection is a 422", async () => {
    const games = await createTag(shopId, "games");
    const ids = await addKeys(shopId, ["B-1", "B-2", "B-3"], { tagIds: [games.id] });
    expect((await post(games.id, { intent: "delete-keys", scope: "ids", ids: "" })).status).toBe(422);
    const many = Array.from({ length: 1001 }, (_, i) => String(i + 1)).join(",");
    expect((await post(games.id, { intent: "delete-keys", scope: "ids", ids: many })).status).toBe(422);
    const done = await post(games.id, { intent: "delete-keys", scope: "ids", ids: `${ids[0]},${ids[1]}` });
    expect(done.body).toMatchObject({ ok: true, message: "2 licence keys deleted" });
    expect(await prisma.licenseKey.count({ where: { shopId } })).toBe(1);
  });

  it("answers 400 to an unknown intent", async () => {
    const games = await createTag(shopId, "games");
    expect((await post(games.id, { intent: "drop-everything" })).status).toBe(400);
  });
});

describe("actions on a tag", () => {
  it("renames with the rule in the error, refuses system tags, and deletes a tag with its keys", async () => {
    const games = await createTag(shopId, "games");
    await addKeys(shopId, ["K-1", "K-2"], { tagIds: [games.id] });

    const bad = await post(games.id, { intent: "rename", name: "Games2" });
    expect(bad).toMatchObject({ status: 422, body: { ok: false, field: "name", error: TAG_NAME_RULE } });
    expect((await post(games.id, { intent: "rename", name: "arcade" })).body).toMatchObject({ ok: true });

    const untagged = await systemTag(shopId, "UNTAGGED");
    const system = await post(untagged.id, { intent: "rename", name: "loose" });
    expect(system.status).toBe(409);
    expect(system.body.error).toBe(`"No tag" is a system tag: it can't be renamed.`);
    expect((await post(untagged.id, { intent: "delete-tag" })).status).toBe(409);

    const preview = await post(games.id, { intent: "preview-delete-tag" });
    expect(preview.body).toMatchObject({ ok: true, preview: { keys: 2, linkedToOrders: 0, inOtherTags: 0 } });
    const deleted = await post(games.id, { intent: "delete-tag" });
    expect(deleted.body).toMatchObject({
      ok: true,
      redirectTo: "/app",
      message: "Tag arcade and its 2 licence keys deleted",
    });
    expect(await prisma.tag.count({ where: { id: games.id } })).toBe(0);
    expect(await prisma.licenseKey.count({ where: { shopId } })).toBe(0);
  });

  it("previews and cleans up duplicates", async () => {
    const games = await createTag(shopId, "games");
    await addKeys(shopId, ["SAME", "SAME", "OTHER"], { tagIds: [games.id] });
    const preview = await post(games.id, { intent: "preview-duplicates" });
    expect(preview.body).toMatchObject({ ok: true, preview: { duplicateValues: 1, remove: 1, keptInUse: 0 } });
    expect((await post(games.id, { intent: "clean-up-duplicates" })).body).toMatchObject({
      ok: true,
      message: "1 duplicate removed",
    });
    expect(await prisma.licenseKey.count({ where: { shopId } })).toBe(2);
  });
});

describe("another shop's ids", () => {
  it("answer 404 to every intent and change nothing", async () => {
    const mine = await createTag(shopId, "mine");
    const [myKey] = await addKeys(shopId, ["MINE-1"], { tagIds: [mine.id] });
    const theirs = await createTag(otherShopId, "theirs");
    const theirDestination = await createTag(otherShopId, "elsewhere");
    const [theirKey] = await addKeys(otherShopId, ["THEIRS-1", "THEIRS-1"], { tagIds: [theirs.id] });
    const before = await prisma.$queryRaw<{ snapshot: string }[]>`
      SELECT md5(string_agg(kt."tag_id" || ':' || kt."key_id" || ':' || kt."status", ',' ORDER BY kt."tag_id", kt."key_id")) AS snapshot
      FROM "key_tag" kt`;

    const attempts: Array<[number, Record<string, string>]> = [
      [theirs.id, { intent: "delete-key", keyId: String(theirKey) }],
      [theirs.id, { intent: "preview-key", keyId: String(theirKey) }],
      [theirs.id, { intent: "delete-keys", scope: "all", q: "" }],
      [theirs.id, { intent: "preview-selection", scope: "all", q: "" }],
      [theirs.id, { intent: "move-keys", scope: "all", q: "", destination: String(mine.id) }],
      [theirs.id, { intent: "rename", name: "stolen" }],
      [theirs.id, { intent: "delete-tag" }],
      [theirs.id, { intent: "preview-delete-tag" }],
      [theirs.id, { intent: "clean-up-duplicates" }],
      // Through my own tag, with their key ids or their destination.
      [mine.id, { intent: "delete-key", keyId: String(theirKey) }],
      [mine.id, { intent: "delete-keys", scope: "ids", ids: `${myKey},${theirKey}` }],
      [mine.id, { intent: "move-keys", scope: "ids", ids: String(theirKey), destination: String(theirDestination.id) }],
    ];
    for (const [tagId, form] of attempts) {
      const { status } = await post(tagId, form);
      expect.soft(status, `${form.intent} on tag ${tagId}`).toBe(404);
    }
    // A destination of another shop is indistinguishable from a deleted one.
    const foreignDestination = await post(mine.id, {
      intent: "move-keys",
      scope: "ids",
      ids: String(myKey),
      destination: String(theirDestination.id),
    });
    expect(foreignDestination.status).toBe(422);

    const after = await prisma.$queryRaw<{ snapshot: string }[]>`
      SELECT md5(string_agg(kt."tag_id" || ':' || kt."key_id" || ':' || kt."status", ',' ORDER BY kt."tag_id", kt."key_id")) AS snapshot
      FROM "key_tag" kt`;
    expect(after[0].snapshot).toBe(before[0].snapshot);
    expect((await prisma.tag.findUniqueOrThrow({ where: { id: theirs.id } })).name).toBe("theirs");
    expect(await prisma.auditEvent.count()).toBe(0);
  });
});
