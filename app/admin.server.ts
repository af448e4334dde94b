// The first line of every admin route: a verified session token, the shop's row, and who acts.
import { authenticate } from "./shopify.server";
import { ensureShop } from "./models/shop.server";

export async function requireAdmin(request: Request) {
  const context = await authenticate.admin(request);
  const shop = await ensureShop(context.session.shop);
  const user = context.sessionToken?.sub;
  const actor = user ? `Staff member ${user}` : "Merchant";
  return { ...context, shop, actor };
}
