// Which products and variants hand out licence keys, and from where: a tag (the "No tag" pool
// included) or automatic generation. A variant link overrides its product's link (see
// app/models/fulfilment/order-rows.server.ts, whose linkOfEachItem reads these when an order arrives).
import type { LinkSource, TagKind } from "@prisma/client";
import { z } from "zod";
import prisma from "~/db.server";
import type { LinkSettings, LinkTargetItem } from "~/lib/product-links";
import { LibraryError } from "~/lib/library";
import { col, prismaDb, sql, transaction } from "~/sql.server";
import { recordAudit } from "./audit.server";

export interface ProductLinkRow {
  id: number;
  productId: string;
  variantId: string | null;
  productTitle: string;
  variantTitle: string | null;
  source: LinkSource;
  tagId: number | null;
  tagName: string | null;
  tagKind: TagKind | null;
  keysPerUnit: number;
  autoPattern: string | null;
  autoPrefix: string | null;
  /** Pending keys of the tag; null for automatic generation (never runs out). */
  remaining: number | null;
  lowStockThreshold: number | null;
}

const productLinkRow = {
  id: col.int,
  productId: col.text,
  variantId: col.text.nullable(),
  productTitle: col.text,
  variantTitle: col.text.nullable(),
  source: z.enum(["TAG", "AUTO_GENERATE"]) satisfies z.ZodType<LinkSource>,
  tagId: col.int.nullable(),
  tagName: col.text.nullable(),
  tagKind: (z.enum(["USER", "AUTO_GENERATED", "UNTAGGED"]) satisfies z.ZodType<TagKind>).nullable(),
  keysPerUnit: col.int,
  autoPattern: col.text.nullable(),
  autoPrefix: col.text.nullable(),
  remaining: col.int.nullable(),
  lowStockThreshold: col.int.nullable(),
};

export async function listProductLinks({ shopId }: { shopId: number }): Promise<ProductLinkRow[]> {
  return prismaDb(prisma).rows(
    productLinkRow,
    sql`
    SELECT pl."id", pl."product_id"::text AS "productId", pl."variant_id"::text AS "variantId",
      pl."product_title" AS "productTitle", pl."variant_title" AS "variantTitle", pl."source",
      pl."tag_id" AS "tagId", t."name" AS "tagName", t."kind" AS "tagKind", pl."keys_per_unit" AS "keysPerUnit",
      pl."auto_pattern" AS "autoPattern", pl."auto_prefix" AS "autoPrefix",
      CASE WHEN pl."source" = 'TAG' THEN t."pending_count" END AS "remaining",
      t."low_stock_threshold" AS "lowStockThreshold"
    FROM "product_link" pl LEFT JOIN "tag" t ON t."id" = pl."tag_id"
    WHERE pl."shop_id" = ${shopId}
    ORDER BY lower(pl."product_title"), pl."product_id", pl."variant_id" NULLS FIRST
    LIMIT 2000`,
  );
}

/** The tags a link can draw from: the merchant's tags and the "No tag" pool, never Auto-generated. */
export async function listLinkableTags({ shopId }: { shopId: number }) {
  return prisma.tag.findMany({
    where: { shopId, kind: { in: ["USER", "UNTAGGED"] } },
    select: { id: true, name: true, kind: true, pendingCount: true },
    orderBy: [{ kind: "asc" }, { name: "asc" }],
  });
}

async function requireLinkableTag(shopId: number, tagId: number) {
  const tag = await prisma.tag.findFirst({
    where: { id: tagId, shopId, kind: { in: ["USER", "UNTAGGED"] } },
    select: { id: true, name: true },
  });
  if (!tag) throw new LibraryError("Pick one of your tags.", 422, "tagId");
  return tag;
}

function sourceColumns(settings: LinkSettings) {
  return settings.source === "TAG"
    ? { source: "TAG" as const, tagId: settings.tagId, autoPattern: null, autoPrefix: null }
    : {
        source: "AUTO_GENERATE" as const,
        tagId: null,
        autoPattern: settings.pattern,
        autoPrefix: settings.prefix || null,
      };
}

function describeSource(settings: LinkSettings, tagName: string | null) {
  return settings.source === "TAG" ? `tag ${tagName}` : `automatic generation (${settings.prefix}${settings.pattern})`;
}

/**
 * Links the picked products/variants (creating or updating their links) in one transaction.
 * Products linked whole and single variants are kept apart: NULL variant ids never collide in a
 * unique index, so the product-level row has its own partial unique index.
 */
export async function linkProducts({
  shopId,
  actor,
  items,
  settings,
}: {
  shopId: number;
  actor: string;
  items: LinkTargetItem[];
  settings: LinkSettings;
}) {
  if (items.length === 0) throw new LibraryError("Pick at least one product.", 422, "items");
  const tag = settings.source === "TAG" ? await requireLinkableTag(shopId, settings.tagId) : null;
  const columns = sourceColumns(settings);
  const whole = items.filter((item) => item.variantId === null);
  const variants = items.filter((item) => item.variantId !== null);
  return transaction(async (tx) => {
    const db = prismaDb(tx);
    if (whole.length) {
      await db.run(sql`
        INSERT INTO "product_link" ("shop_id", "product_id", "variant_id", "product_title", "variant_title", "source", "tag_id",
          "keys_per_unit", "auto_pattern", "auto_prefix", "updated_at")
        SELECT ${shopId}::int, x.product_id, NULL, x.product_title, NULL, ${columns.source}::"LinkSource", ${columns.tagId}::int,
          ${settings.keysPerUnit}::int, ${columns.autoPattern}::text, ${columns.autoPrefix}::text, now()
        FROM unnest(${whole.map((i) => i.productId)}::bigint[], ${whole.map((i) => i.productTitle)}::text[]) AS x(product_id, product_title)
        ON CONFLICT ("shop_id", "product_id") WHERE "variant_id" IS NULL DO UPDATE SET
          "product_title" = EXCLUDED."product_title", "source" = EXCLUDED."source", "tag_id" = EXCLUDED."tag_id",
          "keys_per_unit" = EXCLUDED."keys_per_unit", "auto_pattern" = EXCLUDED."auto_pattern",
          "auto_prefix" = EXCLUDED."auto_prefix", "updated_at" = now()`);
    }
    if (variants.length) {
      await db.run(sql`
        INSERT INTO "product_link" ("shop_id", "product_id", "variant_id", "product_title", "variant_title", "source", "tag_id",
          "keys_per_unit", "auto_pattern", "auto_prefix", "updated_at")
        SELECT ${shopId}::int, x.product_id, x.variant_id, x.product_title, x.variant_title, ${columns.source}::"LinkSource",
          ${columns.tagId}::int, ${settings.keysPerUnit}::int, ${columns.autoPattern}::text, ${columns.autoPrefix}::text, now()
        FROM unnest(${variants.map((i) => i.productId)}::bigint[], ${variants.map((i) => i.variantId)}::bigint[],
          ${variants.map((i) => i.productTitle)}::text[], ${variants.map((i) => i.variantTitle)}::text[])
          AS x(product_id, variant_id, product_title, variant_title)
        ON CONFLICT ("shop_id", "product_id", "variant_id") DO UPDATE SET
          "product_title" = EXCLUDED."product_title", "variant_title" = EXCLUDED."variant_title", "source" = EXCLUDED."source",
          "tag_id" = EXCLUDED."tag_id", "keys_per_unit" = EXCLUDED."keys_per_unit", "auto_pattern" = EXCLUDED."auto_pattern",
          "auto_prefix" = EXCLUDED."auto_prefix", "updated_at" = now()`);
    }
    const names = items.map((i) => (i.variantTitle ? `${i.productTitle} - ${i.variantTitle}` : i.productTitle));
    await recordAudit({
      tx,
      shopId,
      actor,
      action: "products.link",
      summary: `Linked ${names.length === 1 ? names[0] : `${names.length} products`} to ${describeSource(settings, tag?.name ?? null)}, ${settings.keysPerUnit} ${settings.keysPerUnit === 1 ? "key" : "keys"} per unit`,
      count: items.length,
      details: { items: names.slice(0, 50) },
    });
    return { linked: items.length };
  });
}

async function requireLink(shopId: number, linkId: number) {
  const link = await prisma.productLink.findFirst({ where: { id: linkId, shopId } });
  if (!link) throw new LibraryError("This product link no longer exists.", 404);
  return link;
}

export async function updateProductLink({
  shopId,
  actor,
  linkId,
  settings,
}: {
  shopId: number;
  actor: string;
  linkId: number;
  settings: LinkSettings;
}) {
  const link = await requireLink(shopId, linkId);
  const tag = settings.source === "TAG" ? await requireLinkableTag(shopId, settings.tagId) : null;
  return transaction(async (tx) => {
    const updated = await tx.productLink.update({
      where: { id: link.id },
      data: { ...sourceColumns(settings), keysPerUnit: settings.keysPerUnit },
    });
    await recordAudit({
      tx,
      shopId,
      actor,
      action: "products.link",
      summary: `${link.variantTitle ? `${link.productTitle} - ${link.variantTitle}` : link.productTitle} now hands out keys from ${describeSource(settings, tag?.name ?? null)}, ${settings.keysPerUnit} per unit`,
      count: 1,
    });
    return updated;
  });
}

/** Orders already received keep their lines' tags; only future orders are affected. */
export async function removeProductLink({ shopId, actor, linkId }: { shopId: number; actor: string; linkId: number }) {
  const link = await requireLink(shopId, linkId);
  return transaction(async (tx) => {
    await tx.productLink.delete({ where: { id: link.id } });
    await recordAudit({
      tx,
      shopId,
      actor,
      action: "products.unlink",
      summary: `${link.variantTitle ? `${link.productTitle} - ${link.variantTitle}` : link.productTitle} no longer hands out licence keys`,
      count: 1,
    });
  });
}
