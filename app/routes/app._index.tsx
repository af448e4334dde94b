import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { Card, Page, Text } from "@shopify/polaris";
import { requireAdmin } from "~/admin.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  return json({ shopName: shop.name || shop.domain });
}

export default function Overview() {
  const { shopName } = useLoaderData<typeof loader>();
  return (
    <Page title="Licence keys">
      <Card>
        <Text as="p">Licence keys of {shopName}</Text>
      </Card>
    </Page>
  );
}
