// The settings screen: fulfilment choices, report email, low-stock thresholds.
import { useFetcher } from "@remix-run/react";
import { TitleBar } from "@shopify/app-bridge-react";
import {
  BlockStack,
  Button,
  Card,
  ChoiceList,
  FormLayout,
  InlineStack,
  Layout,
  Page,
  Text,
  TextField,
} from "@shopify/polaris";
import { useEffect, useState } from "react";
import { useToast } from "~/components/library-hooks";
import { ASSIGN_TRIGGER_LABELS, CANCEL_POLICY_LABELS } from "~/lib/settings";
import { DeliveryEmailSettings, type DeliverySettingsProps } from "~/components/DeliveryEmailSettings";

export interface SettingsActionResult {
  ok: boolean;
  intent?: string;
  message?: string;
  errors?: Record<string, string>;
}

export interface SettingsPageProps {
  assignTrigger: "ORDER_CREATED" | "ORDER_PAID";
  cancelPolicy: "RETURN_UNVIEWED" | "KEEP_ASSIGNED";
  reportEmail: string;
  email: string;
  tags: Array<{ id: number; name: string; pending: number; threshold: number | null; linked: number }>;
  delivery: DeliverySettingsProps;
}

function useSaved(fetcher: ReturnType<typeof useFetcher<SettingsActionResult>>) {
  const toast = useToast();
  useEffect(() => {
    if (fetcher.state === "idle" && fetcher.data?.ok) toast(fetcher.data.message ?? "Saved");
  }, [fetcher.state, fetcher.data, toast]);
  return fetcher.state === "idle" && fetcher.data && !fetcher.data.ok ? (fetcher.data.errors ?? {}) : {};
}

export function SettingsPage(props: SettingsPageProps) {
  return (
    <Page title="Settings">
      <TitleBar title="Settings" />
      <Layout>
        <Layout.AnnotatedSection
          title="Orders"
          description="When customers receive their keys, and what happens to keys when an order is cancelled or refunded."
        >
          <FulfilmentSettings {...props} />
        </Layout.AnnotatedSection>
        <Layout.AnnotatedSection
          title="Delivery email"
          description="Every customer gets their keys by email, also guests and customers who never sign in. The keys stay on the thank-you and order status pages too."
        >
          <DeliveryEmailSettings {...props.delivery} />
        </Layout.AnnotatedSection>
        <Layout.AnnotatedSection
          title="Low stock"
          description="You get one email when a tag drops below its threshold and one when it runs out, and a banner shows it here with a forecast from recent sales."
        >
          <Thresholds tags={props.tags} />
        </Layout.AnnotatedSection>
      </Layout>
    </Page>
  );
}

function FulfilmentSettings({ assignTrigger, cancelPolicy, reportEmail, email }: SettingsPageProps) {
  const fetcher = useFetcher<SettingsActionResult>();
  const errors = useSaved(fetcher);
  const [trigger, setTrigger] = useState(assignTrigger);
  const [policy, setPolicy] = useState(cancelPolicy);
  const [address, setAddress] = useState(reportEmail);
  return (
    <Card>
      <fetcher.Form method="post">
        <input type="hidden" name="intent" value="settings" />
        <input type="hidden" name="assignTrigger" value={trigger} />
        <input type="hidden" name="cancelPolicy" value={policy} />
        <FormLayout>
          <ChoiceList
            title="Assign licence keys"
            choices={[
              {
                label: ASSIGN_TRIGGER_LABELS.ORDER_CREATED,
                value: "ORDER_CREATED",
                helpText: "Customers see their keys right after checkout.",
              },
              {
                label: ASSIGN_TRIGGER_LABELS.ORDER_PAID,
                value: "ORDER_PAID",
                helpText: "Unpaid orders (bank transfer, payment on invoice) wait until they are paid.",
              },
            ]}
            selected={[trigger]}
            onChange={([value]) => setTrigger(value as SettingsPageProps["assignTrigger"])}
            error={errors.assignTrigger}
          />
          <ChoiceList
            title="When an order is cancelled or refunded"
            choices={[
              {
                label: CANCEL_POLICY_LABELS.RETURN_UNVIEWED,
                value: "RETURN_UNVIEWED",
                helpText: "Keys the customer has already seen stay with the order.",
              },
              { label: CANCEL_POLICY_LABELS.KEEP_ASSIGNED, value: "KEEP_ASSIGNED" },
            ]}
            selected={[policy]}
            onChange={([value]) => setPolicy(value as SettingsPageProps["cancelPolicy"])}
            error={errors.cancelPolicy}
          />
          <TextField
            label="Email for reports and alerts"
            name="reportEmail"
            type="email"
            value={address}
            onChange={setAddress}
            autoComplete="email"
            placeholder={email || "you@example.com"}
            helpText={
              email ? `Leave empty to use your store's email, ${email}.` : "Leave empty to use your store's email."
            }
            error={errors.reportEmail}
          />
          {errors.form && (
            <Text as="p" tone="critical">
              {errors.form}
            </Text>
          )}
          <InlineStack align="end">
            <Button submit variant="primary" loading={fetcher.state !== "idle"}>
              Save
            </Button>
          </InlineStack>
        </FormLayout>
      </fetcher.Form>
    </Card>
  );
}

function Thresholds({ tags }: { tags: SettingsPageProps["tags"] }) {
  const fetcher = useFetcher<SettingsActionResult>();
  const errors = useSaved(fetcher);
  const [values, setValues] = useState(() =>
    Object.fromEntries(tags.map((tag) => [tag.id, tag.threshold === null ? "" : String(tag.threshold)])),
  );
  if (tags.length === 0) {
    return (
      <Card>
        <Text as="p" tone="subdued">
          Link products to tags first (Products); their tags appear here.
        </Text>
      </Card>
    );
  }
  return (
    <Card>
      <fetcher.Form method="post">
        <input type="hidden" name="intent" value="thresholds" />
        <BlockStack gap="300">
          {tags.map((tag) => (
            <TextField
              key={tag.id}
              label={`${tag.name} (${tag.pending.toLocaleString("en")} pending)`}
              name={`threshold:${tag.id}`}
              type="number"
              min={1}
              value={values[tag.id] ?? ""}
              onChange={(value) => setValues((current) => ({ ...current, [tag.id]: value }))}
              autoComplete="off"
              placeholder="No threshold"
              helpText={tag.linked === 0 ? "No product draws from this tag." : undefined}
              error={errors[`threshold:${tag.id}`]}
            />
          ))}
          {errors.form && (
            <Text as="p" tone="critical">
              {errors.form}
            </Text>
          )}
          <InlineStack align="end">
            <Button submit loading={fetcher.state !== "idle"}>
              Save thresholds
            </Button>
          </InlineStack>
        </BlockStack>
      </fetcher.Form>
    </Card>
  );
}
