// The activity log: every destructive action on the merchant's keys, who did it, how many keys, when.
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { TitleBar } from "@shopify/app-bridge-react";
import { Badge, BlockStack, Card, EmptyState, IndexTable, Page, Text } from "@shopify/polaris";
import { z } from "zod";
import { requireAdmin } from "~/admin.server";
import { useListLoading, useUrlParams } from "~/components/library-hooks";
import { AUDIT_ACTION_LABELS, formatCount, formatDateTime } from "~/lib/library";
import { listAudit } from "~/models/audit.server";

export const meta: MetaFunction = () => [{ title: "Activity · Keyshelf" }];

const cursorSchema = z.string().max(40).nullable().catch(null);

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const url = new URL(request.url);
  const page = await listAudit({
    shopId: shop.id,
    after: cursorSchema.parse(url.searchParams.get("after")),
    before: cursorSchema.parse(url.searchParams.get("before")),
  });
  return json({ ...page, timeZone: shop.ianaTimezone });
}

const DESTRUCTIVE = new Set(["keys.delete", "tag.delete", "tag.dedupe"]);

export default function Activity() {
  const { entries, before, after, timeZone } = useLoaderData<typeof loader>();
  const [, updateParams] = useUrlParams();
  const loading = useListLoading();
  const first = !before && !after && entries.length === 0;

  return (
    <Page title="Activity" subtitle="Every change to your licence keys that can't be undone, and who made it.">
      <TitleBar title="Activity" />
      {first ? (
        <Card>
          <EmptyState heading="No activity yet" image="">
            <p>Deleting keys or tags, moving keys and cleaning up duplicates are recorded here.</p>
          </EmptyState>
        </Card>
      ) : (
        <Card padding="0">
          <IndexTable
            resourceName={{ singular: "event", plural: "events" }}
            itemCount={entries.length}
            selectable={false}
            loading={loading}
            headings={[
              { title: "When" },
              { title: "Action" },
              { title: "Details" },
              { title: "Keys", alignment: "end" },
              { title: "By" },
            ]}
            pagination={{
              hasPrevious: before !== null,
              hasNext: after !== null,
              onPrevious: () => updateParams({ before, after: null }),
              onNext: () => updateParams({ after, before: null }),
            }}
          >
            {entries.map((entry, index) => (
              <IndexTable.Row id={String(entry.id)} key={entry.id} position={index}>
                <IndexTable.Cell>
                  <Text as="span" variant="bodySm">
                    {formatDateTime(entry.createdAt, timeZone)}
                  </Text>
                </IndexTable.Cell>
                <IndexTable.Cell>
                  <Badge tone={DESTRUCTIVE.has(entry.action) ? "critical" : undefined}>
                    {AUDIT_ACTION_LABELS[entry.action] ?? entry.action}
                  </Badge>
                </IndexTable.Cell>
                <IndexTable.Cell>
                  <BlockStack>
                    <Text as="span">{entry.summary}</Text>
                  </BlockStack>
                </IndexTable.Cell>
                <IndexTable.Cell>
                  <Text as="span" alignment="end" numeric>
                    {entry.count === null ? "" : formatCount(entry.count)}
                  </Text>
                </IndexTable.Cell>
                <IndexTable.Cell>{entry.actor}</IndexTable.Cell>
              </IndexTable.Row>
            ))}
          </IndexTable>
        </Card>
      )}
    </Page>
  );
}
