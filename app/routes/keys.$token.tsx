// The delivery email's link (link mode). No session: the link's HMAC is the credential. GET shows the
// order and a button; the POST it sends shows the keys and counts as the customer seeing them.
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { DeliveredKeysPage, type DeliveredKeysPageProps } from "~/components/DeliveredKeysPage";
import { openDeliveryLink } from "~/models/fulfilment/key-delivery.server";

function page(props: DeliveredKeysPageProps, status = 200) {
  return new Response(`<!DOCTYPE html>${renderToStaticMarkup(createElement(DeliveredKeysPage, props))}`, {
    status,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "private, no-store",
      "Referrer-Policy": "no-referrer",
      "X-Content-Type-Options": "nosniff",
      "X-Robots-Tag": "noindex",
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    },
  });
}

const INVALID: DeliveredKeysPageProps = { locale: "en", shopName: "", orderName: "", keys: null, invalid: true };

async function answer(token: string, reveal: boolean) {
  const linked = await openDeliveryLink({ token, reveal });
  if (!linked) return page(INVALID, 404);
  return page({ ...linked, keys: reveal ? linked.keys : null });
}

export async function loader({ params }: LoaderFunctionArgs) {
  return answer(params.token ?? "", false);
}

export async function action({ request, params }: ActionFunctionArgs) {
  if (request.method !== "POST") return new Response(undefined, { status: 405, headers: { Allow: "GET, POST" } });
  return answer(params.token ?? "", true);
}
