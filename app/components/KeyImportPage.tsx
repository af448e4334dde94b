// The "Add licence keys" screen: choose keys and destination, then check the preview and import.
import { useFetcher, useNavigate } from "@remix-run/react";
import { TitleBar } from "@shopify/app-bridge-react";
import {
  Badge,
  Banner,
  BlockStack,
  Box,
  Button,
  Card,
  ChoiceList,
  DropZone,
  IndexTable,
  InlineGrid,
  InlineStack,
  Layout,
  List,
  Page,
  PageActions,
  ProgressBar,
  Spinner,
  Tabs,
  Text,
  TextField,
} from "@shopify/polaris";
import { useEffect, useMemo, useState } from "react";
import { formatCount, pluralize } from "~/lib/library";
import { TAG_NAME_PATTERN, TAG_NAME_RULE } from "~/lib/tags";
import type { ImportActionResult, KeyImportLoaderData } from "~/lib/key-import-page";
import { DestinationTags } from "./DestinationTags";
import { useKeyUpload, type UploadState } from "./key-import-upload";
import { useToast } from "./library-hooks";

export function KeyImportPage({ data }: { data: KeyImportLoaderData }) {
  if (data.preview) return <ImportPreview data={data} preview={data.preview} />;
  return <ImportForm data={data} />;
}

function megabytes(bytes: number) {
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}

function fileSize(bytes: number) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const SOURCES = [
  { id: "paste", content: "Paste keys" },
  { id: "file", content: "Upload a file" },
];

function ImportForm({ data }: { data: KeyImportLoaderData }) {
  const navigate = useNavigate();
  const { state, upload, cancel, reset } = useKeyUpload();
  const [source, setSource] = useState(0);
  const [text, setText] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [tags, setTags] = useState<string[]>(data.initialTags);
  const [localError, setLocalError] = useState<string | null>(null);
  const pasting = SOURCES[source].id === "paste";
  const busy = state.phase === "uploading" || state.phase === "checking";
  const serverErrors = state.phase === "failed" ? state.errors : {};
  const pastedLines = useMemo(() => text.split(/\r\n|\r|\n/).filter((line) => line.trim() !== "").length, [text]);
  const badTags = tags.filter((name) => !TAG_NAME_PATTERN.test(name));

  const submit = async () => {
    setLocalError(null);
    reset();
    const body = pasting ? new Blob([text], { type: "text/plain" }) : file;
    if (!body || (pasting && pastedLines === 0)) {
      setLocalError(pasting ? "Paste at least one licence key." : "Choose a .txt or .csv file.");
      return;
    }
    if (body.size > data.limits.maxBytes) {
      setLocalError(`The file is larger than ${megabytes(data.limits.maxBytes)}. Split it into smaller files and add them one after the other.`);
      return;
    }
    if (badTags.length > 0) return;
    const form = new FormData();
    form.append("intent", "upload");
    form.append("source", pasting ? "paste" : "file");
    for (const name of tags) form.append("tags", name);
    form.append("file", body, pasting ? "pasted.txt" : (file?.name ?? "keys.txt"));
    const result = await upload(form);
    if (result?.ok && result.batchId) navigate(`/app/import?batch=${result.batchId}`);
  };

  const fileErrors = [...(localError ? [localError] : []), ...(serverErrors.file ?? []), ...(serverErrors.form ?? [])];

  return (
    <Page title="Add licence keys" backAction={{ content: "Licence keys", url: "/app" }}>
      <TitleBar title="Add licence keys" />
      <Layout>
        <Layout.Section>
          <BlockStack gap="400">
            {fileErrors.length > 0 && (
              <Banner tone="critical" title="Nothing was saved" onDismiss={busy ? undefined : () => (setLocalError(null), reset())}>
                <BlockStack gap="200">
                  <List type="bullet">
                    {fileErrors.map((message) => (
                      <List.Item key={message}>{message}</List.Item>
                    ))}
                  </List>
                  {state.phase === "failed" && state.truncated && (
                    <Text as="p">Only the first problems are listed; fix them and try again to check the rest.</Text>
                  )}
                </BlockStack>
              </Banner>
            )}
            <Card padding="0">
              <Tabs tabs={SOURCES} selected={source} onSelect={setSource} fitted>
                <Box padding="400">
                  {pasting ? (
                    <TextField
                      label="Licence keys"
                      value={text}
                      onChange={setText}
                      multiline={10}
                      maxHeight={360}
                      monospaced
                      autoComplete="off"
                      disabled={busy}
                      placeholder={"AAAAA-BBBBB-CCCCC\nDDDDD-EEEEE-FFFFF"}
                      helpText={`One licence key per line (${pluralize(pastedLines, "key")}). Spaces around keys are removed and blank lines skipped.`}
                    />
                  ) : (
                    <KeyFileDrop file={file} onFile={setFile} disabled={busy} maxBytes={data.limits.maxBytes} />
                  )}
                </Box>
              </Tabs>
            </Card>
            <Card>
              <BlockStack gap="300">
                <Text as="h2" variant="headingMd">
                  Destination
                </Text>
                <DestinationTags
                  options={data.tagNames}
                  value={tags}
                  onChange={setTags}
                  maxTags={data.limits.maxTags}
                  untaggedName={data.untaggedName}
                  error={
                    serverErrors.tags?.[0] ??
                    (badTags.length > 0 ? `${TAG_NAME_RULE} Not allowed: ${badTags.join(", ")}.` : undefined)
                  }
                />
              </BlockStack>
            </Card>
            {busy && <UploadProgress state={state} onCancel={cancel} />}
          </BlockStack>
        </Layout.Section>
        <Layout.Section>
          <PageActions
            primaryAction={{ content: "Preview", onAction: () => void submit(), loading: busy, disabled: busy }}
            secondaryActions={[{ content: "Cancel", url: "/app", disabled: busy }]}
          />
        </Layout.Section>
      </Layout>
    </Page>
  );
}

function KeyFileDrop({
  file,
  onFile,
  disabled,
  maxBytes,
}: {
  file: File | null;
  onFile(file: File | null): void;
  disabled: boolean;
  maxBytes: number;
}) {
  const [rejected, setRejected] = useState<string | null>(null);
  return (
    <BlockStack gap="200">
      <DropZone
        label="Key file"
        type="file"
        accept=".txt,.csv,text/plain,text/csv"
        allowMultiple={false}
        disabled={disabled}
        error={Boolean(rejected)}
        customValidator={(candidate) => /\.(txt|csv)$/i.test((candidate as File).name ?? "")}
        onDrop={(_files, accepted, rejectedFiles) => {
          if (accepted[0]) {
            setRejected(null);
            onFile(accepted[0]);
          } else if (rejectedFiles[0]) {
            setRejected(`${rejectedFiles[0].name} is not a .txt or .csv file. From a spreadsheet, save it as CSV UTF-8 first.`);
            onFile(null);
          }
        }}
      >
        {file ? (
          <Box padding="400">
            <InlineStack gap="200" blockAlign="center" align="center">
              <Text as="span" fontWeight="semibold">
                {file.name}
              </Text>
              <Text as="span" tone="subdued">
                {fileSize(file.size)}
              </Text>
            </InlineStack>
          </Box>
        ) : (
          <DropZone.FileUpload actionTitle="Add file" actionHint={`.txt or .csv, up to ${megabytes(maxBytes)}`} />
        )}
      </DropZone>
      {rejected && (
        <Text as="p" tone="critical">
          {rejected}
        </Text>
      )}
      <Text as="p" tone="subdued">
        A .txt file holds one key per line. In a .csv file the column headed key, code, licence key or license key is
        used; without such a header, the first column.
      </Text>
    </BlockStack>
  );
}

function UploadProgress({ state, onCancel }: { state: UploadState; onCancel(): void }) {
  const percent = state.phase === "uploading" ? Math.min(100, Math.round((state.loaded / Math.max(state.total, 1)) * 100)) : 100;
  return (
    <Card>
      <BlockStack gap="200">
        <InlineStack align="space-between" blockAlign="center">
          <Text as="p">
            {state.phase === "uploading"
              ? `Reading licence keys… ${percent}%` +
                (state.total > 1 ? ` (${fileSize(state.loaded)} of ${fileSize(state.total)})` : "")
              : "Counting new keys and duplicates…"}
          </Text>
          {state.phase === "uploading" && (
            <Button variant="plain" onClick={onCancel}>
              Stop
            </Button>
          )}
        </InlineStack>
        <ProgressBar progress={percent} size="small" ariaLabelledBy="import-progress" />
        <span id="import-progress" hidden>
          Upload progress
        </span>
      </BlockStack>
    </Card>
  );
}

type Preview = NonNullable<KeyImportLoaderData["preview"]>;

function ImportPreview({ data, preview }: { data: KeyImportLoaderData; preview: Preview }) {
  const fetcher = useFetcher<ImportActionResult>();
  const discard = useFetcher<ImportActionResult>();
  const navigate = useNavigate();
  const toast = useToast();
  const [duplicates, setDuplicates] = useState<"skip" | "keep">("skip");
  const importing = fetcher.state !== "idle" && fetcher.formData?.get("intent") === "commit";
  const result = fetcher.data?.intent === "commit" ? fetcher.data : undefined;
  const count = duplicates === "skip" ? preview.newKeys : preview.keys;
  const destination = preview.tags.map((tag) => tag.name).join(", ");
  const hasRepeats = preview.duplicatesInUpload > 0 || preview.alreadyInTags > 0;

  useEffect(() => {
    if (result?.ok) toast(`${pluralize(result.imported ?? 0, "licence key")} imported`);
  }, [result, toast]);
  useEffect(() => {
    if (discard.data?.ok) navigate("/app/import", { replace: true });
  }, [discard.data, navigate]);

  const tagLinks = (tags: Array<{ id: number | undefined; name: string }>) =>
    tags
      .filter((tag): tag is { id: number; name: string } => tag.id !== undefined)
      .map((tag) => ({ content: `View ${tag.name}`, url: `/app/tags/${tag.id}` }));

  if (result?.ok || preview.state === "COMMITTED") {
    const tags = result?.tags ?? preview.tags.map((tag) => ({ id: data.tagIds[tag.name], name: tag.name }));
    const links = tagLinks(tags);
    return (
      <Page title="Add licence keys" backAction={{ content: "Licence keys", url: "/app" }}>
        <TitleBar title="Add licence keys" />
        <Banner
          tone="success"
          title={
            result?.ok
              ? `${pluralize(result.imported ?? 0, "licence key")} imported into ${tags.map((tag) => tag.name).join(", ")}`
              : `These keys were imported into ${destination}`
          }
          action={links[0]}
          secondaryAction={{ content: "Add more keys", url: "/app/import" }}
        >
          {result?.ok && (
            <BlockStack gap="100">
              {(result.skipped ?? 0) > 0 && <Text as="p">{pluralize(result.skipped ?? 0, "duplicate")} skipped.</Text>}
              {(result.ordersFilled ?? 0) > 0 && (
                <Text as="p">{pluralize(result.ordersFilled ?? 0, "waiting order")} received keys.</Text>
              )}
            </BlockStack>
          )}
        </Banner>
      </Page>
    );
  }

  const commitError = result && !result.ok ? Object.values(result.errors ?? {}).flat() : [];
  return (
    <Page
      title="Check the licence keys"
      subtitle={preview.fileName ? `From ${preview.fileName}` : "Pasted keys"}
      backAction={{ content: "Add licence keys", url: "/app/import" }}
    >
      <TitleBar title="Check the licence keys" />
      <Layout>
        <Layout.Section>
          <BlockStack gap="400">
            {commitError.length > 0 && (
              <Banner tone="critical" title="Nothing was imported">
                <List type="bullet">
                  {commitError.map((message) => (
                    <List.Item key={message}>{message}</List.Item>
                  ))}
                </List>
              </Banner>
            )}
            <Card>
              <BlockStack gap="400">
                <Text as="p">
                  {pluralize(preview.keys, "licence key")} read from {pluralize(preview.lines, "line")}, for{" "}
                  {preview.tags.map((tag) => `${tag.name}${tag.exists ? "" : " (new tag)"}`).join(", ")}. Nothing is saved
                  until you import.
                </Text>
                <InlineGrid columns={{ xs: 2, md: 4 }} gap="400">
                  <Figure label="New keys" value={preview.newKeys} tone="success" />
                  <Figure label="Duplicates in this upload" value={preview.duplicatesInUpload} />
                  <Figure label={`Already in ${destination}`} value={preview.alreadyInTags} />
                  <Figure label="Blank lines skipped" value={preview.blankLines} />
                </InlineGrid>
              </BlockStack>
            </Card>
            <Card padding="0">
              <IndexTable
                resourceName={{ singular: "licence key", plural: "licence keys" }}
                itemCount={preview.rows.length}
                selectable={false}
                headings={[{ title: "Line" }, { title: "Licence key" }, { title: "Check" }]}
              >
                {preview.rows.map((row, index) => (
                  <IndexTable.Row id={String(row.line)} key={row.line} position={index}>
                    <IndexTable.Cell>
                      <Text as="span" tone="subdued">
                        {formatCount(row.line)}
                      </Text>
                    </IndexTable.Cell>
                    <IndexTable.Cell>
                      <Text as="span" fontWeight="medium" breakWord>
                        <code>{row.value}</code>
                      </Text>
                    </IndexTable.Cell>
                    <IndexTable.Cell>
                      {row.existing ? (
                        <Badge tone="info">Already in tag</Badge>
                      ) : row.repeated ? (
                        <Badge tone="attention">Duplicate in upload</Badge>
                      ) : (
                        <Badge tone="success">New</Badge>
                      )}
                    </IndexTable.Cell>
                  </IndexTable.Row>
                ))}
              </IndexTable>
              <Box padding="300">
                <Text as="p" tone="subdued">
                  {preview.keys > preview.rows.length
                    ? `The first ${formatCount(preview.rows.length)} of ${pluralize(preview.keys, "key")}.`
                    : `All ${pluralize(preview.keys, "key")}.`}
                </Text>
              </Box>
            </Card>
            {hasRepeats && (
              <Card>
                <ChoiceList
                  title="Duplicates"
                  selected={[duplicates]}
                  onChange={(selected) => setDuplicates(selected[0] === "keep" ? "keep" : "skip")}
                  disabled={importing}
                  choices={[
                    {
                      label: `Skip duplicates: import ${pluralize(preview.newKeys, "key")}`,
                      value: "skip",
                      helpText: "Each key once; keys already in the tag are left out.",
                    },
                    {
                      label: `Keep duplicates: import all ${pluralize(preview.keys, "key")}`,
                      value: "keep",
                      helpText: "Every line becomes a licence key, repeats included.",
                    },
                  ]}
                />
              </Card>
            )}
            {importing && (
              <Card>
                <BlockStack gap="200">
                  <InlineStack gap="200" blockAlign="center">
                    <Spinner size="small" accessibilityLabel="Importing" />
                    <Text as="p">
                      Importing {pluralize(count, "licence key")}… They are saved together or not at all; keep this page
                      open to see the result.
                    </Text>
                  </InlineStack>
                  <ProgressBar progress={100} animated size="small" tone="primary" />
                </BlockStack>
              </Card>
            )}
          </BlockStack>
        </Layout.Section>
        <Layout.Section>
          <PageActions
            primaryAction={{
              content: count === 0 ? "Nothing new to import" : `Import ${pluralize(count, "licence key")}`,
              disabled: count === 0 || importing,
              loading: importing,
              onAction: () =>
                fetcher.submit({ intent: "commit", batchId: String(preview.batchId), duplicates }, { method: "post" }),
            }}
            secondaryActions={[
              {
                content: "Cancel",
                disabled: importing,
                loading: discard.state !== "idle",
                onAction: () => discard.submit({ intent: "discard", batchId: String(preview.batchId) }, { method: "post" }),
              },
            ]}
          />
        </Layout.Section>
      </Layout>
    </Page>
  );
}

function Figure({ label, value, tone }: { label: string; value: number; tone?: "success" }) {
  return (
    <BlockStack gap="100">
      <Text as="p" tone="subdued">
        {label}
      </Text>
      <Text as="p" variant="headingLg" tone={tone === "success" && value > 0 ? "success" : undefined}>
        {formatCount(value)}
      </Text>
    </BlockStack>
  );
}
