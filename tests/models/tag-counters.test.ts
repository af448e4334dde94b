// GIVEN keys in tags, WHEN keys are added, change status, move or disappear,
// THEN each tag's counters (what the overview shows) match the keys it holds.
import { beforeEach, describe, expect, it } from "vitest";
import { prisma, resetDatabase } from "tests/helpers/db";
import { installShop, TEST_SHOP } from "tests/helpers/shopify";

async function counters(tagId: number) {
  const tag = await prisma.tag.findUniqueOrThrow({ where: { id: tagId } });
  return { pending: tag.pendingCount, assigned: tag.assignedCount, used: tag.usedCount, retired: tag.retiredCount };
}

async function actualCounts(tagId: number) {
  const rows = await prisma.$queryRaw<Array<{ status: string; n: bigint }>>`
    SELECT k.status::text AS status, count(*) AS n FROM key_tag kt JOIN license_key k ON k.id = kt.key_id
    WHERE kt.tag_id = ${tagId} GROUP BY k.status`;
  const by = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  return { pending: by.PENDING ?? 0, assigned: by.ASSIGNED ?? 0, used: by.USED ?? 0, retired: by.RETIRED ?? 0 };
}

describe("tag counters", () => {
  let shopId: number;
  let alpha: number;
  let beta: number;

  beforeEach(async () => {
    await resetDatabase();
    shopId = (await installShop(TEST_SHOP)).id;
    alpha = (await prisma.tag.create({ data: { shopId, name: "alpha" } })).id;
    beta = (await prisma.tag.create({ data: { shopId, name: "beta" } })).id;
    await prisma.$executeRaw`
      INSERT INTO license_key (shop_id, value) SELECT ${shopId}, 'KEY-' || g FROM generate_series(1, 500) g`;
    await prisma.$executeRaw`
      INSERT INTO key_tag (tag_id, key_id, shop_id, status) SELECT ${alpha}, id, shop_id, status FROM license_key`;
    await prisma.$executeRaw`
      INSERT INTO key_tag (tag_id, key_id, shop_id, status)
      SELECT ${beta}, id, shop_id, status FROM license_key WHERE value IN ('KEY-1', 'KEY-2', 'KEY-3')`;
  });

  it("counts keys added in bulk and stamps when keys were last added", async () => {
    expect(await counters(alpha)).toEqual({ pending: 500, assigned: 0, used: 0, retired: 0 });
    expect(await counters(beta)).toEqual({ pending: 3, assigned: 0, used: 0, retired: 0 });
    const tag = await prisma.tag.findUniqueOrThrow({ where: { id: alpha } });
    expect(tag.lastAddedAt).not.toBeNull();
  });

  it("follows status changes in every tag a key sits in", async () => {
    await prisma.licenseKey.updateMany({ where: { value: { in: ["KEY-1", "KEY-2"] } }, data: { status: "ASSIGNED" } });
    await prisma.licenseKey.updateMany({ where: { value: "KEY-1" }, data: { status: "USED" } });
    await prisma.licenseKey.updateMany({ where: { value: "KEY-400" }, data: { status: "RETIRED" } });
    expect(await counters(alpha)).toEqual({ pending: 497, assigned: 1, used: 1, retired: 1 });
    expect(await counters(beta)).toEqual({ pending: 1, assigned: 1, used: 1, retired: 0 });
    expect(await counters(alpha)).toEqual(await actualCounts(alpha));
  });

  it("follows deleted keys and moved links", async () => {
    await prisma.licenseKey.deleteMany({ where: { value: { in: ["KEY-1", "KEY-10"] } } });
    await prisma.$executeRaw`UPDATE key_tag SET tag_id = ${beta} WHERE tag_id = ${alpha} AND key_id IN (
      SELECT id FROM license_key WHERE value IN ('KEY-20', 'KEY-21'))`;
    expect(await counters(alpha)).toEqual({ pending: 496, assigned: 0, used: 0, retired: 0 });
    expect(await counters(beta)).toEqual({ pending: 4, assigned: 0, used: 0, retired: 0 });
    expect(await counters(beta)).toEqual(await actualCounts(beta));
  });

  it("takes deleted keys out of every tag, and refuses links to keys that do not exist", async () => {
    await prisma.licenseKey.deleteMany({ where: { shopId } });
    expect(await prisma.keyTag.count()).toBe(0);
    expect(await counters(alpha)).toEqual({ pending: 0, assigned: 0, used: 0, retired: 0 });
    expect(await counters(beta)).toEqual({ pending: 0, assigned: 0, used: 0, retired: 0 });

    const key = await prisma.licenseKey.create({ data: { shopId, value: "KEY-NEW" } });
    await expect(
      prisma.$executeRaw`INSERT INTO key_tag (tag_id, key_id, shop_id) VALUES (${alpha}, ${key.id}, ${shopId}), (${alpha}, ${key.id + 1000}, ${shopId})`,
    ).rejects.toThrow(/key_tag_key_id_fkey/);
    await expect(prisma.$executeRaw`UPDATE key_tag SET key_id = key_id + 1000`).resolves.toBe(0);
    await prisma.keyTag.create({ data: { tagId: alpha, keyId: key.id, shopId } });
    await expect(prisma.$executeRaw`UPDATE key_tag SET key_id = key_id + 1000`).rejects.toThrow(/never change/);
    expect(await counters(alpha)).toEqual({ pending: 1, assigned: 0, used: 0, retired: 0 });
  });

  it("keeps counters and keys of another shop apart", async () => {
    const other = await installShop("other-shop.myshopify.com");
    const tag = await prisma.tag.create({ data: { shopId: other.id, name: "alpha" } });
    expect(await counters(tag.id)).toEqual({ pending: 0, assigned: 0, used: 0, retired: 0 });
  });
});
