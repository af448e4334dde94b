// The kinds of session token Shopify signs with the app's secret, told apart by their claims, so each
// surface accepts only its own kind (a signature alone proves only that Shopify issued the token).
// - Admin (App Bridge): iss "https://<shop>/admin", dest "https://<shop>", aud the app's API key,
//   sub the staff member's numeric user id, sid the admin session, exp/nbf.
// - Customer-facing extensions (customer account, checkout): dest the shop (bare or https://), aud,
//   sub only for a signed-in customer ("gid://shopify/Customer/<id>"), never iss or sid.
// shopify-app-remix verifies the signature and lifetime; these schemas check the shape.
import { z } from "zod";
import { SHOP_DOMAIN } from "./input";

const seconds = z.number().int().positive();

function shopOfUrl(value: string, suffix: string) {
  const match = /^https:\/\/([^/]+)(\/.*)?$/.exec(value);
  if (!match || (match[2] ?? "") !== suffix || !SHOP_DOMAIN.test(match[1])) return null;
  return match[1];
}

/** An admin session token's claims, checked for `apiKey`; the shop it names, or null. */
export function adminTokenShop(claims: unknown, apiKey: string): string | null {
  const parsed = z
    .object({
      iss: z.string(),
      dest: z.string(),
      aud: z.union([z.string(), z.array(z.string())]),
      sub: z.string().regex(/^\d{1,20}$/),
      sid: z.string().min(1).max(255),
      exp: seconds,
      nbf: seconds,
    })
    .safeParse(claims);
  if (!parsed.success) return null;
  const { iss, dest, aud } = parsed.data;
  if (!(Array.isArray(aud) ? aud.includes(apiKey) : aud === apiKey)) return null;
  const shop = shopOfUrl(dest, "");
  return shop && shopOfUrl(iss, "/admin") === shop ? shop : null;
}

/** Whether claims are an extension's: no admin issuer or session, and `sub` only a customer's gid. */
export function isExtensionToken(claims: Record<string, unknown>): boolean {
  if ("iss" in claims || "sid" in claims) return false;
  return claims.sub === undefined || (typeof claims.sub === "string" && /^gid:\/\/shopify\/Customer\/\d{1,19}$/.test(claims.sub));
}
