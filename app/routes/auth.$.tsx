import type { LoaderFunctionArgs } from "@remix-run/node";
import { refuseForeignTokens } from "~/admin.server";
import { authenticate } from "~/shopify.server";

// /auth/session-token and friends: the library answers (bounce page, token exchange).
export async function loader({ request }: LoaderFunctionArgs) {
  refuseForeignTokens(request);
  await authenticate.admin(request);
  return null;
}
