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
import { SearchRefused } from "./SearchRefused";
import { ClipboardIcon, DeleteIcon } from "@shopify/polaris-icons";
import { memo, useCallback, useMemo, useRef } from "react";
import type { KeyStatus } from "@prisma/client";
import {
  formatCount,
  formatDateTime,
  KEY_STATUS_LABELS,
  KEY_STATUSES,
  KEY_TYPE_LABELS,
  orderAdminUrl,
  type KeyStatusValue,
} from "~/lib/library";
import type { KeyListRow } from "~/lib/tag-keys";

/** A row of the list: a key as its page's loader sends it. */
export type KeysIndexRow = KeyListRow;

export interface KeysIndexProps {
  keys: KeysIndexRow[];
  query: string;
  /** Why the search was not run (nothing is listed, so nothing can be selected), or null. */
  searchError?: string | null;
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

/** The latest value of something, read from stable callbacks without re-creating them. */
function useLatest<T>(value: T) {
  const ref = useRef(value);
  ref.current = value;
  return ref;
}

interface KeyRowProps {
  row: KeysIndexRow;
  position: number;
  selected: boolean;
  timeZone: string;
  onCopy(value: string): void;
  onDelete(key: KeysIndexRow): void;
}

/**
 * One key's row. Memoized with stable callbacks: ticking a checkbox, a loading state or a re-render of
 * the page re-renders only the rows whose key or selection changed, not every badge, tooltip and button
 * of the page (that cost hundreds of milliseconds per click on a slow machine).
 */
const KeyRow = memo(function KeyRow({ row: key, position, selected, timeZone, onCopy, onDelete }: KeyRowProps) {
  return (
    <IndexTable.Row id={String(key.id)} position={position} selected={selected}>
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
                onClick={() => onCopy(key.value)}
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
              onClick={() => onDelete(key)}
            />
          </Tooltip>
        </div>
      </IndexTable.Cell>
    </IndexTable.Row>
  );
});

interface KeysFiltersProps {
  query: string;
  status: KeyStatusValue | null;
  loading: boolean;
  onQueryChange(query: string): void;
  onStatusChange(status: KeyStatusValue | null): void;
}

/** Search and the status filter; memoized like the rows, since selecting keys changes nothing here. */
const KeysFilters = memo(function KeysFilters({
  query,
  status,
  loading,
  onQueryChange,
  onStatusChange,
}: KeysFiltersProps) {
  const { mode, setMode } = useSetIndexFiltersMode(
    query || status ? IndexFiltersMode.Filtering : IndexFiltersMode.Default,
  );
  const clearAll = useCallback(() => {
    onQueryChange("");
    onStatusChange(null);
  }, [onQueryChange, onStatusChange]);
  return (
    <IndexFilters
      queryValue={query}
      queryPlaceholder="Search licence keys"
      onQueryChange={onQueryChange}
      onQueryClear={() => onQueryChange("")}
      cancelAction={{ onAction: clearAll, disabled: false, loading: false }}
      tabs={TABS}
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
              choices={STATUS_CHOICES}
              selected={status ? [status] : []}
              onChange={(selected) => onStatusChange((selected[0] as KeyStatusValue | undefined) ?? null)}
            />
          ),
        },
      ]}
      appliedFilters={
        status
          ? [{ key: "status", label: `Status: ${KEY_STATUS_LABELS[status]}`, onRemove: () => onStatusChange(null) }]
          : []
      }
      onClearAll={clearAll}
      mode={mode}
      setMode={setMode}
      loading={loading}
    />
  );
});

const TABS = [{ id: "all", content: "All keys" }];
const STATUS_CHOICES = KEY_STATUSES.map((value) => ({ label: KEY_STATUS_LABELS[value], value }));

/** A tag's keys: search, status filter, keyset pages, bulk selection on the page or of every match. */
export function KeysIndex(props: KeysIndexProps) {
  const { keys, query, status, matches, matchesCapped, timeZone, loading } = props;
  const matchesLabel = `${formatCount(matches)}${matchesCapped ? "+" : ""}`;

  // The page passes fresh closures on every render; the memoized parts get stable ones that call them.
  const latest = useLatest(props);
  const onCopy = useCallback((value: string) => latest.current.onCopy(value), [latest]);
  const onDelete = useCallback((key: KeysIndexRow) => latest.current.onDeleteKey(key), [latest]);
  const onQueryChange = useCallback((value: string) => latest.current.onQueryChange(value), [latest]);
  const onStatusChange = useCallback((value: KeyStatusValue | null) => latest.current.onStatusChange(value), [latest]);

  const selected = useMemo(() => new Set(props.selectedIds), [props.selectedIds]);
  const rows = keys.map((key, index) => (
    <KeyRow
      key={key.id}
      row={key}
      position={index}
      selected={props.allSelected || selected.has(String(key.id))}
      timeZone={timeZone}
      onCopy={onCopy}
      onDelete={onDelete}
    />
  ));

  // Polaris measures the bulk-action bar (a forced layout of the whole page) whenever these arrays
  // change identity, so they are made once per set of offered actions, not on every render.
  const canMove = Boolean(props.onMoveSelected);
  const canAddTags = Boolean(props.onAddTagsToSelected);
  const promotedBulkActions = useMemo(
    () => [
      ...(canMove ? [{ content: "Move keys", onAction: () => latest.current.onMoveSelected?.() }] : []),
      ...(canAddTags ? [{ content: "Add tags", onAction: () => latest.current.onAddTagsToSelected?.() }] : []),
    ],
    [canMove, canAddTags, latest],
  );
  const bulkActions = useMemo(
    () => [
      { items: [{ content: "Delete keys", destructive: true, onAction: () => latest.current.onDeleteSelected() }] },
    ],
    [latest],
  );

  return (
    <>
      <KeysFilters
        query={query}
        status={status}
        loading={loading}
        onQueryChange={onQueryChange}
        onStatusChange={onStatusChange}
      />
      {props.searchError && <SearchRefused reason={props.searchError} />}
      <div style={{ padding: "var(--p-space-200) var(--p-space-400)" }}>
        <Text as="p" variant="bodySm" tone="subdued">
          {props.searchError ? "No results" : query || status
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
        bulkActions={bulkActions}
        emptyState={
          <EmptySearchResult
            title={props.searchError ? "No results" : query || status ? "No licence keys match" : "No licence keys in this tag"}
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
