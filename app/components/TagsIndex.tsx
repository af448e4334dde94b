import {
  Badge,
  BlockStack,
  EmptySearchResult,
  IndexFilters,
  IndexFiltersMode,
  IndexTable,
  InlineStack,
  Link,
  ProgressBar,
  Text,
  useSetIndexFiltersMode,
  type IndexFiltersProps,
} from "@shopify/polaris";
import { SearchRefused } from "./SearchRefused";
import type { TagKind } from "@prisma/client";
import { memo } from "react";
import { formatCount, formatDateTime, isRunningLow, usagePercent, type TagSort } from "~/lib/library";

export interface TagsIndexRow {
  id: number;
  name: string;
  kind: TagKind;
  pending: number;
  assigned: number;
  used: number;
  total: number;
  lastAddedAt: string | null;
  lowStockThreshold: number | null;
  linkedProducts: number;
}

export interface TagsIndexProps {
  tags: TagsIndexRow[];
  query: string;
  /** Why the search was not run (nothing is listed), or null. */
  searchError?: string | null;
  sort: TagSort;
  page: number;
  pageCount: number;
  total: number;
  timeZone: string;
  loading: boolean;
  onQueryChange(query: string): void;
  onSortChange(sort: TagSort): void;
  onPageChange(page: number): void;
}

const SORT_OPTIONS: IndexFiltersProps["sortOptions"] = [
  { label: "Tag name", value: "name asc", directionLabel: "A-Z" },
  { label: "Tag name", value: "name desc", directionLabel: "Z-A" },
  { label: "Remaining", value: "remaining asc", directionLabel: "Fewest first" },
  { label: "Remaining", value: "remaining desc", directionLabel: "Most first" },
];

const SORTABLE_COLUMNS: Record<number, "name" | "remaining"> = { 0: "name", 2: "remaining" };

/** A right-aligned count column of the tags table; remaining keys are the one in bold. */
function CountCell({ count, emphasis = false }: { count: number; emphasis?: boolean }) {
  return (
    <IndexTable.Cell>
      <Text as="span" alignment="end" numeric fontWeight={emphasis ? "semibold" : undefined}>
        {formatCount(count)}
      </Text>
    </IndexTable.Cell>
  );
}

/**
 * One tag's row, memoized: sorting, paging or searching puts the table into its loading state first,
 * and that re-render should not rebuild every row's badges, progress bar and date.
 */
const TagRow = memo(function TagRow({
  tag,
  position,
  timeZone,
}: {
  tag: TagsIndexRow;
  position: number;
  timeZone: string;
}) {
  const low = isRunningLow(tag);
  const usage = usagePercent(tag);
  return (
    <IndexTable.Row id={String(tag.id)} position={position}>
      <IndexTable.Cell>
        <InlineStack gap="200" blockAlign="center" wrap={false}>
          <Link url={`/app/tags/${tag.id}`} monochrome removeUnderline dataPrimaryLink>
            <Text as="span" fontWeight="semibold">
              {tag.name}
            </Text>
          </Link>
          {tag.kind !== "USER" && <Badge>System</Badge>}
          {low && (
            <Badge tone={tag.pending === 0 ? "critical" : "warning"}>
              {tag.pending === 0 ? "Out of keys" : "Running low"}
            </Badge>
          )}
        </InlineStack>
      </IndexTable.Cell>
      <CountCell count={tag.total} />
      <CountCell count={tag.pending} emphasis />
      <CountCell count={tag.assigned} />
      <CountCell count={tag.used} />
      <IndexTable.Cell>
        <BlockStack gap="100">
          <div style={{ minWidth: 120 }} aria-label={`${usage}% of keys used`}>
            <ProgressBar progress={usage} size="small" tone={low ? "critical" : "primary"} animated={false} />
          </div>
          <Text as="span" variant="bodySm" tone="subdued">
            {tag.total > 0 ? `${usage}% used` : "No keys"}
          </Text>
        </BlockStack>
      </IndexTable.Cell>
      <IndexTable.Cell>
        <Text as="span" tone={tag.lastAddedAt ? undefined : "subdued"}>
          {tag.lastAddedAt ? formatDateTime(tag.lastAddedAt, timeZone) : "Never"}
        </Text>
      </IndexTable.Cell>
    </IndexTable.Row>
  );
});

/** The overview's table: one row per tag, system tags included, searched, sorted and paged by the URL. */
export function TagsIndex(props: TagsIndexProps) {
  const { tags, query, sort, page, pageCount, total, timeZone, loading } = props;
  const { mode, setMode } = useSetIndexFiltersMode(query ? IndexFiltersMode.Filtering : IndexFiltersMode.Default);
  const [sortColumn, sortDirection] = sort.split(" ") as ["name" | "remaining", "asc" | "desc"];

  const rows = tags.map((tag, index) => <TagRow key={tag.id} tag={tag} position={index} timeZone={timeZone} />);

  return (
    <>
      <IndexFilters
        sortOptions={SORT_OPTIONS}
        sortSelected={[sort]}
        onSort={(value) => props.onSortChange(value[0] as TagSort)}
        queryValue={query}
        queryPlaceholder="Search tags by name"
        onQueryChange={props.onQueryChange}
        onQueryClear={() => props.onQueryChange("")}
        cancelAction={{ onAction: () => props.onQueryChange(""), disabled: false, loading: false }}
        tabs={[{ id: "all", content: "All tags" }]}
        selected={0}
        onSelect={() => {}}
        canCreateNewView={false}
        filters={[]}
        appliedFilters={[]}
        onClearAll={() => props.onQueryChange("")}
        hideFilters
        mode={mode}
        setMode={setMode}
        loading={loading}
      />
      {props.searchError && <SearchRefused reason={props.searchError} />}
      <IndexTable
        resourceName={{ singular: "tag", plural: "tags" }}
        itemCount={tags.length}
        selectable={false}
        loading={loading}
        headings={[
          { title: "Tag" },
          { title: "Total", alignment: "end" },
          { title: "Remaining", alignment: "end" },
          { title: "Assigned", alignment: "end" },
          { title: "Used", alignment: "end" },
          { title: "Usage" },
          { title: "Last added" },
        ]}
        sortable={[true, false, true, false, false, false, false]}
        sortColumnIndex={sortColumn === "name" ? 0 : 2}
        sortDirection={sortDirection === "asc" ? "ascending" : "descending"}
        defaultSortDirection="ascending"
        onSort={(index, direction) => {
          const column = SORTABLE_COLUMNS[index];
          if (column) props.onSortChange(`${column} ${direction === "ascending" ? "asc" : "desc"}`);
        }}
        emptyState={
          <EmptySearchResult
            title={props.searchError ? "No results" : query ? `No tags match "${query}"` : "No tags yet"}
            description={query ? "Try a shorter part of the name." : "Tags appear here when you add keys."}
            withIllustration
          />
        }
        pagination={{
          hasPrevious: page > 1,
          hasNext: page < pageCount,
          onPrevious: () => props.onPageChange(page - 1),
          onNext: () => props.onPageChange(page + 1),
          label: total > 0 ? `Page ${page} of ${pageCount} · ${formatCount(total)} tags` : undefined,
        }}
      >
        {rows}
      </IndexTable>
    </>
  );
}
