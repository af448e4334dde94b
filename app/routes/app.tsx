import type { HeadersFunction, LinksFunction, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, Outlet, useLoaderData, useRouteError } from "@remix-run/react";
import { NavMenu } from "@shopify/app-bridge-react";
import polarisStyles from "@shopify/polaris/build/esm/styles.css";
import { boundary } from "@shopify/shopify-app-remix/server";
import { AppProvider } from "@shopify/shopify-app-remix/react";
import { requireAdmin } from "~/admin.server";
import { config } from "~/config.server";
import indexTableStyles from "~/styles/index-table.css";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: polarisStyles },
  { rel: "stylesheet", href: indexTableStyles },
];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireAdmin(request);
  return json({ apiKey: config.apiKey, appBridgeUrl: config.appBridgeStandInUrl });
}

export default function AppLayout() {
  const { apiKey, appBridgeUrl } = useLoaderData<typeof loader>();
  return (
    <AppProvider isEmbeddedApp apiKey={apiKey} {...(appBridgeUrl ? { __APP_BRIDGE_URL: appBridgeUrl } : {})}>
      <NavMenu>
        <Link to="/app" rel="home">
          Licence keys
        </Link>
        <Link to="/app/products">Products</Link>
        <Link to="/app/orders">Orders</Link>
        <Link to="/app/activity">Activity</Link>
        <Link to="/app/exports">Exports</Link>
        <Link to="/app/settings">Settings</Link>
      </NavMenu>
      <Outlet />
    </AppProvider>
  );
}

// Shopify's boundary turns auth responses (redirects, 401s) into what the admin expects.
export function ErrorBoundary() {
  return boundary.error(useRouteError());
}

export const headers: HeadersFunction = (headersArgs) => boundary.headers(headersArgs);
