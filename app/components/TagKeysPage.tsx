// The screen of one tag: its figures, its keys, and the dialogs of every action. Talks to its route's
// action only (app/routes/app.tags.$tagId.tsx) through two fetchers: previews and changes.
import { useFetcher, useNavigate } from "@remix-run/react";
import { TitleBar } from "@shopify/app-bridge-react";
import {
  ActionList,
  Banner,
  BlockStack,
  Box,
  Button,
  Card,
  Divider,
  InlineGrid,
  InlineStack,
  Page,
  Popover,
  ProgressBar,
  Text,
  useIndexResourceState,
  Badge,
} from "@shopify/polaris";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { AssignmentChart } from "~/components/AssignmentChart";
import { ExportButton } from "~/components/ExportButton";
import { KeysIndex, type KeysIndexRow } from "~/components/KeysIndex";
import { copyText, useListLoading, useToast, useUrlParams, useUrlSearch } from "~/components/library-hooks";
import {
  AddTagsBody,
  DeleteKeyBody,
  DeleteKeysBody,
  DeleteTagBody,
  DuplicatesBody,
  LibraryModal,
  MoveKeysBody,
  RenameTagBody,
  type TagOption,
} from "~/components/LibraryModals";
import { formatCount, formatDateTime, usagePercent, type KeyStatusValue } from "~/lib/library";
import type { TagActionResult, TagKeysLoaderData } from "~/lib/tag-keys";

type Dialog =
  | { kind: "delete-key"; key: KeysIndexRow }
  | { kind: "delete-keys" }
  | { kind: "move" }
  | { kind: "add-tags" }
  | { kind: "rename" }
  | { kind: "delete-tag" }
  | { kind: "duplicates" };

const PREVIEW_INTENT: Record<Dialog["kind"], string | null> = {
  "delete-key": "preview-key",
  "delete-keys": "preview-selection",
  move: "preview-selection",
  "add-tags": "preview-selection",
  rename: null,
  "delete-tag": "preview-delete-tag",
  duplicates: "preview-duplicates",
};

interface SelectionPreview {
  keys: number;
  linkedToOrders: number;
  inOtherTags: number;
}

export function TagKeysPage({ data }: { data: TagKeysLoaderData }) {
  const { tag, keys, matches, matchesCapped, previousCursor, nextCursor, params, timeZone, tagOptions } = data;
  const isSystem = tag.kind !== "USER";
  const toast = useToast();
  const navigate = useNavigate();
  const [query, setQuery] = useUrlSearch("q", ["after", "before"]);
  const [, updateParams] = useUrlParams();
  const loading = useListLoading();

  const resources = useMemo(() => keys.map((key) => ({ id: String(key.id) })), [keys]);
  const { selectedResources, allResourcesSelected, handleSelectionChange, clearSelection } =
    useIndexResourceState(resources);
  // Another page of keys (or new search results) starts with nothing selected. Only on a change: clearing
  // on mount too would re-render the whole page once more right after hydration, for nothing.
  const pageIds = resources.map((resource) => resource.id).join(",");
  const shownIds = useRef(pageIds);
  useEffect(() => {
    if (shownIds.current === pageIds) return;
    shownIds.current = pageIds;
    clearSelection();
  }, [pageIds, clearSelection]);

  const [dialog, setDialog] = useState<Dialog | null>(null);
  const preview = useFetcher<TagActionResult>();
  const change = useFetcher<TagActionResult>();
  const [destination, setDestination] = useState<TagOption | null>(null);
  const [chosenTags, setChosenTags] = useState<TagOption[]>([]);
  const [newTags, setNewTags] = useState<string[]>([]);
  const [newName, setNewName] = useState(tag.name);
  const [changeError, setChangeError] = useState<{ message: string; field?: string } | null>(null);

  const selectionFields = useCallback((): Record<string, string> => {
    if (allResourcesSelected) return { scope: "all", q: params.q, status: params.status ?? "" };
    return { scope: "ids", ids: selectedResources.join(",") };
  }, [allResourcesSelected, params.q, params.status, selectedResources]);

  const open = (next: Dialog) => {
    setDialog(next);
    setChangeError(null);
    setDestination(null);
    setChosenTags([]);
    setNewTags([]);
    setNewName(tag.name);
    const intent = PREVIEW_INTENT[next.kind];
    if (!intent) return;
    const fields: Record<string, string> =
      next.kind === "delete-key"
        ? { keyId: String(next.key.id) }
        : next.kind === "delete-tag" || next.kind === "duplicates"
          ? {}
          : selectionFields();
    preview.submit({ intent, ...fields }, { method: "post" });
  };
  const close = () => {
    if (change.state === "idle") setDialog(null);
  };

  const submitChange = (intent: string, fields: Record<string, string | string[]> = {}) => {
    setChangeError(null);
    const form = new FormData();
    form.set("intent", intent);
    for (const [name, value] of Object.entries(fields)) {
      for (const item of Array.isArray(value) ? value : [value]) form.append(name, item);
    }
    change.submit(form, { method: "post" });
  };

  // Each answer of the change fetcher is handled once: toast and close, or show why nothing changed.
  const handled = useRef<TagActionResult | undefined>(undefined);
  useEffect(() => {
    const result = change.data;
    if (change.state !== "idle" || !result || handled.current === result) return;
    handled.current = result;
    if (result.ok) {
      setDialog(null);
      clearSelection();
      if (result.message) toast(result.message);
      if (result.redirectTo) navigate(result.redirectTo, { replace: true });
    } else {
      setChangeError({ message: result.error ?? "Something went wrong. Nothing was changed.", field: result.field });
    }
  }, [change.state, change.data, toast, navigate, clearSelection]);

  const expected = dialog ? PREVIEW_INTENT[dialog.kind] : null;
  const previewReady = preview.state === "idle" && preview.data?.intent === expected && preview.data.ok;
  const previewError =
    preview.state === "idle" && preview.data?.intent === expected && !preview.data.ok ? preview.data.error : null;
  const previewData = (previewReady ? preview.data?.preview : undefined) as Record<string, unknown> | undefined;
  const previewLoading = expected !== null && !previewReady && !previewError;
  const busy = change.state !== "idle";
  const selection = previewData as SelectionPreview | undefined;

  const usage = usagePercent({ total: tag.pending + tag.assigned + tag.used + tag.retired, pending: tag.pending });
  const total = tag.pending + tag.assigned + tag.used + tag.retired;
  const [menuOpen, setMenuOpen] = useState(false);
  const importUrl = tag.kind === "USER" ? `/app/import?tag=${encodeURIComponent(tag.name)}` : "/app/import";

  return (
    <Page
      title={tag.name}
      titleMetadata={isSystem ? <Badge>System tag</Badge> : undefined}
      backAction={{ content: "Licence keys", url: "/app" }}
      primaryAction={tag.kind === "AUTO_GENERATED" ? undefined : { content: "Add keys", url: importUrl }}
      secondaryActions={
        <InlineStack gap="200">
          <ExportButton tagId={tag.id} q={params.q} status={params.status} label={`tag ${tag.name}`} />
          <Popover
            active={menuOpen}
            onClose={() => setMenuOpen(false)}
            activator={
              <Button disclosure onClick={() => setMenuOpen((value) => !value)}>
                More actions
              </Button>
            }
          >
            <ActionList
              actionRole="menuitem"
              onActionAnyItem={() => setMenuOpen(false)}
              items={[
                {
                  content: "Rename tag",
                  disabled: isSystem,
                  helpText: isSystem ? "System tags can't be renamed" : undefined,
                  onAction: () => open({ kind: "rename" }),
                },
                { content: "Clean up duplicates", onAction: () => open({ kind: "duplicates" }) },
                {
                  content: "Delete tag",
                  destructive: true,
                  disabled: isSystem,
                  helpText: isSystem ? "System tags can't be deleted" : undefined,
                  onAction: () => open({ kind: "delete-tag" }),
                },
              ]}
            />
          </Popover>
        </InlineStack>
      }
    >
      <TitleBar title={tag.name} />
      <BlockStack gap="400">
        {isSystem && (
          <Banner tone="info">
            <p>
              {tag.kind === "UNTAGGED"
                ? "No tag holds the keys that have no tag of their own. Moving a key out of it, or adding a tag, gives it that tag."
                : "Auto-generated holds the keys Keyshelf generated for products set to generate keys."}{" "}
              System tags can't be renamed or deleted.
            </p>
          </Banner>
        )}
        <Card>
          <BlockStack gap="300">
            <InlineGrid columns={{ xs: 2, md: 4 }} gap="400">
              <Figure label="Remaining" value={tag.pending} strong />
              <Figure label="Assigned" value={tag.assigned} />
              <Figure label="Used" value={tag.used} />
              <Figure label="Total" value={total} />
            </InlineGrid>
            <ProgressBar progress={usage} size="small" tone={total > 0 && tag.pending === 0 ? "critical" : "primary"} />
            <Text as="p" variant="bodySm" tone="subdued">
              {total > 0 ? `${usage}% used` : "No keys yet"}
              {tag.lastAddedAt ? ` · Keys last added ${formatDateTime(tag.lastAddedAt, timeZone)}` : ""}
              {tag.lowStockThreshold !== null ? ` · Low-stock threshold ${formatCount(tag.lowStockThreshold)}` : ""}
            </Text>
            {data.history && (
              <>
                <Divider />
                <AssignmentChart {...data.history} />
              </>
            )}
          </BlockStack>
        </Card>
        <Card padding="0">
          <KeysIndex
            keys={keys}
            query={query}
            status={params.status}
            matches={matches}
            matchesCapped={matchesCapped}
            hasPrevious={previousCursor !== null}
            hasNext={nextCursor !== null}
            timeZone={timeZone}
            loading={loading}
            selectedIds={selectedResources}
            allSelected={allResourcesSelected}
            onSelectionChange={handleSelectionChange}
            onDeleteSelected={() => open({ kind: "delete-keys" })}
            onMoveSelected={() => open({ kind: "move" })}
            onAddTagsToSelected={() => open({ kind: "add-tags" })}
            onDeleteKey={(key) => open({ kind: "delete-key", key })}
            onCopy={(value) => {
              void copyText(value).then((ok) =>
                toast(ok ? "Licence key copied" : "Couldn't copy: select the key and copy it", { isError: !ok }),
              );
            }}
            onQueryChange={setQuery}
            onStatusChange={(status: KeyStatusValue | null) => updateParams({ status, after: null, before: null })}
            onPrevious={() =>
              updateParams({ before: previousCursor === null ? null : String(previousCursor), after: null })
            }
            onNext={() => updateParams({ after: nextCursor === null ? null : String(nextCursor), before: null })}
          />
        </Card>
      </BlockStack>

      {dialog?.kind === "delete-key" && (
        <LibraryModal
          open
          title="Delete licence key?"
          onClose={close}
          previewLoading={previewLoading}
          error={changeError?.message ?? previewError}
          primaryAction={{
            content: "Delete key",
            destructive: true,
            loading: busy,
            disabled: Boolean(previewError),
            onAction: () => submitChange("delete-key", { keyId: String(dialog.key.id) }),
          }}
        >
          <DeleteKeyBody value={dialog.key.value} orderName={(previewData?.orderName as string | null) ?? null} />
        </LibraryModal>
      )}

      {dialog?.kind === "delete-keys" && (
        <LibraryModal
          open
          title={
            selection
              ? `Delete ${selection.keys === 1 ? "1 licence key" : `${formatCount(selection.keys)} licence keys`}?`
              : "Delete licence keys?"
          }
          onClose={close}
          previewLoading={previewLoading}
          error={changeError?.message ?? previewError}
          primaryAction={{
            content: "Delete keys",
            destructive: true,
            loading: busy,
            disabled: Boolean(previewError) || selection?.keys === 0,
            onAction: () => submitChange("delete-keys", selectionFields()),
          }}
        >
          {selection && <DeleteKeysBody {...selection} />}
        </LibraryModal>
      )}

      {dialog?.kind === "move" && (
        <LibraryModal
          open
          title="Move licence keys"
          onClose={close}
          previewLoading={previewLoading}
          error={changeError && changeError.field !== "destination" ? changeError.message : previewError}
          primaryAction={{
            content: "Move keys",
            loading: busy,
            disabled: !destination || Boolean(previewError),
            onAction: () =>
              destination && submitChange("move-keys", { ...selectionFields(), destination: String(destination.id) }),
          }}
        >
          {selection && (
            <MoveKeysBody
              count={selection.keys}
              fromName={tag.name}
              options={tagOptions}
              destination={destination}
              onDestinationChange={setDestination}
              error={changeError?.field === "destination" ? changeError.message : undefined}
            />
          )}
        </LibraryModal>
      )}

      {dialog?.kind === "add-tags" && (
        <LibraryModal
          open
          title="Add tags"
          onClose={close}
          previewLoading={previewLoading}
          error={
            changeError && changeError.field !== "destination" && changeError.field !== "tags"
              ? changeError.message
              : previewError
          }
          primaryAction={{
            content: "Add tags",
            loading: busy,
            disabled: (chosenTags.length === 0 && newTags.length === 0) || Boolean(previewError),
            onAction: () =>
              submitChange("add-tags", {
                ...selectionFields(),
                tagId: chosenTags.map((option) => String(option.id)),
                newTag: newTags,
              }),
          }}
        >
          {selection && (
            <AddTagsBody
              count={selection.keys}
              options={tagOptions}
              chosen={chosenTags}
              newNames={newTags}
              onChange={(chosen, names) => {
                setChosenTags(chosen);
                setNewTags(names);
              }}
              error={
                changeError?.field === "destination" || changeError?.field === "tags" ? changeError.message : undefined
              }
            />
          )}
        </LibraryModal>
      )}

      {dialog?.kind === "rename" && (
        <LibraryModal
          open
          title={`Rename ${tag.name}`}
          onClose={close}
          error={changeError && changeError.field !== "name" ? changeError.message : null}
          primaryAction={{
            content: "Rename",
            loading: busy,
            disabled: newName.trim() === "" || newName === tag.name,
            onAction: () => submitChange("rename", { name: newName }),
          }}
        >
          <form
            onSubmit={(event) => {
              event.preventDefault();
              if (newName !== tag.name) submitChange("rename", { name: newName });
            }}
          >
            <RenameTagBody
              value={newName}
              onChange={setNewName}
              error={changeError?.field === "name" ? changeError.message : undefined}
            />
          </form>
        </LibraryModal>
      )}

      {dialog?.kind === "delete-tag" && (
        <LibraryModal
          open
          title={`Delete tag ${tag.name}?`}
          onClose={close}
          previewLoading={previewLoading}
          error={changeError?.message ?? previewError}
          primaryAction={{
            content: previewData
              ? `Delete tag and ${formatCount(Number(previewData.keys))} ${previewData.keys === 1 ? "key" : "keys"}`
              : "Delete tag",
            destructive: true,
            loading: busy,
            disabled: Boolean(previewError),
            onAction: () => submitChange("delete-tag"),
          }}
        >
          {previewData && (
            <DeleteTagBody
              name={tag.name}
              keys={Number(previewData.keys)}
              linkedToOrders={Number(previewData.linkedToOrders)}
              inOtherTags={Number(previewData.inOtherTags)}
              linkedProducts={Number(previewData.linkedProducts)}
            />
          )}
        </LibraryModal>
      )}

      {dialog?.kind === "duplicates" && (
        <LibraryModal
          open
          title="Clean up duplicates"
          onClose={close}
          previewLoading={previewLoading}
          error={changeError?.message ?? previewError}
          primaryAction={
            previewData && Number(previewData.remove) > 0
              ? {
                  content: `Remove ${formatCount(Number(previewData.remove))} ${previewData.remove === 1 ? "duplicate" : "duplicates"}`,
                  destructive: true,
                  loading: busy,
                  onAction: () => submitChange("clean-up-duplicates"),
                }
              : undefined
          }
        >
          {previewData && (
            <DuplicatesBody
              name={tag.name}
              duplicateValues={Number(previewData.duplicateValues)}
              remove={Number(previewData.remove)}
              keptInUse={Number(previewData.keptInUse)}
            />
          )}
        </LibraryModal>
      )}
    </Page>
  );
}

function Figure({ label, value, strong = false }: { label: string; value: number; strong?: boolean }) {
  return (
    <Box>
      <Text as="p" variant="bodySm" tone="subdued">
        {label}
      </Text>
      <Text as="p" variant={strong ? "headingLg" : "headingMd"} numeric>
        {formatCount(value)}
      </Text>
    </Box>
  );
}
