import {
  Badge,
  Button,
  ChoiceList,
  EmptySearchResult,
  IndexFilters,
  IndexFiltersMode,
  IndexTable,
  InlineStack,
  Link,
  Text,
  Tooltip,
  useSetIndexFiltersMode,
  type BadgeProps,
  type IndexTableProps,
} from "@shopify/polaris";
import { ClipboardIcon, DeleteIcon } from "@shopify/polaris-icons";
import type { KeyStatus, KeyType } from "@prisma/client";
import {
  formatCount,
  formatDateTime,
  KEY_STATUS_LABELS,
  KEY_STATUSES,
  KEY_TYPE_LABELS,
  orderAdminUrl,
  type KeyStatusValue,
} from "~/lib/library";

export interface KeysIndexRow {
  id: number;
  value: string;
  type: KeyType;
  status: KeyStatus;
  createdAt: string;
  order: { name: string; shopifyId: string } | null;
  tags: { id: number; name: string }[];
}

export interface KeysIndexProps {
  keys: KeysIndexRow[];
  query: string;
  status: KeyStatusValue | null;
  matches: number;
  matchesCapped: boolean;
  hasPrevious: boolean;
  hasNext: boolean;
  timeZone: string;
  loading: boolean;
  selectedIds: string[];
  allSelected: boolean;
  onSelectionChange: NonNullable<IndexTableProps["onSelectionChange"]>;
  /** Bulk actions; absent ones are not offered. */
  onDeleteSelected(): void;
  onMoveSelected?(): void;
  onAddTagsToSelected?(): void;
  onDeleteKey(key: KeysIndexRow): void;
  onCopy(value: string): void;
  onQueryChange(query: string): void;
  onStatusChange(status: KeyStatusValue | null): void;
  onPrevious(): void;
  onNext(): void;
}

const STATUS_TONES: Record<KeyStatus, BadgeProps["tone"]> = {
  PENDING: "info",
  ASSIGNED: "success",
  USED: undefined,
  RETIRED: "critical",
};

const STATUS_PROGRESS: Record<KeyStatus, BadgeProps["progress"]> = {
  PENDING: "incomplete",
  ASSIGNED: "partiallyComplete",
  USED: "complete",
  RETIRED: "complete",
};

const MONOSPACE = { fontFamily: "var(--p-font-family-mono)", wordBreak: "break-all" } as const;
const SHOWN_TAGS = 3;

/** A tag's keys: search, status filter, keyset pages, bulk selection on the page or of every match. */
export function KeysIndex(props: KeysIndexProps) {
  const { keys, query, status, matches, matchesCapped, timeZone, loading } = props;
  const { mode, setMode } = useSetIndexFiltersMode(
    query || status ? IndexFiltersMode.Filtering : IndexFiltersMode.Default,
  );
  const matchesLabel = `${formatCount(matches)}${matchesCapped ? "+" : ""}`;

  const rows = keys.map((key, index) => {
    return (
      <IndexTable.Row
        id={String(key.id)}
        key={key.id}
        position={index}
        selected={props.allSelected || props.selectedIds.includes(String(key.id))}
      >
        <IndexTable.Cell>
          <InlineStack gap="100" blockAlign="center" wrap={false}>
            <Text as="span" fontWeight="medium">
              <span style={MONOSPACE} data-licence-key>
                {key.value}
              </span>
            </Text>
            <div onClick={(event) => event.stopPropagation()}>
              <Tooltip content="Copy licence key">
                <Button
                  variant="tertiary"
                  size="slim"
                  icon={ClipboardIcon}
                  accessibilityLabel={`Copy licence key ${key.value}`}
                  onClick={() => props.onCopy(key.value)}
                />
              </Tooltip>
            </div>
          </InlineStack>
        </IndexTable.Cell>
        <IndexTable.Cell>{KEY_TYPE_LABELS[key.type]}</IndexTable.Cell>
        <IndexTable.Cell>
          <Badge tone={STATUS_TONES[key.status]} progress={STATUS_PROGRESS[key.status]}>
            {KEY_STATUS_LABELS[key.status]}
          </Badge>
        </IndexTable.Cell>
        <IndexTable.Cell>
          <InlineStack gap="100">
            {key.tags.slice(0, SHOWN_TAGS).map((tag) => (
              <Badge key={tag.id}>{tag.name}</Badge>
            ))}
            {key.tags.length > SHOWN_TAGS && <Badge>{`+${key.tags.length - SHOWN_TAGS}`}</Badge>}
          </InlineStack>
        </IndexTable.Cell>
        <IndexTable.Cell>
          {key.order ? (
            <div onClick={(event) => event.stopPropagation()}>
              <Link
                url={orderAdminUrl(key.order.shopifyId)}
                accessibilityLabel={`Open order ${key.order.name} in Shopify`}
              >
                {key.order.name}
              </Link>
            </div>
          ) : (
            <Text as="span" tone="subdued">
              —
            </Text>
          )}
        </IndexTable.Cell>
        <IndexTable.Cell>{formatDateTime(key.createdAt, timeZone)}</IndexTable.Cell>
        <IndexTable.Cell>
          <div onClick={(event) => event.stopPropagation()}>
            <Tooltip content="Delete licence key">
              <Button
                variant="tertiary"
                tone="critical"
                size="slim"
                icon={DeleteIcon}
                accessibilityLabel={`Delete licence key ${key.value}`}
                onClick={() => props.onDeleteKey(key)}
              />
            </Tooltip>
          </div>
        </IndexTable.Cell>
      </IndexTable.Row>
    );
  });

  const promotedBulkActions = [
    props.onMoveSelected && { content: "Move keys", onAction: props.onMoveSelected },
    props.onAddTagsToSelected && { content: "Add tags", onAction: props.onAddTagsToSelected },
  ].filter((action): action is { content: string; onAction: () => void } => Boolean(action));

  return (
    <>
      <IndexFilters
        queryValue={query}
        queryPlaceholder="Search licence keys"
        onQueryChange={props.onQueryChange}
        onQueryClear={() => props.onQueryChange("")}
        cancelAction={{
          onAction: () => {
            props.onQueryChange("");
            props.onStatusChange(null);
          },
          disabled: false,
          loading: false,
        }}
        tabs={[{ id: "all", content: "All keys" }]}
        selected={0}
        onSelect={() => {}}
        canCreateNewView={false}
        filters={[
          {
            key: "status",
            label: "Status",
            shortcut: true,
            pinned: true,
            filter: (
              <ChoiceList
                title="Status"
                titleHidden
                choices={KEY_STATUSES.map((value) => ({ label: KEY_STATUS_LABELS[value], value }))}
                selected={status ? [status] : []}
                onChange={(selected) => props.onStatusChange((selected[0] as KeyStatusValue | undefined) ?? null)}
              />
            ),
          },
        ]}
        appliedFilters={
          status
            ? [
                {
                  key: "status",
                  label: `Status: ${KEY_STATUS_LABELS[status]}`,
                  onRemove: () => props.onStatusChange(null),
                },
              ]
            : []
        }
        onClearAll={() => {
          props.onQueryChange("");
          props.onStatusChange(null);
        }}
        mode={mode}
        setMode={setMode}
        loading={loading}
      />
      <div style={{ padding: "var(--p-space-200) var(--p-space-400)" }}>
        <Text as="p" variant="bodySm" tone="subdued">
          {query || status
            ? `${matchesLabel} ${matches === 1 && !matchesCapped ? "match" : "matches"}`
            : `${matchesLabel} licence ${matches === 1 ? "key" : "keys"}`}
        </Text>
      </div>
      <IndexTable
        resourceName={{ singular: "licence key", plural: "licence keys" }}
        itemCount={keys.length}
        selectedItemsCount={props.allSelected ? "All" : props.selectedIds.length}
        onSelectionChange={props.onSelectionChange}
        hasMoreItems={matches > keys.length || matchesCapped}
        paginatedSelectAllActionText={`Select all ${matchesLabel} ${query || status ? "matching " : ""}licence keys`}
        paginatedSelectAllText={`All ${matchesLabel} ${query || status ? "matching " : ""}licence keys are selected.`}
        loading={loading}
        headings={[
          { title: "Licence key" },
          { title: "Type" },
          { title: "Status" },
          { title: "Tags" },
          { title: "Order" },
          { title: "Added" },
          { title: "Actions", hidden: true },
        ]}
        promotedBulkActions={promotedBulkActions}
        bulkActions={[{ items: [{ content: "Delete keys", destructive: true, onAction: props.onDeleteSelected }] }]}
        emptyState={
          <EmptySearchResult
            title={query || status ? "No licence keys match" : "No licence keys in this tag"}
            description={
              query || status
                ? "Try another part of the key, or clear the filters."
                : "Add keys to this tag to see them here."
            }
            withIllustration
          />
        }
        pagination={{
          hasPrevious: props.hasPrevious,
          hasNext: props.hasNext,
          onPrevious: props.onPrevious,
          onNext: props.onNext,
        }}
      >
        {rows}
      </IndexTable>
    </>
  );
}
