// Browser side of the demo's customer view: what Shopify's page provides to an extension, enough for
// the real extension module (imported after this one in the same bundle) to run unchanged: the
// Polaris web components (stand-ins), and a `shopify` global with this order, a session token the
// demo server signs with the app's secret, translations from the extension's locales and, on the
// order status page, the visitor's authentication state with a login that switches to signed in.
import { signal } from "@preact/signals";
import { createTranslate, type Messages } from "../../../extensions/shared/translate";
import { installPolarisStandIns } from "./polaris-stand-ins";

export interface ExtensionHostConfig {
  surface: "order-status" | "thank-you";
  order: { id: string; name: string; processedAt: string; confirmationNumber: string | null };
  locale: string;
  messages: Messages;
  /** Same-origin endpoint of the demo server that mints this customer's session token. */
  tokenUrl: string;
  /** The order status page's `shopify.authenticationState`. */
  authenticationState: "fully_authenticated" | "pre_authenticated";
  /** Where `shopify.requireLogin()` takes the customer view: this order signed in (null: nowhere). */
  signInUrl: string | null;
}

declare global {
  interface Window {
    __KEYSHELF_EXTENSION__: ExtensionHostConfig;
  }
}

const config = window.__KEYSHELF_EXTENSION__;
installPolarisStandIns();

let cached: { token: string; expiresAt: number } | null = null;

// Like Shopify's sessionToken.get(): a cached token until shortly before it expires.
async function getSessionToken() {
  if (cached && cached.expiresAt - Date.now() > 30_000) return cached.token;
  const response = await fetch(config.tokenUrl, { method: "POST", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`The demo could not sign a session token (${response.status})`);
  const { token, expiresAt } = (await response.json()) as { token: string; expiresAt: number };
  cached = { token, expiresAt };
  return token;
}

const translate = createTranslate(config.messages, config.locale);

const shared = {
  sessionToken: { get: getSessionToken },
  i18n: { translate },
  localization: { language: signal({ isoCode: config.locale }) },
};

(globalThis as Record<string, unknown>).shopify =
  config.surface === "order-status"
    ? {
        ...shared,
        order: signal({ id: config.order.id, name: config.order.name, processedAt: config.order.processedAt }),
        authenticationState: signal(config.authenticationState),
        // Shopify shows its login and comes back signed in; the demo opens the signed-in view. With
        // nowhere to go (a guest order) it does nothing, like a customer who dismisses the login.
        requireLogin: async () => {
          if (config.signInUrl) window.top?.location.assign(config.signInUrl);
        },
      }
    : {
        ...shared,
        orderConfirmation: signal({
          order: { id: config.order.id },
          number: config.order.confirmationNumber ?? undefined,
          isFirstOrder: false,
        }),
      };

// The frame grows with the block, like an extension's slot on Shopify's page.
// Measures the body, not the document: the document is never shorter than the frame itself.
const reportHeight = () => {
  const { marginTop, marginBottom } = getComputedStyle(document.body);
  const height = Math.ceil(
    document.body.getBoundingClientRect().height + parseFloat(marginTop) + parseFloat(marginBottom),
  );
  window.parent.postMessage({ keyshelfFrameHeight: height }, window.location.origin);
};
new ResizeObserver(reportHeight).observe(document.body);
