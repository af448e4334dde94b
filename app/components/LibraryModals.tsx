// Confirmations of the library's actions. Each says exactly what will happen, with the numbers the
// server previewed, before anything changes.
import {
  Autocomplete,
  Banner,
  BlockStack,
  InlineStack,
  List,
  Modal,
  SkeletonBodyText,
  Tag as PolarisTag,
  Text,
  TextField,
} from "@shopify/polaris";
import { useMemo, useState, type ReactNode } from "react";
import { pluralize } from "~/lib/library";
import { TAG_NAME_PATTERN, TAG_NAME_RULE } from "~/lib/tags";

export interface ModalAction {
  content: string;
  destructive?: boolean;
  loading?: boolean;
  disabled?: boolean;
  onAction(): void;
}

export interface LibraryModalProps {
  open: boolean;
  title: string;
  onClose(): void;
  /** The preview is on its way: the body shows placeholders and the action waits. */
  previewLoading?: boolean;
  error?: string | null;
  primaryAction?: ModalAction;
  children?: ReactNode;
}

export function LibraryModal({
  open,
  title,
  onClose,
  previewLoading,
  error,
  primaryAction,
  children,
}: LibraryModalProps) {
  return (
    <Modal
      open={open}
      onClose={onClose}
      title={title}
      primaryAction={
        primaryAction && {
          ...primaryAction,
          disabled: primaryAction.disabled || previewLoading,
        }
      }
      secondaryActions={[{ content: "Cancel", onAction: onClose, disabled: primaryAction?.loading }]}
    >
      <Modal.Section>
        <BlockStack gap="400">
          {error && (
            <Banner tone="critical" title="Nothing was changed">
              <p>{error}</p>
            </Banner>
          )}
          {previewLoading ? <SkeletonBodyText lines={3} /> : children}
        </BlockStack>
      </Modal.Section>
    </Modal>
  );
}

const UNDONE = "This can't be undone.";

export function DeleteKeyBody({ value, orderName }: { value: string; orderName: string | null }) {
  return (
    <BlockStack gap="300">
      <Text as="p">
        Licence key{" "}
        <Text as="span" fontWeight="semibold">
          <span style={{ fontFamily: "var(--p-font-family-mono)" }}>{value}</span>
        </Text>{" "}
        will be deleted from every tag it sits in.
      </Text>
      {orderName ? (
        <Banner tone="warning">
          <p>
            This key is linked to order <strong>{orderName}</strong>. The customer loses access to it immediately.
          </p>
        </Banner>
      ) : (
        <Text as="p">If a customer has this key, they lose access to it immediately.</Text>
      )}
      <Text as="p" tone="subdued">
        {UNDONE}
      </Text>
    </BlockStack>
  );
}

export function DeleteKeysBody({
  keys,
  linkedToOrders,
  inOtherTags,
}: {
  keys: number;
  linkedToOrders: number;
  inOtherTags: number;
}) {
  return (
    <BlockStack gap="300">
      <Text as="p">
        {pluralize(keys, "licence key")} will be deleted{inOtherTags > 0 ? " from every tag they sit in" : ""}.
      </Text>
      <List>
        <List.Item>
          {linkedToOrders > 0
            ? `${pluralize(linkedToOrders, "key is", "keys are")} linked to orders: those customers lose access immediately.`
            : "None of them is linked to an order."}
        </List.Item>
        {inOtherTags > 0 && (
          <List.Item>{`${pluralize(inOtherTags, "key also sits", "keys also sit")} in other tags and will be gone from those too.`}</List.Item>
        )}
      </List>
      <Text as="p" tone="subdued">
        {UNDONE}
      </Text>
    </BlockStack>
  );
}

export function DeleteTagBody({
  name,
  keys,
  linkedToOrders,
  inOtherTags,
  linkedProducts,
}: {
  name: string;
  keys: number;
  linkedToOrders: number;
  inOtherTags: number;
  linkedProducts: number;
}) {
  return (
    <BlockStack gap="300">
      <Text as="p">
        Tag <strong>{name}</strong> and every licence key in it will be deleted: {pluralize(keys, "key")}.
      </Text>
      <List>
        <List.Item>
          {linkedToOrders > 0
            ? `${pluralize(linkedToOrders, "key is", "keys are")} linked to orders: those customers lose access immediately.`
            : "None of its keys is linked to an order."}
        </List.Item>
        <List.Item>
          {inOtherTags > 0
            ? `${pluralize(inOtherTags, "key also sits", "keys also sit")} in other tags and will be deleted from those too.`
            : "None of its keys sits in another tag."}
        </List.Item>
        {linkedProducts > 0 && (
          <List.Item>{`${pluralize(linkedProducts, "product hands", "products hand")} out keys from this tag and will stop receiving keys.`}</List.Item>
        )}
      </List>
      <Text as="p" tone="subdued">
        {UNDONE}
      </Text>
    </BlockStack>
  );
}

export function DuplicatesBody({
  name,
  duplicateValues,
  remove,
  keptInUse,
}: {
  name: string;
  duplicateValues: number;
  remove: number;
  keptInUse: number;
}) {
  if (duplicateValues === 0) {
    return <Text as="p">Every licence key in {name} is unique: there is nothing to clean up.</Text>;
  }
  return (
    <BlockStack gap="300">
      <Text as="p">
        {pluralize(duplicateValues, "key value appears", "key values appear")} more than once in {name}. For each, the
        oldest key stays.
      </Text>
      <List>
        <List.Item>
          {remove > 0
            ? `${pluralize(remove, "pending duplicate")} will be removed.`
            : "No pending duplicates to remove."}
        </List.Item>
        <List.Item>
          {keptInUse > 0
            ? `${pluralize(keptInUse, "duplicate is", "duplicates are")} kept because ${keptInUse === 1 ? "it is" : "they are"} assigned or used.`
            : "No duplicate is assigned or used."}
        </List.Item>
      </List>
      {remove > 0 && (
        <Text as="p" tone="subdued">
          {UNDONE}
        </Text>
      )}
    </BlockStack>
  );
}

export function RenameTagBody({
  value,
  onChange,
  error,
}: {
  value: string;
  onChange(value: string): void;
  error?: string;
}) {
  return (
    <TextField
      label="Tag name"
      value={value}
      onChange={onChange}
      autoComplete="off"
      autoFocus
      helpText={TAG_NAME_RULE}
      error={error}
      maxLength={64}
    />
  );
}

export interface TagOption {
  id: number;
  name: string;
}

function filterOptions(options: TagOption[], text: string) {
  const needle = text.trim().toLowerCase();
  const found = needle ? options.filter((option) => option.name.toLowerCase().includes(needle)) : options;
  return found.slice(0, 50).map((option) => ({ value: String(option.id), label: option.name }));
}

/** Picks one existing tag: where moved keys go. */
export function MoveKeysBody({
  count,
  fromName,
  options,
  destination,
  onDestinationChange,
  error,
}: {
  count: number;
  fromName: string;
  options: TagOption[];
  destination: TagOption | null;
  onDestinationChange(option: TagOption | null): void;
  error?: string;
}) {
  const [text, setText] = useState(destination?.name ?? "");
  const shown = useMemo(() => filterOptions(options, text), [options, text]);
  return (
    <BlockStack gap="300">
      <Text as="p">
        Move {pluralize(count, "licence key")} out of <strong>{fromName}</strong> into another tag. Their status, and
        any orders they are linked to, stay as they are.
      </Text>
      <Autocomplete
        options={shown}
        selected={destination ? [String(destination.id)] : []}
        onSelect={(selected) => {
          const picked = options.find((option) => String(option.id) === selected[0]) ?? null;
          onDestinationChange(picked);
          setText(picked?.name ?? "");
        }}
        emptyState={<Text as="p">No tag with that name. Tags are created when you add keys or add tags.</Text>}
        textField={
          <Autocomplete.TextField
            label="Destination tag"
            value={text}
            onChange={(value) => {
              setText(value);
              if (destination && value !== destination.name) onDestinationChange(null);
            }}
            autoComplete="off"
            placeholder="Search your tags"
            error={error}
          />
        }
      />
    </BlockStack>
  );
}

/** Picks existing tags and/or names new ones (a-z): tags added to the selected keys. */
export function AddTagsBody({
  count,
  options,
  chosen,
  newNames,
  onChange,
  error,
}: {
  count: number;
  options: TagOption[];
  chosen: TagOption[];
  newNames: string[];
  onChange(chosen: TagOption[], newNames: string[]): void;
  error?: string;
}) {
  const [text, setText] = useState("");
  const shown = useMemo(() => filterOptions(options, text), [options, text]);
  const candidate = text.trim();
  const exists = options.some((option) => option.name === candidate);
  const validNew = TAG_NAME_PATTERN.test(candidate) && !exists && !newNames.includes(candidate);
  const invalidNew = candidate !== "" && !exists && !TAG_NAME_PATTERN.test(candidate) && shown.length === 0;

  return (
    <BlockStack gap="300">
      <Text as="p">Add tags to {pluralize(count, "licence key")}. The tags they already have stay.</Text>
      <Autocomplete
        allowMultiple
        options={shown}
        selected={chosen.map((option) => String(option.id))}
        onSelect={(selected) => {
          const picked = options.filter((option) => selected.includes(String(option.id)));
          onChange(picked, newNames);
        }}
        actionBefore={
          validNew
            ? {
                content: `Create tag "${candidate}"`,
                onAction: () => {
                  onChange(chosen, [...newNames, candidate]);
                  setText("");
                },
              }
            : undefined
        }
        textField={
          <Autocomplete.TextField
            label="Tags"
            value={text}
            onChange={setText}
            autoComplete="off"
            placeholder="Search or create tags"
            helpText={TAG_NAME_RULE}
            error={error ?? (invalidNew ? TAG_NAME_RULE : undefined)}
          />
        }
      />
      {(chosen.length > 0 || newNames.length > 0) && (
        <InlineStack gap="200">
          {chosen.map((option) => (
            <PolarisTag
              key={option.id}
              onRemove={() =>
                onChange(
                  chosen.filter((c) => c.id !== option.id),
                  newNames,
                )
              }
            >
              {option.name}
            </PolarisTag>
          ))}
          {newNames.map((name) => (
            <PolarisTag
              key={name}
              onRemove={() =>
                onChange(
                  chosen,
                  newNames.filter((n) => n !== name),
                )
              }
            >
              {`${name} (new)`}
            </PolarisTag>
          ))}
        </InlineStack>
      )}
    </BlockStack>
  );
}
