// Parsing what Shopify's extension session tokens and our extension endpoints carry.
import { z } from "zod";
import { MAX_INT8, SHOP_DOMAIN } from "./input";

/** `dest` names the shop as "shop.myshopify.com" or "https://shop.myshopify.com" depending on the surface. */
export function shopFromDest(dest: unknown): string | null {
  if (typeof dest !== "string") return null;
  const host = dest
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, "")
    .replace(/\/+$/, "");
  return SHOP_DOMAIN.test(host) ? host : null;
}

/** `sub` is "gid://shopify/Customer/123" for a signed-in customer, absent otherwise. */
export function customerIdFromSub(sub: unknown): bigint | null {
  if (typeof sub !== "string") return null;
  const match = /^gid:\/\/shopify\/Customer\/(\d{1,19})$/.exec(sub);
  if (!match) return null;
  const id = BigInt(match[1]);
  return id > 0n && id <= MAX_INT8 ? id : null;
}

/** Shopify's numeric order id, as in the webhook payload's `id` (a gid is accepted too). */
export const shopifyOrderIdSchema = z
  .string()
  .trim()
  .transform((value) => value.replace(/^gid:\/\/shopify\/Order\//, ""))
  .pipe(z.string().regex(/^\d{1,19}$/, "Order id must be Shopify's numeric order id"))
  .transform((value) => BigInt(value))
  .refine((id) => id > 0n && id <= MAX_INT8, "Order id is out of range");

/** Confirmation numbers are short alphanumeric codes, e.g. "XPAV284CT". */
export const confirmationNumberSchema = z
  .string()
  .trim()
  .min(1, "Confirmation number is required")
  .max(64, "Confirmation number is too long")
  .regex(/^[A-Za-z0-9-]+$/, "Confirmation number has unexpected characters");
