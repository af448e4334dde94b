// Orders that received licence keys, searchable by order name or customer email, with the orders
// still waiting for keys (oldest first: the order they are filled in) and those waiting for payment.
import { TitleBar } from "@shopify/app-bridge-react";
import {
  Badge,
  BlockStack,
  Card,
  EmptyState,
  IndexTable,
  Layout,
  Link,
  Page,
  Tabs,
  Text,
  TextField,
  Box,
} from "@shopify/polaris";
import { LowStockBanner, type LowStockBannerTag } from "~/components/LowStockBanner";
import { useListLoading, useUrlParams, useUrlSearch } from "~/components/library-hooks";
import type { OrderView } from "~/lib/orders";
import { formatDateTime } from "~/lib/library";

export interface OrderListItem {
  id: number;
  name: string;
  email: string | null;
  placedAt: string;
  keysAssigned: number;
  keysNeeded: number;
  shortfall: number;
  awaitingPayment: boolean;
  cancelledAt: string | null;
  waitingFor: Array<{ title: string; tagName: string | null; needed: number; assigned: number }>;
}

const VIEWS: Array<{ id: OrderView; label: string }> = [
  { id: "all", label: "Orders with keys" },
  { id: "waiting", label: "Orders waiting for keys" },
  { id: "awaiting-payment", label: "Awaiting payment" },
];

export function OrdersPage({
  orders,
  next,
  view,
  searchError = null,
  counts,
  timeZone,
  lowStock,
}: {
  orders: OrderListItem[];
  next: string | null;
  view: OrderView;
  /** Why the search was not run (nothing is listed), or null. */
  searchError?: string | null;
  counts: { waiting: number; awaitingPayment: number };
  timeZone: string;
  lowStock: LowStockBannerTag[];
}) {
  const [searchParams, updateParams] = useUrlParams();
  const [search, setSearch] = useUrlSearch("q", ["after"]);
  const loading = useListLoading();
  const paged = searchParams.has("after");
  const tabs = VIEWS.map((v) => ({
    id: v.id,
    content:
      v.id === "waiting"
        ? `${v.label} (${counts.waiting})`
        : v.id === "awaiting-payment"
          ? `${v.label} (${counts.awaitingPayment})`
          : v.label,
    accessibilityLabel: v.label,
    panelID: `orders-${v.id}`,
  }));

  return (
    <Page title="Orders" subtitle="Orders whose products hand out licence keys.">
      <TitleBar title="Orders" />
      <Layout>
        {lowStock.length > 0 && (
          <Layout.Section>
            <LowStockBanner tags={lowStock} />
          </Layout.Section>
        )}
        <Layout.Section>
          <Card padding="0">
            <Tabs
              tabs={tabs}
              selected={Math.max(
                0,
                VIEWS.findIndex((v) => v.id === view),
              )}
              onSelect={(index) =>
                updateParams({ view: VIEWS[index].id === "all" ? null : VIEWS[index].id, after: null })
              }
            >
              <Box padding="300">
                <TextField
                  label="Search orders"
                  labelHidden
                  placeholder="Search by order name (#1001) or customer email"
                  value={search}
                  onChange={setSearch}
                  clearButton
                  onClearButtonClick={() => setSearch("")}
                  error={searchError ? `${searchError} This search wasn't run.` : undefined}
                  autoComplete="off"
                />
              </Box>
              {orders.length === 0 ? (
                <EmptyState heading={emptyHeading(view, Boolean(search))} image="">
                  <p>{emptyText(view, Boolean(search))}</p>
                </EmptyState>
              ) : (
                <IndexTable
                  resourceName={{ singular: "order", plural: "orders" }}
                  itemCount={orders.length}
                  selectable={false}
                  loading={loading}
                  headings={[
                    { title: "Order" },
                    { title: "Placed" },
                    { title: "Customer" },
                    { title: view === "waiting" ? "Waiting for" : "Keys" },
                    { title: "Status" },
                  ]}
                  pagination={{
                    hasPrevious: paged,
                    hasNext: next !== null,
                    onPrevious: () => updateParams({ after: null }),
                    onNext: () => updateParams({ after: next }),
                  }}
                >
                  {orders.map((order, index) => (
                    <IndexTable.Row id={String(order.id)} key={order.id} position={index}>
                      <IndexTable.Cell>
                        <Link url={`/app/orders/${order.id}`} removeUnderline dataPrimaryLink>
                          <Text as="span" fontWeight="semibold">
                            {order.name || `Order ${order.id}`}
                          </Text>
                        </Link>
                      </IndexTable.Cell>
                      <IndexTable.Cell>{formatDateTime(order.placedAt, timeZone)}</IndexTable.Cell>
                      <IndexTable.Cell>
                        {order.email ?? (
                          <Text as="span" tone="subdued">
                            No email
                          </Text>
                        )}
                      </IndexTable.Cell>
                      <IndexTable.Cell>
                        {view === "waiting" ? (
                          <BlockStack gap="050">
                            {order.waitingFor.map((line, i) => (
                              <Text as="span" key={i}>
                                {line.title}: {line.assigned} of {line.needed}
                                {line.tagName ? ` (tag ${line.tagName})` : " (tag deleted)"}
                              </Text>
                            ))}
                          </BlockStack>
                        ) : (
                          <Text as="span" numeric>
                            {order.keysAssigned} of {order.keysNeeded}
                          </Text>
                        )}
                      </IndexTable.Cell>
                      <IndexTable.Cell>
                        <OrderStatus order={order} />
                      </IndexTable.Cell>
                    </IndexTable.Row>
                  ))}
                </IndexTable>
              )}
            </Tabs>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

export function OrderStatus({
  order,
}: {
  order: Pick<OrderListItem, "cancelledAt" | "awaitingPayment" | "shortfall">;
}) {
  if (order.cancelledAt) return <Badge>Cancelled</Badge>;
  if (order.awaitingPayment) return <Badge tone="attention">Awaiting payment</Badge>;
  if (order.shortfall > 0)
    return <Badge tone="warning">{`Waiting for ${order.shortfall} ${order.shortfall === 1 ? "key" : "keys"}`}</Badge>;
  return <Badge tone="success">Keys delivered</Badge>;
}

function emptyHeading(view: OrderView, searching: boolean) {
  if (searching) return "No orders match your search";
  if (view === "waiting") return "No orders are waiting for keys";
  if (view === "awaiting-payment") return "No orders are waiting for payment";
  return "No orders with licence keys yet";
}

function emptyText(view: OrderView, searching: boolean) {
  if (searching) return "Search by the order name, like #1001, or the start of the customer's email.";
  if (view === "waiting")
    return "When a tag runs out, orders wait here and receive keys, oldest first, as soon as you add keys.";
  if (view === "awaiting-payment") return "With keys assigned on payment (Settings), unpaid orders wait here.";
  return "Orders appear here once customers buy products linked to licence keys.";
}
