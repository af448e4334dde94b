import { Card, EmptyState, Text } from "@shopify/polaris";

// Drawn inline: the admin may load the app where Shopify's illustration CDN is out of reach.
const KEY_ILLUSTRATION =
  "data:image/svg+xml;utf8," +
  encodeURIComponent(
    `<svg xmlns="http://www.w3.org/2000/svg" width="226" height="226" viewBox="0 0 226 226">
      <circle cx="113" cy="113" r="104" fill="#f1f1f1"/>
      <rect x="52" y="70" width="122" height="86" rx="10" fill="#fff" stroke="#c9cccf" stroke-width="3"/>
      <rect x="66" y="88" width="70" height="8" rx="4" fill="#8a8a8a"/>
      <rect x="66" y="106" width="94" height="8" rx="4" fill="#c9cccf"/>
      <rect x="66" y="124" width="56" height="8" rx="4" fill="#c9cccf"/>
      <circle cx="158" cy="150" r="22" fill="#303030"/>
      <circle cx="158" cy="150" r="8" fill="#fff"/>
      <path d="M176 164 l22 22 m-10 -10 l8 -8 m-2 16 l6 -6" stroke="#303030" stroke-width="7" stroke-linecap="round" fill="none"/>
    </svg>`,
  );

/** The overview before the first key: one clear way forward. */
export function LibraryEmptyState({ onAddKeys }: { onAddKeys(): void }) {
  return (
    <Card>
      <EmptyState
        heading="Add your first licence keys"
        action={{ content: "Add keys", onAction: onAddKeys }}
        image={KEY_ILLUSTRATION}
      >
        <Text as="p">
          Paste keys or upload a .txt or .csv file, and group them with tags. Link a tag to a product and each order
          receives its keys automatically.
        </Text>
      </EmptyState>
    </Card>
  );
}
