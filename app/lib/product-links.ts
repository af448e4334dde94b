// The products screen and its route: what the resource picker returned, as links, and the link
// settings form (where keys come from, keys per unit). Pure and isomorphic.
import { z } from "zod";
import { fieldErrors } from "./forms";
import { idField, shopifyIdText, text } from "./input";
import { keyPatternSchema, keyPrefixSchema } from "./key-format";

export const MAX_KEYS_PER_UNIT = 100;

/** "gid://shopify/Product/123" or "123" -> "123" (ids stay strings: they exceed 2^31 and travel as text). */
export function numericId(gid: string | number) {
  const match = /(\d+)$/.exec(String(gid));
  return match ? match[1] : null;
}

export interface PickedProduct {
  id: string;
  title: string;
  totalVariants?: number;
  hasOnlyDefaultVariant?: boolean;
  variants?: Array<{ id: string; title?: string | null; displayName?: string | null }>;
}

export interface LinkTargetItem {
  productId: string;
  variantId: string | null;
  productTitle: string;
  variantTitle: string | null;
}

/**
 * What the resource picker returned, as links: a product picked whole links the product (and so
 * every variant, including ones added later); a product with only some variants picked links
 * those variants.
 */
export function linkItemsFromSelection(selection: PickedProduct[]): LinkTargetItem[] {
  const items: LinkTargetItem[] = [];
  for (const product of selection) {
    const productId = numericId(product.id);
    if (!productId) continue;
    const variants = product.variants ?? [];
    const whole =
      product.hasOnlyDefaultVariant ||
      variants.length === 0 ||
      (product.totalVariants !== undefined && variants.length >= product.totalVariants);
    if (whole) {
      items.push({ productId, variantId: null, productTitle: product.title, variantTitle: null });
      continue;
    }
    for (const variant of variants) {
      const variantId = numericId(variant.id);
      if (variantId)
        items.push({ productId, variantId, productTitle: product.title, variantTitle: variant.title ?? null });
    }
  }
  return items;
}

export const linkItemSchema = z.object({
  productId: shopifyIdText,
  variantId: shopifyIdText.nullable(),
  productTitle: text({ max: 255, message: "The product's title has characters that can't be stored." }).default(""),
  variantTitle: text({ max: 255, message: "The variant's title has characters that can't be stored." }).nullable().default(null),
});

const keysPerUnitSchema = z.coerce
  .number({ invalid_type_error: "Enter a number." })
  .int("Enter a whole number.")
  .min(1, "At least 1 key per unit.")
  .max(MAX_KEYS_PER_UNIT, `At most ${MAX_KEYS_PER_UNIT} keys per unit.`);

/** Where a link's keys come from: a tag (the "No tag" pool included), or automatic generation. */
export const linkSourceSchema = z.discriminatedUnion("source", [
  z.object({
    source: z.literal("TAG"),
    tagId: idField("Pick a tag."),
  }),
  z.object({ source: z.literal("AUTO_GENERATE"), pattern: keyPatternSchema, prefix: keyPrefixSchema.default("") }),
]);

export type LinkSource = z.infer<typeof linkSourceSchema>;

export const linkSettingsSchema = z.intersection(linkSourceSchema, z.object({ keysPerUnit: keysPerUnitSchema }));

export type LinkSettings = z.infer<typeof linkSettingsSchema>;

/** Form fields -> link settings, or field errors keyed like the form's fields. */
export function parseLinkSettings(form: FormData) {
  const source = form.get("source");
  const input =
    source === "AUTO_GENERATE"
      ? {
          source,
          pattern: form.get("pattern") ?? "",
          prefix: form.get("prefix") ?? "",
          keysPerUnit: form.get("keysPerUnit"),
        }
      : { source: "TAG", tagId: form.get("tagId"), keysPerUnit: form.get("keysPerUnit") };
  const parsed = linkSettingsSchema.safeParse(input);
  if (parsed.success) return { ok: true as const, settings: parsed.data };
  return { ok: false as const, errors: fieldErrors(parsed.error) };
}
