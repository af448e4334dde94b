// Shared by the products, orders and settings screens and their routes: form schemas, picker
// selections, labels. Pure and isomorphic.
import { z } from "zod";
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

const idText = z.string().regex(/^\d{1,19}$/, "Unknown product.");

export const linkItemSchema = z.object({
  productId: idText,
  variantId: idText.nullable(),
  productTitle: z.string().max(255).default(""),
  variantTitle: z.string().max(255).nullable().default(null),
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
    tagId: z.coerce.number({ invalid_type_error: "Pick a tag." }).int().positive("Pick a tag."),
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

export function fieldErrors(error: z.ZodError) {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? "form");
    errors[field] ??= issue.message;
  }
  return errors;
}

export const settingsSchema = z.object({
  assignTrigger: z.enum(["ORDER_CREATED", "ORDER_PAID"], {
    errorMap: () => ({ message: "Choose when keys are assigned." }),
  }),
  cancelPolicy: z.enum(["RETURN_UNVIEWED", "KEEP_ASSIGNED"], {
    errorMap: () => ({ message: "Choose what happens on cancellation." }),
  }),
  reportEmail: z
    .string()
    .trim()
    .max(254)
    .refine(
      (value) => value === "" || z.string().email().safeParse(value).success,
      "Enter an email address, or leave it empty.",
    ),
});

export type SettingsInput = z.infer<typeof settingsSchema>;

export const thresholdSchema = z
  .string()
  .trim()
  .transform((value, ctx) => {
    if (value === "") return null;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 1_000_000) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: "Enter a whole number from 1 to 1,000,000, or leave it empty.",
      });
      return z.NEVER;
    }
    return n;
  });

export const ORDER_VIEWS = ["all", "waiting", "awaiting-payment"] as const;
export type OrderView = (typeof ORDER_VIEWS)[number];

export const orderListParamsSchema = z.object({
  view: z.enum(ORDER_VIEWS).catch("all"),
  q: z.string().trim().max(200).catch(""),
  after: z.string().max(64).nullable().catch(null),
});

export type OrderListParams = z.infer<typeof orderListParamsSchema>;

export function parseOrderListParams(searchParams: URLSearchParams): OrderListParams {
  return orderListParamsSchema.parse({
    view: searchParams.get("view") ?? "all",
    q: searchParams.get("q") ?? "",
    after: searchParams.get("after"),
  });
}

/** "1001", "#1001" and " #1001 " all find order #1001; anything with @ searches emails. */
export function orderSearch(
  q: string,
): { kind: "none" } | { kind: "email"; prefix: string } | { kind: "name"; names: string[] } {
  const term = q.trim();
  if (!term) return { kind: "none" };
  if (term.includes("@")) return { kind: "email", prefix: term.toLowerCase() };
  const bare = term.replace(/^#/, "");
  return { kind: "name", names: [...new Set([term, `#${bare}`, bare])] };
}

export const KEY_ACTIONS = ["replace", "return", "revoke"] as const;
export type KeyAction = (typeof KEY_ACTIONS)[number];

export const ASSIGN_TRIGGER_LABELS = {
  ORDER_CREATED: "When the order is created",
  ORDER_PAID: "When the order is paid",
} as const;

export const CANCEL_POLICY_LABELS = {
  RETURN_UNVIEWED: "Return keys the customer never viewed to the pool",
  KEEP_ASSIGNED: "Keep the keys assigned to the order",
} as const;

export const RETIRE_REASON_LABELS = { REPLACED: "Replaced", REVOKED: "Revoked" } as const;

export function maskKey(value: string) {
  return value.length <= 8 ? value : `${value.slice(0, 4)}…${value.slice(-4)}`;
}

/** Keys a day, as the forecasts print it: whole numbers from 10 up, one decimal below. */
export function formatPerDay(perDay: number) {
  return String(perDay >= 10 ? Math.round(perDay) : Math.round(perDay * 10) / 10);
}

export function daysLeftLabel(daysLeft: number | null) {
  if (daysLeft === null) return "no recent sales";
  if (daysLeft < 1) return "less than a day left";
  return `about ${daysLeft} ${daysLeft === 1 ? "day" : "days"} left`;
}
