// The screen of one tag: its figures, its keys, and the dialogs of every action (one component each,
// in ./tag-keys/). Talks to its route's action only (app/routes/app.tags.$tagId.tsx) through two
// fetchers, owned here and lent to the open dialog: previews and changes.
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
import { AddTagsDialog } from "~/components/tag-keys/AddTagsDialog";
import { DeleteKeyDialog } from "~/components/tag-keys/DeleteKeyDialog";
import { DeleteKeysDialog } from "~/components/tag-keys/DeleteKeysDialog";
import { DeleteTagDialog } from "~/components/tag-keys/DeleteTagDialog";
import type { ChangeError, DialogChange, DialogPreview } from "~/components/tag-keys/dialog";
import { DuplicatesDialog } from "~/components/tag-keys/DuplicatesDialog";
import { MoveKeysDialog } from "~/components/tag-keys/MoveKeysDialog";
import { RenameTagDialog } from "~/components/tag-keys/RenameTagDialog";
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
  const [changeError, setChangeError] = useState<ChangeError | null>(null);

  const selectionFields = useCallback((): Record<string, string> => {
    if (allResourcesSelected) return { scope: "all", q: params.q, status: params.status ?? "" };
    return { scope: "ids", ids: selectedResources.join(",") };
  }, [allResourcesSelected, params.q, params.status, selectedResources]);

  const open = (next: Dialog) => {
    setDialog(next);
    setChangeError(null);
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
  // What the open dialog is lent: its preview, and the change it submits. Its form state is its own.
  const dialogPreview: DialogPreview = { loading: previewLoading, error: previewError, data: previewData };
  const dialogChange: DialogChange = { busy: change.state !== "idle", error: changeError, submit: submitChange };

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
            searchError={params.searchError}
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
        <DeleteKeyDialog licenceKey={dialog.key} onClose={close} preview={dialogPreview} change={dialogChange} />
      )}
      {dialog?.kind === "delete-keys" && (
        <DeleteKeysDialog
          onClose={close}
          preview={dialogPreview}
          change={dialogChange}
          selectionFields={selectionFields}
        />
      )}
      {dialog?.kind === "move" && (
        <MoveKeysDialog
          tagName={tag.name}
          tagOptions={tagOptions}
          onClose={close}
          preview={dialogPreview}
          change={dialogChange}
          selectionFields={selectionFields}
        />
      )}
      {dialog?.kind === "add-tags" && (
        <AddTagsDialog
          tagOptions={tagOptions}
          onClose={close}
          preview={dialogPreview}
          change={dialogChange}
          selectionFields={selectionFields}
        />
      )}
      {dialog?.kind === "rename" && <RenameTagDialog tagName={tag.name} onClose={close} change={dialogChange} />}
      {dialog?.kind === "delete-tag" && (
        <DeleteTagDialog tagName={tag.name} onClose={close} preview={dialogPreview} change={dialogChange} />
      )}
      {dialog?.kind === "duplicates" && (
        <DuplicatesDialog tagName={tag.name} onClose={close} preview={dialogPreview} change={dialogChange} />
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
