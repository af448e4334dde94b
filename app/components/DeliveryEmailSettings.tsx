// Settings' "Delivery email" section: on/off, what the email carries, sender and reply-to, the
// subject and body templates with a live preview (the same renderer the server sends with), the
// customer's "email them again", and "Send me a test".
import { useFetcher } from "@remix-run/react";
import {
  Banner,
  BlockStack,
  Box,
  Button,
  Card,
  Checkbox,
  ChoiceList,
  Divider,
  FormLayout,
  InlineStack,
  Select,
  Text,
  TextField,
} from "@shopify/polaris";
import { useEffect, useMemo, useState } from "react";
import { useToast } from "~/components/library-hooks";
import {
  DELIVERY_LOCALE_LABELS,
  DELIVERY_LOCALES,
  DELIVERY_MODE_LABELS,
  DELIVERY_MODE_RULES,
  DeliveryEmailBody,
  PLACEHOLDERS,
  defaultTemplates,
  renderSubject,
  sampleContent,
  type DeliveryContent,
  type DeliveryLocale,
  type DeliveryMode,
} from "~/lib/delivery-email";

export interface DeliverySettingsProps {
  shopName: string;
  mailConfigured: boolean;
  deliveryEmailEnabled: boolean;
  deliveryMode: DeliveryMode;
  deliverySenderName: string;
  deliveryReplyTo: string;
  deliverySubject: string | null;
  deliveryBody: string | null;
  deliveryLocale: string;
  guestResendAllowed: boolean;
  /** Where "Send me a test" goes unless another address is given. */
  testAddress: string;
}

export interface DeliveryActionResult {
  ok: boolean;
  intent?: string;
  message?: string;
  errors?: Record<string, string>;
}

function asLocale(value: string): DeliveryLocale {
  return (DELIVERY_LOCALES as readonly string[]).includes(value) ? (value as DeliveryLocale) : "en";
}

export function DeliveryEmailSettings(props: DeliverySettingsProps) {
  const fetcher = useFetcher<DeliveryActionResult>();
  const test = useFetcher<DeliveryActionResult>();
  const toast = useToast();
  const [enabled, setEnabled] = useState(props.deliveryEmailEnabled);
  const [mode, setMode] = useState<DeliveryMode>(props.deliveryMode);
  const [senderName, setSenderName] = useState(props.deliverySenderName);
  const [replyTo, setReplyTo] = useState(props.deliveryReplyTo);
  const [locale, setLocale] = useState<DeliveryLocale>(asLocale(props.deliveryLocale));
  const [subject, setSubject] = useState(props.deliverySubject ?? "");
  const [body, setBody] = useState(props.deliveryBody ?? "");
  const [guestResend, setGuestResend] = useState(props.guestResendAllowed);
  const [testTo, setTestTo] = useState("");
  const [touched, setTouched] = useState<Record<string, boolean>>({});

  const saved = fetcher.state === "idle" ? fetcher.data : undefined;
  useEffect(() => {
    if (saved?.ok) toast(saved.message ?? "Saved");
  }, [saved, toast]);
  // Each save starts afresh: its errors show until the merchant edits the field again.
  useEffect(() => {
    if (fetcher.state === "submitting") setTouched({});
  }, [fetcher.state]);
  const tested = test.state === "idle" ? test.data : undefined;
  useEffect(() => {
    if (tested?.ok) toast(tested.message ?? "Test email queued");
  }, [tested, toast]);
  // A server error stays until the merchant changes that field.
  const errors = Object.fromEntries(
    Object.entries(saved && !saved.ok ? (saved.errors ?? {}) : {}).filter(([field]) => !touched[field]),
  );
  const edit =
    <T,>(field: string, set: (value: T) => void) =>
    (value: T) => {
      set(value);
      setTouched((current) => ({ ...current, [field]: true }));
    };

  const defaults = defaultTemplates(locale);
  const preview: DeliveryContent = useMemo(
    () =>
      sampleContent({
        locale,
        shopName: props.shopName || "Your store",
        mode,
        viewUrl: "#",
        subjectTemplate: subject.trim() || null,
        bodyTemplate: body.trim() ? body : null,
      }),
    [locale, props.shopName, mode, subject, body],
  );

  return (
    <Card>
      <fetcher.Form method="post">
        <input type="hidden" name="intent" value="delivery" />
        <input type="hidden" name="deliveryEmailEnabled" value={String(enabled)} />
        <input type="hidden" name="deliveryMode" value={mode} />
        <input type="hidden" name="deliveryLocale" value={locale} />
        <input type="hidden" name="guestResendAllowed" value={String(guestResend)} />
        <FormLayout>
          {!props.mailConfigured && (
            <Banner tone="warning" title="Email is not set up on this server">
              <p>
                Delivery emails wait in the outbox until SMTP_URL is set. Customers still see their keys on the
                thank-you and order status pages.
              </p>
            </Banner>
          )}
          <Checkbox
            label="Email customers their licence keys"
            checked={enabled}
            onChange={edit("deliveryEmailEnabled", setEnabled)}
            helpText="One email for each delivery: when an order gets its keys, when a waiting order is filled, when a key is replaced. It goes to the order's email address."
          />
          <ChoiceList
            title="The email carries"
            choices={(["KEYS", "LINK"] as const).map((value) => ({
              label: DELIVERY_MODE_LABELS[value],
              value,
              helpText: DELIVERY_MODE_RULES[value],
            }))}
            selected={[mode]}
            onChange={([value]) => edit("deliveryMode", setMode)(value as DeliveryMode)}
            error={errors.deliveryMode}
            disabled={!enabled}
          />
          <FormLayout.Group>
            <TextField
              label="Sender name"
              name="deliverySenderName"
              value={senderName}
              onChange={edit("deliverySenderName", setSenderName)}
              autoComplete="off"
              placeholder={props.shopName || "Your store"}
              helpText="Leave empty to use your store's name."
              error={errors.deliverySenderName}
            />
            <TextField
              label="Reply-to address"
              name="deliveryReplyTo"
              value={replyTo}
              onChange={edit("deliveryReplyTo", setReplyTo)}
              autoComplete="email"
              placeholder="support@example.com"
              helpText="Where customers' replies go."
              error={errors.deliveryReplyTo}
            />
          </FormLayout.Group>
          <Select
            label="Language for customers without a translation"
            options={DELIVERY_LOCALES.map((value) => ({ label: DELIVERY_LOCALE_LABELS[value], value }))}
            value={locale}
            onChange={edit("deliveryLocale", (value: string) => setLocale(asLocale(value)))}
            helpText="The default email is written in the customer's language (English or German); other customers get this one. The preview shows it."
          />
          <TextField
            label="Subject"
            name="deliverySubject"
            value={subject}
            onChange={edit("deliverySubject", setSubject)}
            autoComplete="off"
            placeholder={defaults.subject}
            helpText="Leave empty for the default subject in the customer's language."
            error={errors.deliverySubject}
          />
          <TextField
            label="Message"
            name="deliveryBody"
            value={body}
            onChange={edit("deliveryBody", setBody)}
            autoComplete="off"
            multiline={8}
            placeholder={defaults.body}
            helpText={`Leave empty for the default message in the customer's language. Placeholders: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(", ")}. {{keys}} is the key list (or the link).`}
            error={errors.deliveryBody}
          />
          <Checkbox
            label="Let customers ask for the email again from the order status page"
            checked={guestResend}
            onChange={edit("guestResendAllowed", setGuestResend)}
            helpText="For guest orders, shown to visitors who are not signed in. It goes only to the order's own address, at most 3 times an hour."
          />
          {saved && !saved.ok && errors.form && (
            <Text as="p" tone="critical">
              {errors.form}
            </Text>
          )}
          <InlineStack align="end">
            <Button submit variant="primary" loading={fetcher.state !== "idle"}>
              Save delivery email
            </Button>
          </InlineStack>
        </FormLayout>
      </fetcher.Form>
      <Box paddingBlockStart="400">
        <Divider />
      </Box>
      <Box paddingBlockStart="400">
        <BlockStack gap="300">
          <Text as="h3" variant="headingSm">
            Preview
          </Text>
          <div data-testid="delivery-preview">
            <BlockStack gap="200">
              <Text as="p" variant="bodySm" tone="subdued">
                Subject: <span data-testid="delivery-preview-subject">{renderSubject(preview)}</span>
              </Text>
              <Box background="bg-surface-secondary" padding="300" borderRadius="200">
                <DeliveryEmailBody content={preview} />
              </Box>
            </BlockStack>
          </div>
          <test.Form method="post">
            <input type="hidden" name="intent" value="delivery-test" />
            <InlineStack gap="200" blockAlign="end" wrap={false}>
              <div style={{ flexGrow: 1 }}>
                <TextField
                  label="Send a test to"
                  name="testTo"
                  value={testTo}
                  onChange={setTestTo}
                  autoComplete="email"
                  placeholder={props.testAddress || "you@example.com"}
                  helpText="Uses the saved settings, with example keys."
                  error={tested && !tested.ok ? (tested.errors?.testTo ?? tested.errors?.form) : undefined}
                />
              </div>
              <Button submit loading={test.state !== "idle"}>
                Send me a test
              </Button>
            </InlineStack>
          </test.Form>
        </BlockStack>
      </Box>
    </Card>
  );
}
