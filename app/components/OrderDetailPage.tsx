// One order and its licence keys, per line: replace a key the customer reports broken, return a key
// the customer never viewed to the pool, or revoke a key. Each asks for confirmation first.
import { useFetcher } from "@remix-run/react";
import { TitleBar } from "@shopify/app-bridge-react";
import {
  Badge,
  Banner,
  BlockStack,
  Box,
  Button,
  Card,
  InlineStack,
  Layout,
  Modal,
  Page,
  Text,
  TextField,
} from "@shopify/polaris";
import { useEffect, useState } from "react";
import { OrderStatus } from "~/components/OrdersPage";
import { copyText, useToast } from "~/components/library-hooks";
import { RETIRE_REASON_LABELS, type DeliveryRecord, type KeyAction } from "~/lib/orders";
import { formatDateTime, KEY_STATUS_LABELS, orderAdminUrl } from "~/lib/library";

export interface OrderKeyItem {
  id: number;
  value: string;
  type: "UPLOADED" | "AUTO_GENERATED";
  status: "PENDING" | "ASSIGNED" | "USED" | "RETIRED";
  assignedAt: string | null;
  usedAt: string | null;
  retiredAt: string | null;
  retireReason: "REPLACED" | "REVOKED" | null;
  lineId: number | null;
  emailedAt: string | null;
}

export interface OrderDetailView {
  id: number;
  shopifyId: string;
  name: string;
  email: string | null;
  confirmationNumber: string | null;
  financialStatus: string | null;
  placedAt: string;
  cancelledAt: string | null;
  shortfall: number;
  awaitingPayment: boolean;
  lines: Array<{
    id: number;
    title: string;
    quantity: number;
    keysNeeded: number;
    keysAssigned: number;
    source: "TAG" | "AUTO_GENERATE";
    tagId: number | null;
    tagName: string | null;
    pendingInTag: number | null;
  }>;
  keys: OrderKeyItem[];
}

export interface OrderKeyActionResult {
  ok: boolean;
  message?: string;
  error?: string;
  /** The form field the error belongs to (the resend address). */
  field?: "to";
}

export type OrderDeliveryItem = DeliveryRecord;

export interface OrderDeliverySettings {
  enabled: boolean;
  mode: "KEYS" | "LINK";
  mailConfigured: boolean;
}

const CONFIRM: Record<KeyAction, { title: string; button: string; body: string; destructive: boolean }> = {
  replace: {
    title: "Replace licence key?",
    button: "Replace key",
    body: "The order receives the next pending key of the same tag (or a newly generated key). This key is retired and never handed out again.",
    destructive: false,
  },
  return: {
    title: "Return licence key to the pool?",
    button: "Return to pool",
    body: "The customer has not viewed this key. It becomes pending again, can go to another order, and this order no longer needs it.",
    destructive: false,
  },
  revoke: {
    title: "Revoke licence key?",
    button: "Revoke key",
    body: "The customer loses access to this key: it disappears from their order. The key is retired and never handed out again, and the order does not receive another.",
    destructive: true,
  },
};

interface OrderDetailProps {
  order: OrderDetailView;
  deliveries: OrderDeliveryItem[];
  delivery: OrderDeliverySettings;
  timeZone: string;
}

export function OrderDetailPage({ order, deliveries, delivery, timeZone }: OrderDetailProps) {
  const fetcher = useFetcher<OrderKeyActionResult>();
  const toast = useToast();
  const [pending, setPending] = useState<{ key: OrderKeyItem; action: KeyAction } | null>(null);

  useEffect(() => {
    if (fetcher.state !== "idle" || !fetcher.data) return;
    if (fetcher.data.ok) {
      toast(fetcher.data.message ?? "Done");
      setPending(null);
    }
  }, [fetcher.state, fetcher.data, toast]);

  const error = fetcher.state === "idle" && fetcher.data && !fetcher.data.ok ? fetcher.data.error : null;
  const keysByLine = (lineId: number) => order.keys.filter((key) => key.lineId === lineId);
  const orphans = order.keys.filter(
    (key) => key.lineId === null || !order.lines.some((line) => line.id === key.lineId),
  );

  return (
    <Page
      title={order.name || `Order ${order.shopifyId}`}
      backAction={{ content: "Orders", url: "/app/orders" }}
      titleMetadata={<OrderStatus order={order} />}
      secondaryActions={[{ content: "View order in Shopify", url: orderAdminUrl(order.shopifyId) }]}
    >
      <TitleBar title={order.name || "Order"} />
      <Layout>
        {order.shortfall > 0 && !order.cancelledAt && (
          <Layout.Section>
            <Banner
              tone="warning"
              title={`This order is waiting for ${order.shortfall} ${order.shortfall === 1 ? "key" : "keys"}`}
            >
              <p>It receives them automatically, before newer orders, as soon as keys are added to the tag.</p>
            </Banner>
          </Layout.Section>
        )}
        {order.awaitingPayment && (
          <Layout.Section>
            <Banner tone="info" title="Keys are assigned once the order is paid">
              <p>Your settings assign keys on payment. This order has not been paid yet.</p>
            </Banner>
          </Layout.Section>
        )}
        <Layout.Section>
          <BlockStack gap="400">
            {order.lines.map((line) => (
              <Card key={line.id}>
                <BlockStack gap="300">
                  <InlineStack align="space-between" blockAlign="center">
                    <BlockStack gap="050">
                      <Text as="h2" variant="headingMd">
                        {line.title}
                      </Text>
                      <Text as="p" tone="subdued">
                        {line.source === "AUTO_GENERATE"
                          ? "Generated keys"
                          : line.tagName
                            ? `Tag ${line.tagName}`
                            : "Tag deleted"}{" "}
                        · {line.keysAssigned} of {line.keysNeeded} {line.keysNeeded === 1 ? "key" : "keys"} · quantity{" "}
                        {line.quantity}
                      </Text>
                    </BlockStack>
                  </InlineStack>
                  <KeyRows
                    keys={keysByLine(line.id)}
                    timeZone={timeZone}
                    busyKeyId={fetcher.state !== "idle" ? pending?.key.id : undefined}
                    onAction={(key, action) => setPending({ key, action })}
                  />
                </BlockStack>
              </Card>
            ))}
            {orphans.length > 0 && (
              <Card>
                <BlockStack gap="300">
                  <Text as="h2" variant="headingMd">
                    Other keys
                  </Text>
                  <KeyRows keys={orphans} timeZone={timeZone} onAction={(key, action) => setPending({ key, action })} />
                </BlockStack>
              </Card>
            )}
          </BlockStack>
        </Layout.Section>
        <Layout.Section variant="oneThird">
          <Card>
            <BlockStack gap="200">
              <Text as="h2" variant="headingMd">
                Order
              </Text>
              <Text as="p">Placed {formatDateTime(order.placedAt, timeZone)}</Text>
              <Text as="p">{order.email ?? "No customer email"}</Text>
              {order.confirmationNumber && <Text as="p">Confirmation {order.confirmationNumber}</Text>}
              {order.financialStatus && <Text as="p">Payment: {order.financialStatus.replace(/_/g, " ")}</Text>}
              {order.cancelledAt && <Text as="p">Cancelled {formatDateTime(order.cancelledAt, timeZone)}</Text>}
            </BlockStack>
          </Card>
          <Box paddingBlockStart="400">
            <DeliveryEmails
              order={order}
              deliveries={deliveries}
              delivery={delivery}
              timeZone={timeZone}
            />
          </Box>
        </Layout.Section>
      </Layout>
      {pending && (
        <Modal
          open
          onClose={() => setPending(null)}
          title={CONFIRM[pending.action].title}
          primaryAction={{
            content: CONFIRM[pending.action].button,
            destructive: CONFIRM[pending.action].destructive,
            loading: fetcher.state !== "idle",
            onAction: () =>
              fetcher.submit({ intent: pending.action, keyId: String(pending.key.id) }, { method: "post" }),
          }}
          secondaryActions={[{ content: "Cancel", onAction: () => setPending(null) }]}
        >
          <Modal.Section>
            <BlockStack gap="300">
              {error && (
                <Banner tone="critical" title="Nothing was changed">
                  <p>{error}</p>
                </Banner>
              )}
              <Text as="p">
                <span style={{ fontFamily: "var(--p-font-family-mono)" }}>{pending.key.value}</span>
              </Text>
              <Text as="p">{CONFIRM[pending.action].body}</Text>
            </BlockStack>
          </Modal.Section>
        </Modal>
      )}
    </Page>
  );
}

function KeyRows({
  keys,
  timeZone,
  busyKeyId,
  onAction,
}: {
  keys: OrderKeyItem[];
  timeZone: string;
  busyKeyId?: number;
  onAction(key: OrderKeyItem, action: KeyAction): void;
}) {
  const toast = useToast();
  if (keys.length === 0) {
    return (
      <Text as="p" tone="subdued">
        No keys yet.
      </Text>
    );
  }
  return (
    <BlockStack gap="200">
      {keys.map((key) => {
        const held = key.status === "ASSIGNED" || key.status === "USED";
        return (
          <Box key={key.id} paddingBlock="100" borderBlockStartWidth="025" borderColor="border-secondary">
            <InlineStack align="space-between" blockAlign="center" gap="200">
              <BlockStack gap="050">
                <InlineStack gap="200" blockAlign="center">
                  <Text as="span" fontWeight="medium" tone={held ? undefined : "subdued"}>
                    <span
                      style={{
                        fontFamily: "var(--p-font-family-mono)",
                        textDecoration: held ? undefined : "line-through",
                      }}
                    >
                      {key.value}
                    </span>
                  </Text>
                  <KeyStatusBadge keyItem={key} />
                </InlineStack>
                <Text as="span" tone="subdued" variant="bodySm">
                  {keyHistory(key, timeZone)}
                </Text>
              </BlockStack>
              {held && (
                <InlineStack gap="200" wrap={false}>
                  <Button
                    size="slim"
                    variant="plain"
                    onClick={async () =>
                      toast((await copyText(key.value)) ? "Licence key copied" : "Couldn't copy the key", {
                        isError: false,
                      })
                    }
                    accessibilityLabel={`Copy ${key.value}`}
                  >
                    Copy
                  </Button>
                  <Button
                    size="slim"
                    onClick={() => onAction(key, "replace")}
                    loading={busyKeyId === key.id}
                    accessibilityLabel={`Replace ${key.value}`}
                  >
                    Replace
                  </Button>
                  <Button
                    size="slim"
                    onClick={() => onAction(key, "return")}
                    disabled={key.status === "USED"}
                    accessibilityLabel={`Return ${key.value} to the pool`}
                  >
                    Return to pool
                  </Button>
                  <Button
                    size="slim"
                    tone="critical"
                    onClick={() => onAction(key, "revoke")}
                    accessibilityLabel={`Revoke ${key.value}`}
                  >
                    Revoke
                  </Button>
                </InlineStack>
              )}
            </InlineStack>
          </Box>
        );
      })}
    </BlockStack>
  );
}

/** The key's history in one line: assigned, emailed, seen, retired. */
function keyHistory(key: OrderKeyItem, timeZone: string) {
  const parts: string[] = [];
  if (key.assignedAt) parts.push(`Assigned ${formatDateTime(key.assignedAt, timeZone)}`);
  if (key.emailedAt) parts.push(`emailed ${formatDateTime(key.emailedAt, timeZone)}`);
  if (key.status === "USED" && key.usedAt) {
    const emailedAsSeen = key.emailedAt !== null && Math.abs(Date.parse(key.usedAt) - Date.parse(key.emailedAt)) < 5_000;
    parts.push(
      emailedAsSeen
        ? "counts as seen because the email carried it"
        : `viewed by the customer ${formatDateTime(key.usedAt, timeZone)}`,
    );
  } else if (key.status === "ASSIGNED") parts.push("not viewed yet");
  if (key.status === "RETIRED" && key.retiredAt)
    parts.push(`${key.retireReason ? RETIRE_REASON_LABELS[key.retireReason].toLowerCase() : "retired"} ${formatDateTime(key.retiredAt, timeZone)}`);
  const line = parts.join(", ");
  return line ? line.charAt(0).toUpperCase() + line.slice(1) : "";
}

const MAIL_STATE: Record<"QUEUED" | "SENT" | "FAILED", { label: string; tone?: "success" | "critical" | "attention" }> = {
  QUEUED: { label: "Queued", tone: "attention" },
  SENT: { label: "Sent", tone: "success" },
  FAILED: { label: "Failed", tone: "critical" },
};

/** An SMTP 55x answer: the receiving server refused the address for good. */
function bounced(mail: NonNullable<OrderDeliveryItem["mail"]>) {
  return mail.state === "FAILED" && /^55[0-3]\b/.test(mail.lastError ?? "");
}

function DeliveryEmails({ order, deliveries, delivery, timeZone }: OrderDetailProps) {
  const fetcher = useFetcher<OrderKeyActionResult>();
  const toast = useToast();
  const [to, setTo] = useState("");
  const [changed, setChanged] = useState(false);
  useEffect(() => {
    if (fetcher.state === "idle" && fetcher.data?.ok) {
      toast(fetcher.data.message ?? "Queued");
      setTo("");
    }
    if (fetcher.state !== "idle") setChanged(false);
  }, [fetcher.state, fetcher.data, toast]);
  const error = fetcher.state === "idle" && fetcher.data && !fetcher.data.ok && !changed ? fetcher.data.error : undefined;
  const holds = order.keys.some((key) => key.status === "ASSIGNED" || key.status === "USED");
  return (
    <Card>
      <BlockStack gap="300">
        <Text as="h2" variant="headingMd">
          Delivery emails
        </Text>
        {!delivery.mailConfigured && (
          <Banner tone="warning">
            <p>Email is not set up on this server (SMTP_URL): delivery emails wait in the outbox. The customer still sees the keys on the thank-you and order status pages.</p>
          </Banner>
        )}
        {!delivery.enabled && (
          <Text as="p" tone="subdued">
            Delivery emails are off in Settings. You can still send this order's keys by hand.
          </Text>
        )}
        {deliveries.length === 0 ? (
          <Text as="p" tone="subdued">
            No delivery email for this order yet.
          </Text>
        ) : (
          <BlockStack gap="200">
            {deliveries.map((item) => {
              const mail = item.mail;
              const state = mail ? (bounced(mail) ? { label: "Bounced", tone: "critical" as const } : MAIL_STATE[mail.state]) : null;
              return (
                <Box key={item.id} paddingBlockStart="200" borderBlockStartWidth="025" borderColor="border-secondary">
                  <BlockStack gap="100">
                    <InlineStack gap="200" blockAlign="center">
                      <Text as="span" fontWeight="medium">
                        {item.reason === "RESEND" ? "Sent again" : `${item.keys} ${item.keys === 1 ? "key" : "keys"}`}
                      </Text>
                      {state && <Badge tone={state.tone}>{state.label}</Badge>}
                    </InlineStack>
                    <Text as="p" variant="bodySm" tone="subdued">
                      {mail?.to ? `To ${mail.to}` : "No address"} ·{" "}
                      {mail?.sentAt
                        ? `sent ${formatDateTime(mail.sentAt, timeZone)}`
                        : `queued ${formatDateTime(item.createdAt, timeZone)}`}
                      {item.reason === "RESEND" ? ` · by ${item.requestedBy}` : ""}
                      {item.mode === "LINK" ? " · a link to the keys" : ""}
                    </Text>
                    {mail?.state === "QUEUED" && mail.attempts > 0 && (
                      <Text as="p" variant="bodySm" tone="caution">
                        Attempt {mail.attempts} failed; next try {formatDateTime(mail.nextAttemptAt, timeZone)}.
                        {mail.lastError ? ` The mail server said: ${mail.lastError}` : ""}
                      </Text>
                    )}
                    {mail?.state === "FAILED" && mail.lastError && (
                      <Text as="p" variant="bodySm" tone="critical">
                        {mail.lastError}
                      </Text>
                    )}
                  </BlockStack>
                </Box>
              );
            })}
          </BlockStack>
        )}
        {holds && (
          <fetcher.Form method="post">
            <input type="hidden" name="intent" value="resend" />
            <BlockStack gap="200">
              <TextField
                label="Send to"
                name="to"
                type="email"
                value={to}
                onChange={(value) => {
                  setTo(value);
                  setChanged(true);
                }}
                autoComplete="email"
                placeholder={order.email ?? "customer@example.com"}
                helpText={order.email ? "Leave empty to send to the order's email." : "This order has no email address."}
                error={error}
              />
              <InlineStack align="end">
                <Button submit loading={fetcher.state !== "idle"}>
                  Resend keys email
                </Button>
              </InlineStack>
            </BlockStack>
          </fetcher.Form>
        )}
      </BlockStack>
    </Card>
  );
}

function KeyStatusBadge({ keyItem }: { keyItem: OrderKeyItem }) {
  if (keyItem.status === "USED") return <Badge tone="success">{KEY_STATUS_LABELS.USED}</Badge>;
  if (keyItem.status === "ASSIGNED") return <Badge tone="info">{KEY_STATUS_LABELS.ASSIGNED}</Badge>;
  if (keyItem.status === "RETIRED")
    return (
      <Badge>{keyItem.retireReason ? RETIRE_REASON_LABELS[keyItem.retireReason] : KEY_STATUS_LABELS.RETIRED}</Badge>
    );
  return <Badge>{KEY_STATUS_LABELS.PENDING}</Badge>;
}
