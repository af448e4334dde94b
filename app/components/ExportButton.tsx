// The Export button of a key list: the whole library (overview) or one tag with the list's search
// and status filter. Opens a dialog that tells how many keys the file will hold and where it is
// emailed, starts a background export and follows its progress to a download link; small lists can
// also be downloaded at once. Talks only to the /app/exports routes.
import { useCallback, useEffect, useState } from "react";
import { useFetcher } from "@remix-run/react";
import { Banner, BlockStack, Button, InlineStack, Modal, ProgressBar, SkeletonBodyText, Text } from "@shopify/polaris";
import {
  EXPORT_STATE_LABELS,
  exportProgressPercent,
  exportScopeQuery,
  formatBytes,
  formatCount,
  type ExportPoll,
  type ExportPreview,
  type ExportScope,
  type ExportScopeErrors,
  type ExportStartAnswer,
} from "~/lib/export";
import type { KeyStatusValue } from "~/lib/library";

export interface ExportButtonProps {
  /** The tag whose list this is; omit for the whole library. */
  tagId?: number | null;
  /** The list's current search. */
  q?: string;
  /** The list's current status filter. */
  status?: KeyStatusValue | null;
  /** What the list is, for the dialog: "tag pro", "all licence keys". */
  label: string;
}

const POLL_MS = 1_000;

/**
 * Saves a file from a URL of this app. A plain anchor click: Polaris buttons with a `url` go through
 * the router's Link, which would try to navigate to the file instead of downloading it.
 */
export function saveFile(url: string, fileName: string) {
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.rel = "noopener";
  document.body.append(link);
  link.click();
  link.remove();
}

function fileNameFrom(disposition: string | null) {
  return /filename="([^"]+)"/.exec(disposition ?? "")?.[1] ?? "licence-keys.csv";
}

export function ExportButton({ tagId = null, q = "", status = null, label }: ExportButtonProps) {
  const scope: ExportScope = { tagId, q, status };
  const query = exportScopeQuery(scope);
  const [open, setOpen] = useState(false);
  const [jobId, setJobId] = useState<number | null>(null);
  const [downloading, setDownloading] = useState(false);
  const [downloadError, setDownloadError] = useState<string | null>(null);

  const preview = useFetcher<ExportPreview | ExportScopeErrors>();
  const start = useFetcher<ExportStartAnswer>();
  const poll = useFetcher<ExportPoll>();

  const previewData = preview.data && "count" in preview.data ? preview.data : null;
  const startData = start.data;
  const startError = startData && "error" in startData ? startData.error : null;
  const job = poll.data && "export" in poll.data ? poll.data.export : null;

  const openDialog = () => {
    setOpen(true);
    setDownloadError(null);
    preview.load(`/app/exports/preview?${query}`);
  };

  const close = () => {
    setOpen(false);
    setJobId(null);
  };

  useEffect(() => {
    if (startData && "jobId" in startData) setJobId(startData.jobId);
  }, [startData]);

  // Follow the export until it finishes; one request at a time.
  const pollState = poll.state;
  const jobState = job?.state;
  useEffect(() => {
    if (!open || jobId === null || pollState !== "idle") return;
    if (job && job.id === jobId && (jobState === "SUCCEEDED" || jobState === "FAILED")) return;
    const timer = setTimeout(() => poll.load(`/app/exports/${jobId}`), job ? POLL_MS : 0);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- poll.load is stable enough; re-run on state only
  }, [open, jobId, pollState, jobState, job?.progress]);

  const startExport = () => {
    const form = new FormData();
    form.set("intent", "start");
    form.set("tagId", tagId === null ? "" : String(tagId));
    form.set("q", q);
    form.set("status", status ?? "");
    start.submit(form, { method: "post", action: "/app/exports?index" });
  };

  // App Bridge adds the session token to the app's own fetches; the file is saved from a blob.
  const downloadNow = useCallback(async () => {
    setDownloading(true);
    setDownloadError(null);
    try {
      const response = await fetch(`/app/exports/download?${query}`);
      if (!response.ok) {
        const body = (await response.json().catch(() => null)) as { error?: string } | null;
        throw new Error(body?.error ?? "The download failed. Try again, or start an export.");
      }
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      saveFile(url, fileNameFrom(response.headers.get("Content-Disposition")));
      setTimeout(() => URL.revokeObjectURL(url), 30_000);
    } catch (error) {
      setDownloadError(error instanceof Error ? error.message : String(error));
    } finally {
      setDownloading(false);
    }
  }, [query]);

  const running = jobId !== null && (!job || job.state === "QUEUED" || job.state === "RUNNING");
  const started = jobId !== null;

  return (
    <>
      <Button onClick={openDialog}>Export</Button>
      <Modal
        open={open}
        onClose={close}
        title="Export licence keys"
        primaryAction={
          started
            ? job?.state === "FAILED"
              ? { content: "Try again", onAction: startExport, loading: start.state !== "idle" }
              : { content: "Done", onAction: close }
            : {
                content: "Start export",
                onAction: startExport,
                loading: start.state !== "idle",
                disabled: !previewData || previewData.count === 0,
              }
        }
        secondaryActions={
          !started && previewData?.directDownload && previewData.count > 0
            ? [{ content: "Download now", onAction: () => void downloadNow(), loading: downloading }]
            : []
        }
      >
        <Modal.Section>
          <BlockStack gap="400">
            {!previewData ? (
              preview.state !== "idle" ? (
                <SkeletonBodyText lines={2} />
              ) : (
                <Banner tone="critical">The export can&apos;t be prepared: this list no longer exists.</Banner>
              )
            ) : (
              <>
                <Text as="p">
                  {previewData.count === 0
                    ? `There are no licence keys to export in ${label}.`
                    : `${formatCount(previewData.count)} licence ${previewData.count === 1 ? "key" : "keys"} from ${label}${q ? `, matching "${q}"` : ""}, as a CSV file (Excel, Google Sheets, Numbers).`}
                </Text>
                {previewData.mailConfigured ? (
                  previewData.reportEmail ? (
                    <Text as="p" tone="subdued">
                      When it is ready, the file is emailed to {previewData.reportEmail} and can be downloaded here.
                    </Text>
                  ) : (
                    <Banner tone="warning">
                      Your shop has no report email address, so the file won&apos;t be emailed. Set one in Settings; you
                      can still download the file here.
                    </Banner>
                  )
                ) : (
                  <Banner tone="warning" title="Email isn't set up">
                    Outgoing email isn&apos;t configured for Keyshelf on this server, so the file won&apos;t be emailed.
                    Download it here when it&apos;s ready.
                  </Banner>
                )}
              </>
            )}
            {startError ? <Banner tone="critical">{startError}</Banner> : null}
            {downloadError ? <Banner tone="critical">{downloadError}</Banner> : null}
            {started ? (
              <BlockStack gap="200">
                {running ? (
                  <>
                    <Text as="p">
                      {job ? EXPORT_STATE_LABELS[job.state] : "Starting"}: {formatCount(job?.progress ?? 0)} of{" "}
                      {formatCount(job?.total ?? previewData?.count ?? 0)} keys
                    </Text>
                    <ProgressBar progress={exportProgressPercent(job?.progress ?? 0, job?.total ?? 0)} size="small" />
                    <Text as="p" tone="subdued">
                      You can close this dialog: the export continues, and it is listed under Exports.
                    </Text>
                  </>
                ) : job?.state === "SUCCEEDED" ? (
                  <Banner tone="success" title="Your export is ready">
                    <BlockStack gap="200">
                      <Text as="p">
                        {formatCount(job.rows ?? 0)} licence keys, {formatBytes(job.bytes ?? 0)}.
                        {job.mail ? ` Emailed to ${job.mail.to}${job.mail.state === "SENT" ? "." : " (sending)."}` : ""}
                      </Text>
                      {job.downloadUrl ? (
                        <InlineStack>
                          <Button onClick={() => saveFile(job.downloadUrl!, job.fileName)} variant="primary">
                            Download CSV
                          </Button>
                        </InlineStack>
                      ) : null}
                    </BlockStack>
                  </Banner>
                ) : job?.state === "FAILED" ? (
                  <Banner tone="critical" title="The export failed">
                    {job.error ?? "Something went wrong."}
                  </Banner>
                ) : null}
              </BlockStack>
            ) : null}
          </BlockStack>
        </Modal.Section>
      </Modal>
    </>
  );
}
