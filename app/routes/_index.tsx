import type { LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";

// Shopify opens the app at its URL with ?shop=...; everything lives under /app.
export async function loader({ request }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  if (url.searchParams.get("shop")) throw redirect(`/app?${url.searchParams.toString()}`);
  return new Response(
    "Keyshelf is a Shopify app: open it from your Shopify admin (Apps > Keyshelf).",
    { headers: { "Content-Type": "text/plain; charset=utf-8" } },
  );
}
