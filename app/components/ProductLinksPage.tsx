// Products that hand out licence keys: pick products or single variants with the resource picker,
// choose where their keys come from (a tag, the "No tag" pool, or automatic generation) and how
// many keys one unit sells, and see how many remain.
import { useFetcher } from "@remix-run/react";
import { TitleBar, useAppBridge } from "@shopify/app-bridge-react";
import {
  Badge,
  BlockStack,
  Box,
  Button,
  Card,
  ChoiceList,
  EmptyState,
  FormLayout,
  IndexTable,
  InlineStack,
  Layout,
  Modal,
  Page,
  Select,
  Text,
  TextField,
} from "@shopify/polaris";
import { useEffect, useMemo, useState } from "react";
import { LowStockBanner, type LowStockBannerTag } from "~/components/LowStockBanner";
import { useToast } from "~/components/library-hooks";
import { linkItemsFromSelection, type LinkTargetItem, type PickedProduct } from "~/lib/product-links";
import { DEFAULT_KEY_PATTERN, sampleKey } from "~/lib/key-format";

export interface ProductLinkView {
  id: number;
  productId: string;
  variantId: string | null;
  productTitle: string;
  variantTitle: string | null;
  source: "TAG" | "AUTO_GENERATE";
  tagId: number | null;
  tagName: string | null;
  keysPerUnit: number;
  autoPattern: string | null;
  autoPrefix: string | null;
  remaining: number | null;
  lowStockThreshold: number | null;
}

export interface LinkableTag {
  id: number;
  label: string;
  pending: number;
}

export interface ProductLinkActionResult {
  ok: boolean;
  intent?: string;
  message?: string;
  errors?: Record<string, string>;
}

interface EditorState {
  mode: "create" | "edit";
  items: LinkTargetItem[];
  link?: ProductLinkView;
}

export function ProductLinksPage({
  links,
  tags,
  lowStock,
}: {
  links: ProductLinkView[];
  tags: LinkableTag[];
  lowStock: LowStockBannerTag[];
}) {
  const shopify = useAppBridge();
  const toast = useToast();
  const [editor, setEditor] = useState<EditorState | null>(null);
  const [removing, setRemoving] = useState<ProductLinkView | null>(null);
  const remove = useFetcher<ProductLinkActionResult>();

  async function pickProducts() {
    const selected = await shopify.resourcePicker({
      type: "product",
      action: "select",
      multiple: true,
      filter: { variants: true, draft: false, archived: false },
    });
    const items = selected ? linkItemsFromSelection(selected as unknown as PickedProduct[]) : [];
    if (items.length) setEditor({ mode: "create", items });
  }

  useEffect(() => {
    if (remove.state !== "idle" || !remove.data) return;
    if (remove.data.ok) {
      toast(remove.data.message ?? "Link removed");
      setRemoving(null);
    } else {
      toast(remove.data.errors?.form ?? "Couldn't remove the link", { isError: true });
    }
  }, [remove.state, remove.data, toast]);

  const rows = links.map((link, index) => (
    <IndexTable.Row id={String(link.id)} key={link.id} position={index}>
      <IndexTable.Cell>
        <BlockStack gap="050">
          <Text as="span" fontWeight="semibold">
            {link.productTitle || `Product ${link.productId}`}
          </Text>
          <Text as="span" tone="subdued" variant="bodySm">
            {link.variantId ? `Variant: ${link.variantTitle ?? link.variantId}` : "All variants"}
          </Text>
        </BlockStack>
      </IndexTable.Cell>
      <IndexTable.Cell>
        {link.source === "TAG" ? (
          <Badge>{link.tagName ?? "Deleted tag"}</Badge>
        ) : (
          <BlockStack gap="050">
            <Text as="span">Generated automatically</Text>
            <Text as="span" tone="subdued" variant="bodySm">
              <span style={{ fontFamily: "var(--p-font-family-mono)" }}>
                {(link.autoPrefix ?? "") + (link.autoPattern ?? DEFAULT_KEY_PATTERN)}
              </span>
            </Text>
          </BlockStack>
        )}
      </IndexTable.Cell>
      <IndexTable.Cell>
        <Text as="span" numeric>
          {link.keysPerUnit}
        </Text>
      </IndexTable.Cell>
      <IndexTable.Cell>
        <RemainingBadge link={link} />
      </IndexTable.Cell>
      <IndexTable.Cell>
        <InlineStack gap="200" align="end" wrap={false}>
          <Button
            size="slim"
            onClick={() => setEditor({ mode: "edit", items: [itemOf(link)], link })}
            accessibilityLabel={`Edit link of ${label(link)}`}
          >
            Edit
          </Button>
          <Button
            size="slim"
            tone="critical"
            variant="plain"
            onClick={() => setRemoving(link)}
            accessibilityLabel={`Remove link of ${label(link)}`}
          >
            Remove
          </Button>
        </InlineStack>
      </IndexTable.Cell>
    </IndexTable.Row>
  ));

  return (
    <Page title="Products" primaryAction={{ content: "Link products", onAction: () => void pickProducts() }}>
      <TitleBar title="Products" />
      <Layout>
        {lowStock.length > 0 && (
          <Layout.Section>
            <LowStockBanner tags={lowStock} />
          </Layout.Section>
        )}
        <Layout.Section>
          <Card padding="0">
            {links.length === 0 ? (
              <EmptyState
                heading="Link products to licence keys"
                action={{ content: "Link products", onAction: () => void pickProducts() }}
                image="https://cdn.shopify.com/s/files/1/0262/4071/2726/files/emptystate-files.png"
              >
                <p>
                  Choose which products or variants hand out licence keys, and where the keys come from: a tag, the keys
                  without a tag, or keys generated for each order.
                </p>
              </EmptyState>
            ) : (
              <IndexTable
                resourceName={{ singular: "product link", plural: "product links" }}
                itemCount={links.length}
                selectable={false}
                headings={[
                  { title: "Product" },
                  { title: "Keys from" },
                  { title: "Keys per unit", alignment: "end" },
                  { title: "Remaining" },
                  { title: "Actions", hidden: true },
                ]}
              >
                {rows}
              </IndexTable>
            )}
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Box paddingBlockEnd="400">
            <Text as="p" tone="subdued">
              A variant&apos;s own link wins over its product&apos;s link. Changing a link affects new orders only.
            </Text>
          </Box>
        </Layout.Section>
      </Layout>
      {editor && (
        <LinkEditor key={editor.link?.id ?? "new"} state={editor} tags={tags} onClose={() => setEditor(null)} />
      )}
      <Modal
        open={removing !== null}
        onClose={() => setRemoving(null)}
        title="Remove product link?"
        primaryAction={{
          content: "Remove link",
          destructive: true,
          loading: remove.state !== "idle",
          onAction: () =>
            removing && remove.submit({ intent: "remove", linkId: String(removing.id) }, { method: "post" }),
        }}
        secondaryActions={[{ content: "Cancel", onAction: () => setRemoving(null) }]}
      >
        <Modal.Section>
          <Text as="p">
            New orders of {removing ? label(removing) : ""} will no longer receive licence keys
            {removing?.variantId ? " from this link (its product's link, if any, applies instead)" : ""}. Orders that
            already received keys keep them.
          </Text>
        </Modal.Section>
      </Modal>
    </Page>
  );
}

function label(link: ProductLinkView) {
  return link.variantTitle ? `${link.productTitle} - ${link.variantTitle}` : link.productTitle;
}

function itemOf(link: ProductLinkView): LinkTargetItem {
  return {
    productId: link.productId,
    variantId: link.variantId,
    productTitle: link.productTitle,
    variantTitle: link.variantTitle,
  };
}

function RemainingBadge({ link }: { link: ProductLinkView }) {
  if (link.source === "AUTO_GENERATE") return <Text as="span">Unlimited</Text>;
  if (link.remaining === null) return <Badge tone="critical">Tag deleted</Badge>;
  if (link.remaining === 0) return <Badge tone="critical">Out of keys</Badge>;
  const low = link.lowStockThreshold !== null && link.remaining < link.lowStockThreshold;
  return (
    <InlineStack gap="200" blockAlign="center">
      <Text as="span" numeric>
        {link.remaining.toLocaleString("en")}
      </Text>
      {low && <Badge tone="warning">Low</Badge>}
    </InlineStack>
  );
}

function LinkEditor({ state, tags, onClose }: { state: EditorState; tags: LinkableTag[]; onClose(): void }) {
  const fetcher = useFetcher<ProductLinkActionResult>();
  const toast = useToast();
  const link = state.link;
  const [source, setSource] = useState<"TAG" | "AUTO_GENERATE">(link?.source ?? "TAG");
  const [tagId, setTagId] = useState(String(link?.tagId ?? tags[0]?.id ?? ""));
  const [pattern, setPattern] = useState(link?.autoPattern ?? DEFAULT_KEY_PATTERN);
  const [prefix, setPrefix] = useState(link?.autoPrefix ?? "");
  const [keysPerUnit, setKeysPerUnit] = useState(String(link?.keysPerUnit ?? 1));
  const errors = fetcher.data && !fetcher.data.ok ? (fetcher.data.errors ?? {}) : {};
  const preview = useMemo(
    () => sampleKey({ pattern: pattern.trim().toUpperCase() || DEFAULT_KEY_PATTERN, prefix: prefix.trim() }),
    [pattern, prefix],
  );

  useEffect(() => {
    if (fetcher.state === "idle" && fetcher.data?.ok) {
      toast(fetcher.data.message ?? "Saved");
      onClose();
    }
  }, [fetcher.state, fetcher.data, toast, onClose]);

  function save() {
    const form: Record<string, string> = { intent: state.mode === "create" ? "link" : "update", source, keysPerUnit };
    if (source === "TAG") form.tagId = tagId;
    else Object.assign(form, { pattern, prefix });
    if (state.mode === "create") form.items = JSON.stringify(state.items);
    else if (link) form.linkId = String(link.id);
    fetcher.submit(form, { method: "post" });
  }

  const names = state.items.map((item) =>
    item.variantTitle ? `${item.productTitle} - ${item.variantTitle}` : `${item.productTitle} (all variants)`,
  );

  return (
    <Modal
      open
      onClose={onClose}
      title={
        state.mode === "create"
          ? `Link ${names.length === 1 ? "product" : `${names.length} products`}`
          : `Edit link: ${names[0]}`
      }
      primaryAction={{ content: "Save", onAction: save, loading: fetcher.state !== "idle" }}
      secondaryActions={[{ content: "Cancel", onAction: onClose }]}
    >
      <Modal.Section>
        <BlockStack gap="400">
          {errors.form && (
            <Text as="p" tone="critical">
              {errors.form}
            </Text>
          )}
          <BlockStack gap="100">
            {names.slice(0, 8).map((name) => (
              <Text as="p" key={name} fontWeight="semibold">
                {name}
              </Text>
            ))}
            {names.length > 8 && (
              <Text as="p" tone="subdued">
                and {names.length - 8} more
              </Text>
            )}
          </BlockStack>
          <FormLayout>
            <ChoiceList
              title="Keys come from"
              choices={[
                { label: "A tag of uploaded keys", value: "TAG" },
                { label: "Generate a new key for each order", value: "AUTO_GENERATE" },
              ]}
              selected={[source]}
              onChange={([value]) => setSource(value as "TAG" | "AUTO_GENERATE")}
            />
            {source === "TAG" ? (
              <Select
                label="Tag"
                options={tags.map((tag) => ({
                  label: `${tag.label} (${tag.pending.toLocaleString("en")} pending)`,
                  value: String(tag.id),
                }))}
                value={tagId}
                onChange={setTagId}
                error={errors.tagId}
                helpText="Orders receive the tag's oldest pending keys."
              />
            ) : (
              <FormLayout.Group>
                <TextField
                  label="Format"
                  value={pattern}
                  onChange={setPattern}
                  autoComplete="off"
                  error={errors.pattern}
                  helpText="Each X becomes a random letter or digit (no 0, O, 1 or I)."
                  monospaced
                />
                <TextField
                  label="Prefix (optional)"
                  value={prefix}
                  onChange={setPrefix}
                  autoComplete="off"
                  error={errors.prefix}
                  monospaced
                />
              </FormLayout.Group>
            )}
            {source === "AUTO_GENERATE" && (
              <Text as="p" tone="subdued">
                Example: <span style={{ fontFamily: "var(--p-font-family-mono)" }}>{preview}</span>
              </Text>
            )}
            <TextField
              label="Keys per unit sold"
              type="number"
              min={1}
              max={100}
              value={keysPerUnit}
              onChange={setKeysPerUnit}
              autoComplete="off"
              error={errors.keysPerUnit}
              helpText="For example 5 for a 5-seat licence."
            />
          </FormLayout>
        </BlockStack>
      </Modal.Section>
    </Modal>
  );
}
