// Exports and emails: every export of the shop with its progress and download link, and every
// message the app sent or tried to send (exports, stock alerts), with its delivery state and last
// error. Starting an export (the Export button) and retrying an email are this route's actions.
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import {
  Badge,
  Banner,
  BlockStack,
  Button,
  Card,
  EmptyState,
  IndexTable,
  Layout,
  Page,
  ProgressBar,
  Text,
} from "@shopify/polaris";
import { requireAdmin } from "~/admin.server";
import { readForm } from "~/request-body.server";
import { saveFile } from "~/components/ExportButton";
import {
  EXPORT_STATE_LABELS,
  exportProgressPercent,
  formatBytes,
  formatCount,
  parseExportScope,
  type ExportStartAnswer,
} from "~/lib/export";
import { formatDateTime, LibraryError } from "~/lib/library";
import { listExports, startExport } from "~/models/export.server";
import { countWaitingMail, isMailConfigured, listMail, reportAddress, retryMail } from "~/models/mailer.server";
import { parseId } from "~/lib/input";

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const [exports, mail, waiting] = await Promise.all([
    listExports({ shopId: shop.id }),
    listMail({ shopId: shop.id }),
    countWaitingMail({ shopId: shop.id }),
  ]);
  return json({
    exports,
    mail: mail.map((m) => ({
      ...m,
      nextAttemptAt: m.nextAttemptAt.toISOString(),
      sentAt: m.sentAt?.toISOString() ?? null,
      createdAt: m.createdAt.toISOString(),
    })),
    waiting,
    mailConfigured: isMailConfigured(),
    reportEmail: reportAddress(shop),
    timeZone: shop.ianaTimezone,
  });
}

export async function action({ request }: ActionFunctionArgs) {
  const { shop, actor } = await requireAdmin(request);
  const form = await readForm(request);
  switch (form.get("intent")) {
    case "start": {
      const parsed = parseExportScope(form);
      if (!parsed.success) {
        return json(
          {
            error: "Check the export's filters.",
            errors: parsed.error.flatten().fieldErrors,
          } satisfies ExportStartAnswer,
          { status: 422 },
        );
      }
      try {
        const started = await startExport({ shop, scope: parsed.data, actor });
        return json({ jobId: started.jobId } satisfies ExportStartAnswer, { status: started.reused ? 200 : 201 });
      } catch (error) {
        if (error instanceof LibraryError) {
          return json({ error: error.message } satisfies ExportStartAnswer, { status: error.status });
        }
        throw error;
      }
    }
    case "retry-mail": {
      const mailId = parseId(form.get("mailId"));
      if (mailId === null) return json({ error: "Unknown email." }, { status: 404 });
      const outcome = await retryMail({ shopId: shop.id, mailId });
      if (outcome === "not-found") return json({ error: "Unknown email." }, { status: 404 });
      if (outcome === "no-address") {
        return json({ error: "Set a report email address in Settings first." }, { status: 422 });
      }
      return json({ retried: mailId });
    }
    default:
      return json({ error: "Unknown action." }, { status: 400 });
  }
}

const MAIL_KIND_LABELS = {
  EXPORT: "Export",
  LOW_STOCK: "Stock alert",
  DATA_REQUEST: "Data request",
  KEY_DELIVERY: "Keys to a customer",
  DELIVERY_TEST: "Test delivery email",
} as const;

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>;

function MailStatus({ message, timeZone }: { message: LoaderData["mail"][number]; timeZone: string }) {
  if (message.state === "SENT") return <Badge tone="success">Sent</Badge>;
  if (message.state === "FAILED") return <Badge tone="critical">Failed</Badge>;
  if (message.lastError) {
    return (
      <BlockStack gap="100">
        <Badge tone="warning">Retrying</Badge>
        <Text as="span" tone="subdued" variant="bodySm">
          Next attempt {formatDateTime(message.nextAttemptAt, timeZone)}
        </Text>
      </BlockStack>
    );
  }
  return <Badge>Waiting</Badge>;
}

function RetryButton({ mailId }: { mailId: number }) {
  const fetcher = useFetcher<typeof action>();
  return (
    <fetcher.Form method="post">
      <input type="hidden" name="intent" value="retry-mail" />
      <input type="hidden" name="mailId" value={mailId} />
      <Button submit size="slim" loading={fetcher.state !== "idle"}>
        Retry now
      </Button>
    </fetcher.Form>
  );
}

export default function Exports() {
  const { exports, mail, waiting, mailConfigured, reportEmail, timeZone } = useLoaderData<typeof loader>();
  const revalidator = useRevalidator();
  const busy = exports.some((e) => e.state === "QUEUED" || e.state === "RUNNING");

  // Progress without a page refresh while an export runs.
  useEffect(() => {
    if (!busy || revalidator.state !== "idle") return;
    const timer = setTimeout(() => revalidator.revalidate(), 2_000);
    return () => clearTimeout(timer);
  }, [busy, revalidator, exports]);

  return (
    <Page title="Exports and email">
      <Layout>
        <Layout.Section>
          {mailConfigured ? (
            reportEmail ? (
              <Banner tone="info">
                Exports and stock alerts are emailed to {reportEmail}. Change the address in Settings.
              </Banner>
            ) : (
              <Banner tone="warning" title="No report email address">
                Your shop has no email address for reports, so exports and alerts can&apos;t be emailed. Set one in
                Settings, then retry the messages below. Exports can still be downloaded here.
              </Banner>
            )
          ) : (
            <Banner tone="warning" title="Email isn't set up">
              Outgoing email isn&apos;t configured for Keyshelf on this server, so nothing can be emailed right now.
              Download your exports below.
              {waiting > 0 ? ` ${pluralMessages(waiting)} waiting and will be sent once email works.` : ""}
            </Banner>
          )}
        </Layout.Section>
        <Layout.Section>
          <Card padding="0">
            <BlockStack>
              <div style={{ padding: "var(--p-space-400)" }}>
                <Text as="h2" variant="headingMd">
                  Exports
                </Text>
              </div>
              {exports.length === 0 ? (
                <EmptyState heading="No exports yet" image="">
                  <p>Use Export on the licence keys overview or on a tag&apos;s key list. Files are kept for 7 days.</p>
                </EmptyState>
              ) : (
                <IndexTable
                  resourceName={{ singular: "export", plural: "exports" }}
                  itemCount={exports.length}
                  selectable={false}
                  headings={[
                    { title: "Started" },
                    { title: "Contents" },
                    { title: "Status" },
                    { title: "Email" },
                    { title: "File" },
                  ]}
                >
                  {exports.map((e, index) => (
                    <IndexTable.Row id={String(e.id)} key={e.id} position={index}>
                      <IndexTable.Cell>{formatDateTime(e.createdAt, timeZone)}</IndexTable.Cell>
                      <IndexTable.Cell>
                        <BlockStack gap="100">
                          <Text as="span">{e.description}</Text>
                          <Text as="span" tone="subdued" variant="bodySm">
                            {formatCount(e.rows ?? e.total)} keys{e.bytes !== null ? `, ${formatBytes(e.bytes)}` : ""}
                          </Text>
                        </BlockStack>
                      </IndexTable.Cell>
                      <IndexTable.Cell>
                        {e.state === "RUNNING" || e.state === "QUEUED" ? (
                          <div style={{ minWidth: 160 }}>
                            <BlockStack gap="100">
                              <Text as="span" variant="bodySm">
                                {EXPORT_STATE_LABELS[e.state]}: {formatCount(e.progress)} of {formatCount(e.total)}
                              </Text>
                              <ProgressBar progress={exportProgressPercent(e.progress, e.total)} size="small" />
                            </BlockStack>
                          </div>
                        ) : e.state === "SUCCEEDED" ? (
                          <Badge tone={e.expired ? undefined : "success"}>{e.expired ? "Expired" : "Ready"}</Badge>
                        ) : (
                          <BlockStack gap="100">
                            <Badge tone="critical">Failed</Badge>
                            <Text as="span" tone="subdued" variant="bodySm">
                              {e.error}
                            </Text>
                          </BlockStack>
                        )}
                      </IndexTable.Cell>
                      <IndexTable.Cell>
                        {e.mail
                          ? `${e.mail.state === "SENT" ? "Sent" : e.mail.state === "FAILED" ? "Failed" : "Sending"} to ${e.mail.to}`
                          : "Not emailed"}
                      </IndexTable.Cell>
                      <IndexTable.Cell>
                        {e.downloadUrl ? (
                          <Button onClick={() => saveFile(e.downloadUrl!, e.fileName)} size="slim">
                            Download
                          </Button>
                        ) : null}
                      </IndexTable.Cell>
                    </IndexTable.Row>
                  ))}
                </IndexTable>
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card padding="0">
            <BlockStack>
              <div style={{ padding: "var(--p-space-400)" }}>
                <Text as="h2" variant="headingMd">
                  Emails
                </Text>
              </div>
              {mail.length === 0 ? (
                <div style={{ padding: "0 var(--p-space-400) var(--p-space-400)" }}>
                  <Text as="p" tone="subdued">
                    No emails yet. Exports and stock alerts appear here with their delivery status.
                  </Text>
                </div>
              ) : (
                <IndexTable
                  resourceName={{ singular: "email", plural: "emails" }}
                  itemCount={mail.length}
                  selectable={false}
                  headings={[
                    { title: "Created" },
                    { title: "Email" },
                    { title: "To" },
                    { title: "Status" },
                    { title: "Details" },
                    { title: "" },
                  ]}
                >
                  {mail.map((m, index) => (
                    <IndexTable.Row id={`mail-${m.id}`} key={m.id} position={index}>
                      <IndexTable.Cell>{formatDateTime(m.createdAt, timeZone)}</IndexTable.Cell>
                      <IndexTable.Cell>
                        <BlockStack gap="100">
                          <Text as="span" variant="bodySm" tone="subdued">
                            {MAIL_KIND_LABELS[m.kind]}
                          </Text>
                          <Text as="span">{m.subject}</Text>
                        </BlockStack>
                      </IndexTable.Cell>
                      <IndexTable.Cell>{m.to || "(no address)"}</IndexTable.Cell>
                      <IndexTable.Cell>
                        <MailStatus message={m} timeZone={timeZone} />
                      </IndexTable.Cell>
                      <IndexTable.Cell>
                        <Text as="span" variant="bodySm" tone={m.lastError ? "critical" : "subdued"}>
                          {m.state === "SENT"
                            ? `Delivered ${formatDateTime(m.sentAt, timeZone)}`
                            : m.lastError
                              ? `${m.lastError} (${m.attempts} ${m.attempts === 1 ? "attempt" : "attempts"})`
                              : ""}
                        </Text>
                      </IndexTable.Cell>
                      <IndexTable.Cell>
                        {m.state !== "SENT" && (m.state === "FAILED" || m.lastError) ? (
                          <RetryButton mailId={m.id} />
                        ) : null}
                      </IndexTable.Cell>
                    </IndexTable.Row>
                  ))}
                </IndexTable>
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

function pluralMessages(count: number) {
  return count === 1 ? "1 message is" : `${formatCount(count)} messages are`;
}
