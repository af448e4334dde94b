import type { Shop } from "@prisma/client";
import prisma from "~/db.server";
import { SYSTEM_TAGS } from "~/lib/tags";
import { transaction } from "~/sql.server";

interface AdminGraphql {
  graphql(query: string, options?: { variables?: Record<string, unknown> }): Promise<Response>;
}

/** The shop's row, created with its two system tags the first time the shop is seen. */
export async function ensureShop(domain: string): Promise<Shop> {
  const existing = await prisma.shop.findUnique({ where: { domain } });
  if (existing && !existing.uninstalledAt) return existing;
  return transaction(async (tx) => {
    const shop = await tx.shop.upsert({
      where: { domain },
      create: { domain },
      update: { uninstalledAt: null, installedAt: existing ? new Date() : undefined },
    });
    await tx.tag.createMany({
      data: SYSTEM_TAGS.map(({ name, kind }) => ({ shopId: shop.id, name, kind })),
      skipDuplicates: true,
    });
    return shop;
  });
}

/** Name, email and time zone come from Shopify; called after each token exchange. */
export async function syncShopDetails({ shop, admin }: { shop: string; admin: AdminGraphql }) {
  const row = await ensureShop(shop);
  const response = await admin.graphql(`#graphql
    query ShopDetails { shop { name email ianaTimezone } }`);
  const body = (await response.json()) as { data?: { shop?: { name: string; email: string; ianaTimezone: string } } };
  const details = body.data?.shop;
  if (!details) return row;
  return prisma.shop.update({
    where: { id: row.id },
    data: { name: details.name, email: details.email, ianaTimezone: details.ianaTimezone },
  });
}
