// The demo shop as `npm run demo` seeds it: every status, consistent counters and orders, and an
// installation the app accepts without any network.
import { beforeAll, describe, expect, it } from "vitest";
import { DEMO_ACCESS_TOKEN, DEMO_PRODUCTS, DEMO_SHOP, DEMO_SHOP_NAME } from "~/demo/catalog";
import { seedDemo } from "~/demo/seed";
import prisma from "~/db.server";
import { dataPath, handle } from "tests/helpers/app";
import { adminRequest} from "tests/helpers/shopify";

async function shopId() {
  return (await prisma.shop.findUniqueOrThrow({ where: { domain: DEMO_SHOP } })).id;
}

describe("seedDemo", () => {
  let first: Awaited<ReturnType<typeof seedDemo>>;
  beforeAll(async () => {
    first = await seedDemo({ reset: true });
  });

  it("creates the shop with a few hundred keys in tags, and orders", async () => {
    expect(first.seeded).toBe(true);
    expect(first.keys).toBeGreaterThanOrEqual(300);
    expect(first.orders).toBeGreaterThanOrEqual(100);
    const shop = await prisma.shop.findUniqueOrThrow({ where: { domain: DEMO_SHOP } });
    expect(shop.name).toBe(DEMO_SHOP_NAME);
    const tags = await prisma.tag.findMany({ where: { shopId: shop.id }, select: { name: true } });
    expect(tags.map((t) => t.name)).toEqual(expect.arrayContaining(["Auto-generated", "No tag", "photoforge", "codevault", "stellarquest", "vpn", "unused"]));
  });

  it("has keys in every status, tag counters that match the keys, and key_tag rows carrying the key's status", async () => {
    const id = await shopId();
    const statuses = await prisma.licenseKey.groupBy({ by: ["status"], where: { shopId: id }, _count: true });
    expect(statuses.map((s) => s.status).sort()).toEqual(["ASSIGNED", "PENDING", "USED"]);
    const mismatched = await prisma.$queryRaw<unknown[]>`
      SELECT t."name" FROM "tag" t
      LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE kt."status" = 'PENDING') AS p, count(*) FILTER (WHERE kt."status" = 'ASSIGNED') AS a,
               count(*) FILTER (WHERE kt."status" = 'USED') AS u
        FROM "key_tag" kt WHERE kt."tag_id" = t."id") c ON true
      WHERE t."shop_id" = ${id} AND (t."pending_count" <> c.p OR t."assigned_count" <> c.a OR t."used_count" <> c.u)`;
    expect(mismatched).toEqual([]);
    const statusDrift = await prisma.$queryRaw<unknown[]>`
      SELECT 1 FROM "key_tag" kt JOIN "license_key" k ON k."id" = kt."key_id" WHERE kt."shop_id" = ${id} AND kt."status" <> k."status"`;
    expect(statusDrift).toEqual([]);
    const untagged = await prisma.$queryRaw<unknown[]>`
      SELECT 1 FROM "license_key" k WHERE k."shop_id" = ${id} AND NOT EXISTS (SELECT 1 FROM "key_tag" kt WHERE kt."key_id" = k."id")`;
    expect(untagged).toEqual([]);
  });

  it("gives every assigned or used key its order and line, and each line exactly the keys it counts", async () => {
    const id = await shopId();
    const orphans = await prisma.licenseKey.count({
      where: { shopId: id, status: { in: ["ASSIGNED", "USED"] }, OR: [{ orderId: null }, { orderLineId: null }, { assignedAt: null }] },
    });
    expect(orphans).toBe(0);
    expect(await prisma.licenseKey.count({ where: { shopId: id, status: "USED", usedAt: null } })).toBe(0);
    expect(await prisma.licenseKey.count({ where: { shopId: id, status: "PENDING", NOT: { orderId: null } } })).toBe(0);
    const lineDrift = await prisma.$queryRaw<unknown[]>`
      SELECT ol."id" FROM "order_line" ol
      WHERE ol."shop_id" = ${id}
        AND ol."keys_assigned" <> (SELECT count(*) FROM "license_key" k WHERE k."order_line_id" = ol."id" AND k."order_id" = ol."order_id")`;
    expect(lineDrift).toEqual([]);
    const shortfallDrift = await prisma.$queryRaw<unknown[]>`
      SELECT o."id" FROM "order" o WHERE o."shop_id" = ${id}
        AND o."shortfall" <> (SELECT COALESCE(sum(ol."keys_needed" - ol."keys_assigned"), 0) FROM "order_line" ol WHERE ol."order_id" = o."id")`;
    expect(shortfallDrift).toEqual([]);
    expect(await prisma.order.count({ where: { shopId: id, shortfall: { gt: 0 } } })).toBeGreaterThan(0);
  });

  it("links the products, the 5-seat variant with 5 keys per unit", async () => {
    const id = await shopId();
    const fiveSeats = DEMO_PRODUCTS[0].variants[1];
    const link = await prisma.productLink.findFirstOrThrow({ where: { shopId: id, variantId: BigInt(fiveSeats.id) }, include: { tag: true } });
    expect(link.keysPerUnit).toBe(5);
    expect(link.tag?.name).toBe("photoforge");
    const lines = await prisma.orderLine.findMany({ where: { shopId: id, variantId: BigInt(fiveSeats.id) } });
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.keysNeeded).toBe(line.quantity * 5);
  });

  it("stores the offline session, so the app serves the demo shop with no call to Shopify", async () => {
    const session = await prisma.session.findUniqueOrThrow({ where: { id: `offline_${DEMO_SHOP}` } });
    expect(session.accessToken).toBe(DEMO_ACCESS_TOKEN);
    const response = await handle(adminRequest(dataPath("/app", "routes/app._index"), { shop: DEMO_SHOP }));
    expect(response.status).toBe(200);
  });

  it("keeps existing data on a restart and starts over on reset", async () => {
    const id = await shopId();
    await prisma.tag.deleteMany({ where: { shopId: id, name: "unused" } });
    const again = await seedDemo({ reset: false });
    expect(again.seeded).toBe(false);
    expect(again.tags).not.toContain("unused");
    const reset = await seedDemo({ reset: true });
    expect(reset.seeded).toBe(true);
    expect(reset.keys).toBe(first.keys);
    const tags = await prisma.tag.findMany({ where: { shop: { domain: DEMO_SHOP } }, select: { name: true } });
    expect(tags.map((t) => t.name)).toContain("unused");
    expect(await prisma.shop.count({ where: { domain: DEMO_SHOP } })).toBe(1);
  });
});
