/** @jsxImportSource preact */
// The block both extensions render: this order's licence keys with their product and a copy
// button, or a clear state when there are none yet. Built from Polaris web components that the
// order status (customer account) and thank-you (checkout) surfaces both offer.
import { useState } from "preact/hooks";
import { useLicenceKeys, type KeysView, type LicenceKey, type UseLicenceKeysOptions } from "./licence-keys";
import type { Translate } from "./translate";

export function LicenceKeys({ t, ...options }: UseLicenceKeysOptions & { t: Translate }) {
  const { view, retry } = useLicenceKeys(options);
  return <LicenceKeysView view={view} t={t} onRetry={retry} />;
}

export function LicenceKeysView({ view, t, onRetry }: { view: KeysView; t: Translate; onRetry: () => void }) {
  switch (view.phase) {
    case "hidden":
      return null;
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
