// Session tokens as Shopify's customer-facing extensions send them: HS256 with the app's secret,
// `aud` = API key, `dest` = the shop's domain (bare or with https://, depending on the surface) and,
// for a signed-in customer, `sub` = the customer's gid.
import { randomUUID } from "node:crypto";
import { signJwt, TEST_API_KEY, TEST_API_SECRET } from "./shopify";

export interface ExtensionTokenOptions {
  shop: string;
  /** Numeric customer id, or null for a token that names no customer. */
  customerId?: number | bigint | null;
  secret?: string;
  aud?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  /** "bare": "shop.myshopify.com", "url": "https://shop.myshopify.com". */
  dest?: "bare" | "url";
}

function extensionToken({
  shop,
  customerId = null,
  secret = TEST_API_SECRET,
  aud = TEST_API_KEY,
  expiresIn = 300,
  dest = "bare",
}: ExtensionTokenOptions) {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(
    {
      dest: dest === "url" ? `https://${shop}` : shop,
      aud,
      ...(customerId === null ? {} : { sub: `gid://shopify/Customer/${customerId}` }),
      exp: now + expiresIn,
      nbf: now - 5,
      iat: now - 5,
      jti: randomUUID(),
    },
    secret,
  );
}

/** A customer account UI extension's token (order status page). */
export function customerAccountToken(options: ExtensionTokenOptions) {
  return extensionToken(options);
}

/** A checkout UI extension's token (thank-you page); `sub` only when the buyer is signed in. */
export function checkoutToken(options: ExtensionTokenOptions) {
  return extensionToken(options);
}

/** Where extensions run: Shopify's extension sandbox origin, so CORS applies. */
export const EXTENSION_ORIGIN = "https://extensions.shopifycdn.com";
