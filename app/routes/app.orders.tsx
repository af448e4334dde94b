// Orders with keys, orders waiting for keys, orders waiting for payment; search by name or email.
// app.orders.$orderId.tsx nests under this route by its file name; an order's page replaces the
// list entirely, so the list is neither loaded nor rendered while a child route is active.
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData, useOutlet } from "@remix-run/react";
import { requireAdmin } from "~/admin.server";
import { OrdersPage } from "~/components/OrdersPage";
import { parseOrderListParams } from "~/lib/orders";
import { listLowStockTags } from "~/models/low-stock.server";
import { countOrderViews, listOrders } from "~/models/orders.server";

export const meta: MetaFunction = () => [{ title: "Orders · Keyshelf" }];

export async function loader({ request, params: routeParams }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  if (routeParams.orderId) return json(null);
  const params = parseOrderListParams(new URL(request.url).searchParams);
  const [page, counts, lowStock] = await Promise.all([
    // A search the app will not run lists nothing; the search field shows why (and the answer is a 400).
    params.searchError ? { orders: [] as Awaited<ReturnType<typeof listOrders>>["orders"], next: null } : listOrders({ shopId: shop.id, ...params }),
    countOrderViews({ shopId: shop.id }),
    listLowStockTags({ shopId: shop.id }),
  ]);
  return json(
    { ...page, view: params.view, searchError: params.searchError, counts, lowStock, timeZone: shop.ianaTimezone },
    { status: params.searchError ? 400 : 200 },
  );
}

export default function Orders() {
  const data = useLoaderData<typeof loader>();
  const outlet = useOutlet();
  if (outlet || !data) return outlet;
  return (
    <OrdersPage
      orders={data.orders}
      next={data.next}
      view={data.view}
      searchError={data.searchError}
      counts={data.counts}
      timeZone={data.timeZone}
      lowStock={data.lowStock}
    />
  );
}
