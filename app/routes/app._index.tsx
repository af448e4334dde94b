// "Licence keys": the app's home. One row per tag with its counts, from counters kept by triggers,
// so the page costs a few small queries whatever the number of keys.
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData, useNavigate } from "@remix-run/react";
import { TitleBar } from "@shopify/app-bridge-react";
import { BlockStack, Card, Page } from "@shopify/polaris";
import { requireAdmin } from "~/admin.server";
import { ExportButton } from "~/components/ExportButton";
import { LibraryEmptyState } from "~/components/LibraryEmptyState";
import { LibrarySummary } from "~/components/LibrarySummary";
import { LowStockBanner } from "~/components/LowStockBanner";
import { useListLoading, useUrlParams, useUrlSearch } from "~/components/library-hooks";
import { TagsIndex } from "~/components/TagsIndex";
import { DEFAULT_TAG_SORT, parseOverviewParams } from "~/lib/library";
import { listLowStockTags } from "~/models/low-stock.server";
import { getLibrarySummary, listTags } from "~/models/tags.server";

export const meta: MetaFunction = () => [{ title: "Licence keys · Keyshelf" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const params = parseOverviewParams(new URL(request.url).searchParams);
  const [page, summary, lowStock] = await Promise.all([
    // A search the app will not run lists nothing: the field shows why (and the answer is a 400).
    params.searchError
      ? { tags: [] as Awaited<ReturnType<typeof listTags>>["tags"], total: 0, page: 1, pageCount: 1, pageSize: 0 }
      : listTags({ shopId: shop.id, q: params.q, sort: params.sort, page: params.page }),
    getLibrarySummary({ shopId: shop.id }),
    listLowStockTags({ shopId: shop.id }),
  ]);
  return json(
    { ...page, summary, lowStock, params, timeZone: shop.ianaTimezone },
    { status: params.searchError ? 400 : 200 },
  );
}

export default function LicenceKeysOverview() {
  const { tags, total, page, pageCount, summary, lowStock, params, timeZone } = useLoaderData<typeof loader>();
  const navigate = useNavigate();
  const [query, setQuery] = useUrlSearch("q", ["page"]);
  const [, updateParams] = useUrlParams();
  const loading = useListLoading();
  const isEmpty = summary.totalKeys === 0 && summary.tags <= 2 && !params.q;

  return (
    <Page
      title="Licence keys"
      primaryAction={{ content: "Add keys", url: "/app/import" }}
      secondaryActions={isEmpty ? undefined : <ExportButton label="all licence keys" />}
    >
      <TitleBar title="Licence keys" />
      {isEmpty ? (
        <LibraryEmptyState onAddKeys={() => navigate("/app/import")} />
      ) : (
        <BlockStack gap="400">
          <LowStockBanner tags={lowStock} />
          <LibrarySummary totalKeys={summary.totalKeys} remaining={summary.remaining} runningLow={summary.runningLow} />
          <Card padding="0">
            <TagsIndex
              tags={tags}
              query={query}
              searchError={params.searchError}
              sort={params.sort}
              page={page}
              pageCount={pageCount}
              total={total}
              timeZone={timeZone}
              loading={loading}
              onQueryChange={setQuery}
              onSortChange={(sort) => updateParams({ sort: sort === DEFAULT_TAG_SORT ? null : sort, page: null })}
              onPageChange={(next) => updateParams({ page: next > 1 ? String(next) : null })}
            />
          </Card>
        </BlockStack>
      )}
    </Page>
  );
}
