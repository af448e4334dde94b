// What the app accepts from outside, one rule per kind of value: every URL parameter, form field and
// webhook field that reaches the database passes one of these schemas first. A value outside its
// column's range or carrying a NUL byte (PostgreSQL refuses both, which would surface as a 500) is
// refused here as bad input, with a message the merchant can read.
import { z } from "zod";

/** The largest PostgreSQL `integer` (our own ids, counts and quantities). */
export const MAX_INT4 = 2_147_483_647;
/** The largest PostgreSQL `bigint` (Shopify's ids). */
export const MAX_INT8 = 9_223_372_036_854_775_807n;

/** The longest search the key list, the overview, the orders list and exports will run. */
export const MAX_SEARCH_LENGTH = 255;
export const SEARCH_TOO_LONG = `Search for at most ${MAX_SEARCH_LENGTH} characters.`;
export const SEARCH_CONTROL_CHARACTERS = "Searches can't contain control characters.";

// C0 controls other than tab, newline and carriage return, and DEL: never in text a person typed.
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** Whether text can be stored and searched as it is (PostgreSQL text cannot hold a NUL byte). */
export function isPlainText(value: string) {
  return !CONTROL_CHARACTERS.test(value);
}

/** Text from a form, a URL or a webhook: at most `max` characters, no control characters. */
export function text({ max, message = "This field has characters that can't be stored." }: { max: number; message?: string }) {
  return z.string().max(max).refine(isPlainText, message);
}

/** One of our own ids (a tag, a key, an order row, a job...): a positive int4, written in digits. */
export const idSchema = z
  .union([z.string(), z.number()])
  .transform((value) => String(value).trim())
  .pipe(z.string().regex(/^\d{1,10}$/, "Unknown id."))
  .transform(Number)
  .pipe(z.number().int().positive().max(MAX_INT4, "Unknown id."));

/** A form field naming one of our ids; anything else is the field's error `message`. */
export function idField(message: string) {
  return z.unknown().transform((value, ctx) => {
    const id = parseId(value);
    if (id === null) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message });
      return z.NEVER;
    }
    return id;
  });
}

/** The id in a URL or form field, or null when it is not one of ours (the route answers 404). */
export function parseId(value: unknown): number | null {
  const parsed = idSchema.safeParse(value ?? "");
  return parsed.success ? parsed.data : null;
}

/** A count or quantity stored as int4: a non-negative whole number. */
export const int4Count = z.number().int().nonnegative().max(MAX_INT4);

/**
 * A Shopify id (int8): JSON numbers (Shopify's ids stay below 2^53, so a larger number has already
 * lost digits and cannot be one) or numeric strings up to the int8 range.
 */
export const shopifyIdSchema = z
  .union([
    z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    z.string().regex(/^\d{1,19}$/),
  ])
  .transform((value) => BigInt(value))
  .refine((id) => id <= MAX_INT8, "Id is out of range.");

/** A Shopify id as text (product and variant ids picked in the admin). */
export const shopifyIdText = z
  .string()
  .regex(/^\d{1,19}$/, "Unknown product.")
  .refine((value) => BigInt(value) <= MAX_INT8, "Unknown product.");

/** A search as typed: trimmed; over-long or control characters are refused, never silently dropped. */
export const searchSchema = z
  .string()
  .trim()
  .max(MAX_SEARCH_LENGTH, SEARCH_TOO_LONG)
  .refine(isPlainText, SEARCH_CONTROL_CHARACTERS);

/**
 * A search from a URL: the query to run, or the reason it will not run. A page shows the reason on
 * its search field and lists nothing, so a bulk action can never act on more than was shown.
 */
export function parseSearch(value: string | null): { q: string; error: null } | { q: string; error: string } {
  const parsed = searchSchema.safeParse(value ?? "");
  if (parsed.success) return { q: parsed.data, error: null };
  // Echo back what can be shown safely: the text without control characters, cut to the limit.
  const shown = (value ?? "").replace(new RegExp(CONTROL_CHARACTERS, "g"), "").slice(0, MAX_SEARCH_LENGTH * 2);
  return { q: shown, error: parsed.error.issues[0].message };
}

/** A shop's myshopify domain, as webhooks, tokens and URLs name it. */
export const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;

export function isShopDomain(value: unknown): value is string {
  return typeof value === "string" && value.length <= 255 && SHOP_DOMAIN.test(value);
}

/** The id in a route's URL or form, or a thrown 404: an id that cannot be one of ours names nothing. */
export function requireId(value: unknown): number {
  const id = parseId(value);
  if (id === null) throw new Response("Not found", { status: 404 });
  return id;
}

/** An email address a merchant types, or empty (for "the default"): trimmed, at most 254 characters. */
export const emailField = z
  .string()
  .trim()
  .max(254, "An email address has at most 254 characters.")
  .refine(
    (value) => value === "" || z.string().email().safeParse(value).success,
    "Enter an email address, or leave it empty.",
  );
