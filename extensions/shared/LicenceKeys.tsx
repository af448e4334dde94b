/** @jsxImportSource preact */
// The block both extensions render: this order's licence keys with their product and a copy
// button, or a clear state when there are none yet. Built from Polaris web components that the
// order status (customer account) and thank-you (checkout) surfaces both offer.
import { useState } from "preact/hooks";
import {
  requestResend,
  useLicenceKeys,
  type GuestDelivery,
  type KeysView,
  type LicenceKey,
  type ResendOutcome,
  type UseLicenceKeysOptions,
} from "./licence-keys";
import type { Translate } from "./translate";

export interface LicenceKeysProps extends UseLicenceKeysOptions {
  t: Translate;
  /** Order status page: the platform's login prompt (`shopify.requireLogin`). */
  onSignIn?: () => Promise<void>;
  /** Order status page: the endpoint that emails a guest order's keys again. */
  resendUrl?: string | null;
}

export function LicenceKeys({ t, onSignIn, resendUrl = null, ...options }: LicenceKeysProps) {
  const { view, retry } = useLicenceKeys(options);
  const onResend = resendUrl
    ? () => requestResend({ url: resendUrl, getToken: options.getToken, fetchImpl: options.fetchImpl })
    : undefined;
  return <LicenceKeysView view={view} t={t} onRetry={retry} onSignIn={onSignIn} onResend={onResend} />;
}

export function LicenceKeysView({
  view,
  t,
  onRetry,
  onSignIn,
  onResend,
}: {
  view: KeysView;
  t: Translate;
  onRetry: () => void;
  onSignIn?: () => Promise<void>;
  onResend?: () => Promise<ResendOutcome>;
}) {
  switch (view.phase) {
    case "hidden":
      return null;
    case "sign-in":
      return (
        <s-section heading={t("heading", { count: 2 })}>
          <s-stack gap="base">
            <s-text>{t("signIn.body")}</s-text>
            {onSignIn && (
              <s-button
                variant="primary"
                onClick={() => {
                  // Dismissing the login leaves the page as it was; the block stays as it is.
                  onSignIn().catch(() => undefined);
                }}
              >
                {t("signIn.action")}
              </s-button>
            )}
          </s-stack>
        </s-section>
      );
    case "guest":
      return <GuestKeys guest={view.guest} t={t} onResend={onResend} />;
    case "preparing":
      return (
        <s-section heading={t("heading", { count: 2 })}>
          <s-banner tone="info" heading={t("preparing.heading")}>
            {view.gaveUp ? (
              <s-stack gap="base">
                <s-text>{t("preparing.later")}</s-text>
                <s-button variant="secondary" onClick={onRetry}>
                  {t("retry")}
                </s-button>
              </s-stack>
            ) : (
              <s-stack direction="inline" gap="small-200" alignItems="center">
                <s-spinner size="base" accessibilityLabel={t("preparing.heading")} />
                <s-text>{t("preparing.body")}</s-text>
              </s-stack>
            )}
          </s-banner>
        </s-section>
      );
    case "error":
      return (
        <s-section heading={t("heading", { count: 2 })}>
          <s-banner tone="critical" heading={t("error.heading")}>
            <s-stack gap="base">
              <s-text>{t("error.body")}</s-text>
              <s-button variant="secondary" onClick={onRetry}>
                {t("retry")}
              </s-button>
            </s-stack>
          </s-banner>
        </s-section>
      );
    case "waiting":
      return (
        <s-section heading={t("heading", { count: Math.max(view.keys.length, 2) })}>
          <s-stack gap="base">
            <s-banner tone="warning" heading={t("waiting.heading")}>
              <s-text>{t("waiting.body")}</s-text>
            </s-banner>
            {view.keys.length > 0 && <KeyList keys={view.keys} t={t} />}
          </s-stack>
        </s-section>
      );
    case "ready":
      return (
        <s-section heading={t("heading", { count: view.keys.length })}>
          <KeyList keys={view.keys} t={t} />
        </s-section>
      );
  }
}

/** A guest order: where the keys were emailed, and (if the merchant allows it) emailing them again. */
function GuestKeys({
  guest,
  t,
  onResend,
}: {
  guest: GuestDelivery;
  t: Translate;
  onResend?: () => Promise<ResendOutcome>;
}) {
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<ResendOutcome | null>(null);
  const settled = result?.outcome === "sent" || result?.outcome === "unavailable";
  const resend = async () => {
    if (!onResend || sending) return;
    setSending(true);
    setResult(null);
    setResult(await onResend());
    setSending(false);
  };
  return (
    <s-section heading={t("heading", { count: 2 })}>
      <s-stack gap="base">
        <s-text>{t("guest.body", { email: guest.email })}</s-text>
        {result && <ResendResult result={result} email={guest.email} t={t} />}
        {guest.canResend && onResend && !settled && (
          <s-button variant="secondary" disabled={sending} onClick={() => void resend()}>
            {t("guest.resend")}
          </s-button>
        )}
      </s-stack>
    </s-section>
  );
}

function ResendResult({ result, email, t }: { result: ResendOutcome; email: string; t: Translate }) {
  switch (result.outcome) {
    case "sent":
      return (
        <s-banner tone="success">
          <s-text>{t("guest.sent", { email: result.email ?? email })}</s-text>
        </s-banner>
      );
    case "later":
      return (
        <s-banner tone="warning">
          <s-text>{laterMessage(result.retryAfterSeconds, t)}</s-text>
        </s-banner>
      );
    case "unavailable":
      return (
        <s-banner tone="warning">
          <s-text>{t("guest.unavailable")}</s-text>
        </s-banner>
      );
    case "failed":
      return (
        <s-banner tone="critical">
          <s-text>{t("guest.failed")}</s-text>
        </s-banner>
      );
  }
}

/** "Try again in 40 seconds / 5 minutes / 2 hours", rounded up so the visitor never asks too early. */
function laterMessage(seconds: number | null, t: Translate) {
  if (seconds === null) return t("guest.later.soon");
  if (seconds < 60) return t("guest.later.seconds", { count: Math.max(seconds, 1) });
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 120) return t("guest.later.minutes", { count: minutes });
  return t("guest.later.hours", { count: Math.ceil(seconds / 3600) });
}

function KeyList({ keys, t }: { keys: LicenceKey[]; t: Translate }) {
  const [copied, setCopied] = useState<number | null>(null);
  const [failed, setFailed] = useState<number | null>(null);
  return (
    <s-stack gap="base">
      {keys.map((key, index) => {
        const clipboardId = `keyshelf-licence-key-${index}`;
        const product = key.productTitle || t("productFallback");
        return (
          <s-stack key={`${index}:${key.value}`} gap="small-200">
            <s-text color="subdued">{product}</s-text>
            <s-stack direction="inline" gap="base" alignItems="center" justifyContent="space-between">
              <s-text type="strong">{key.value}</s-text>
              <s-button variant="secondary" commandFor={clipboardId} accessibilityLabel={t("copy.label", { product })}>
                {copied === index ? t("copy.done") : t("copy.action")}
              </s-button>
            </s-stack>
            {failed === index && <s-text tone="critical">{t("copy.failed")}</s-text>}
            <s-clipboard-item
              id={clipboardId}
              text={key.value}
              onCopy={() => {
                setCopied(index);
                setFailed(null);
              }}
              onCopyError={() => setFailed(index)}
            />
          </s-stack>
        );
      })}
    </s-stack>
  );
}
