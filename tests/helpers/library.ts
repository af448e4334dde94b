// Keys and tags for library tests, written with set-based SQL the way imports write them
// (key_tag rows copy the key's status; keys without a tag sit in "No tag").
import prisma from "~/db.server";

export async function createTag(shopId: number, name: string, data: { lowStockThreshold?: number } = {}) {
  return prisma.tag.create({ data: { shopId, name, ...data }, select: { id: true, name: true, kind: true } });
}

export async function systemTag(shopId: number, kind: "UNTAGGED" | "AUTO_GENERATED") {
  return prisma.tag.findFirstOrThrow({ where: { shopId, kind }, select: { id: true, name: true, kind: true } });
}

/**
 * Adds keys with these values to the given tags (or to "No tag" when none) and returns their ids in
 * order. `createdAt` ages them: the first value is the oldest.
 */
export async function addKeys(
  shopId: number,
  values: string[],
  {
    tagIds = [],
    status = "PENDING",
    type = "UPLOADED",
  }: {
    tagIds?: number[];
    status?: "PENDING" | "ASSIGNED" | "USED" | "RETIRED";
    type?: "UPLOADED" | "AUTO_GENERATED";
  } = {},
) {
  const targets = tagIds.length > 0 ? tagIds : [(await systemTag(shopId, "UNTAGGED")).id];
  const rows = await prisma.$queryRaw<{ id: number }[]>`
    INSERT INTO "license_key" ("shop_id", "value", "status", "type", "created_at")
    SELECT ${shopId}, v, ${status}::"KeyStatus", ${type}::"KeyType", now() - make_interval(secs => ${values.length} - n)
    FROM unnest(${values}::text[]) WITH ORDINALITY AS u(v, n)
    ORDER BY n
    RETURNING "id"`;
  const ids = rows.map((row) => row.id).sort((a, b) => a - b);
  await prisma.$executeRaw`
    INSERT INTO "key_tag" ("tag_id", "key_id", "shop_id", "status")
    SELECT t, k."id", k."shop_id", k."status" FROM "license_key" k CROSS JOIN unnest(${targets}::int[]) AS t
    WHERE k."id" = ANY(${ids}::int[])`;
  return ids;
}

/** An order of the shop, linked to the given keys (which become assigned). */
export async function linkOrder(shopId: number, keyIds: number[], { name = "#1001", shopifyId = 5550001n } = {}) {
  const order = await prisma.order.create({ data: { shopId, shopifyId, name } });
  await prisma.licenseKey.updateMany({
    where: { id: { in: keyIds } },
    data: { status: "ASSIGNED", orderId: order.id },
  });
  return order;
}

export async function tagNamesOf(keyId: number) {
  const rows = await prisma.keyTag.findMany({ where: { keyId }, select: { tag: { select: { name: true } } } });
  return rows.map((row) => row.tag.name).sort();
}

/** The tag's counters next to a fresh count of its keys: equal when the triggers kept up. */
export async function countersAndTruth(tagId: number) {
  const tag = await prisma.tag.findUniqueOrThrow({ where: { id: tagId } });
  const rows = await prisma.$queryRaw<{ status: string; n: number }[]>`
    SELECT k."status"::text AS status, count(*)::int AS n FROM "key_tag" kt JOIN "license_key" k ON k."id" = kt."key_id"
    WHERE kt."tag_id" = ${tagId} GROUP BY k."status"`;
  const by = Object.fromEntries(rows.map((r) => [r.status, r.n]));
  return {
    counters: {
      pending: tag.pendingCount,
      assigned: tag.assignedCount,
      used: tag.usedCount,
      retired: tag.retiredCount,
    },
    truth: { pending: by.PENDING ?? 0, assigned: by.ASSIGNED ?? 0, used: by.USED ?? 0, retired: by.RETIRED ?? 0 },
  };
}

/** Keys of the shop that sit in no tag at all: always none (the "No tag" invariant). */
export async function keysWithoutAnyTag(shopId: number) {
  const [{ n }] = await prisma.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM "license_key" k
    WHERE k."shop_id" = ${shopId} AND NOT EXISTS (SELECT 1 FROM "key_tag" kt WHERE kt."key_id" = k."id")`;
  return n;
}

/** Keys in "No tag" that also have another tag: always none. */
export async function untaggedKeysWithTags(shopId: number) {
  const [{ n }] = await prisma.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM "key_tag" u JOIN "tag" t ON t."id" = u."tag_id" AND t."kind" = 'UNTAGGED'
    WHERE u."shop_id" = ${shopId} AND EXISTS (SELECT 1 FROM "key_tag" o WHERE o."key_id" = u."key_id" AND o."tag_id" <> u."tag_id")`;
  return n;
}
