// The first line of every admin route: a genuine admin session token, the shop's row, and who acts.
import { decodeJwt } from "jose";
import { config } from "./config.server";
import { adminTokenShop } from "./lib/session-tokens";
import { ensureShop } from "./models/shop.server";
import { authenticate } from "./shopify.server";

/**
 * Refuses (401) a token Shopify signed for another surface before the library reads it: a
 * customer-account or checkout token carries the same signature but no admin issuer, session or
 * staff member, and must never open the admin. A token that is not a JWT at all is the library's
 * to refuse, as are the signature and lifetime.
 */
export function refuseForeignTokens(request: Request) {
  const header = request.headers.get("Authorization");
  const token = header?.startsWith("Bearer ") ? header.slice(7).trim() : new URL(request.url).searchParams.get("id_token");
  if (!token) return;
  let claims: unknown;
  try {
    claims = decodeJwt(token);
  } catch {
    return;
  }
  if (adminTokenShop(claims, config.apiKey) === null) {
    // As the library answers any refused token: App Bridge retries once with a fresh admin token.
    throw new Response("This token is not an admin session token.", {
      status: 401,
      headers: { "X-Shopify-Retry-Invalid-Session-Request": "1", "Cache-Control": "no-store" },
    });
  }
}

export async function requireAdmin(request: Request) {
  refuseForeignTokens(request);
  const context = await authenticate.admin(request);
  const shop = await ensureShop(context.session.shop);
  const user = context.sessionToken?.sub;
  const actor = user ? `Staff member ${user}` : "Merchant";
  return { ...context, shop, actor };
}
