// A local mail catcher: a real SMTP server (smtp-server) on loopback that keeps every message it
// receives, for the demo ("Mail" page: /demo/mail) and for tests. The app sends to it exactly as it
// would to a production SMTP relay (nodemailer over SMTP_URL).
//
// The demo keeps messages as .eml files in its data folder, so they survive a restart.
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Request, Response, Router } from "express";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer, type SMTPServerSession } from "smtp-server";
import type { DemoContext, DemoPage } from "./pages";
import type { DemoService, RunningDemoService } from "./services";

export interface CaughtMessage {
  id: string;
  receivedAt: Date;
  envelope: { from: string; to: string[] };
  raw: Buffer;
}

export interface MailCatcher {
  /** SMTP_URL for the app, e.g. smtp://127.0.0.1:2525 */
  url: string;
  port: number;
  messages(): CaughtMessage[];
  parse(id: string): Promise<ParsedMail | null>;
  /** Answers the next `count` deliveries with a temporary failure (as a busy or broken relay would). */
  failNext(count: number, reply?: { code: number; message: string }): void;
  /** Resolves when `count` messages have arrived in total. */
  waitFor(count: number): Promise<CaughtMessage[]>;
  clear(): void;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 60 * 1024 * 1024;
const KEEP_MESSAGES = 200;

export async function startMailCatcher({
  host = "127.0.0.1",
  port = 0,
  dir,
}: { host?: string; port?: number; dir?: string } = {}): Promise<MailCatcher> {
  const messages: CaughtMessage[] = dir ? await loadMessages(dir) : [];
  let failures: Array<{ code: number; message: string }> = [];
  let waiters: Array<{ count: number; resolve: (all: CaughtMessage[]) => void }> = [];

  const server = new SMTPServer({
    secure: false,
    // Loopback only: no TLS and no login, like any development mail catcher.
    disabledCommands: ["STARTTLS", "AUTH"],
    authOptional: true,
    size: MAX_MESSAGE_BYTES,
    banner: "Keyshelf demo mail catcher",
    logger: false,
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", callback);
      stream.on("end", () => {
        const failure = failures.shift();
        if (failure) {
          const error = Object.assign(new Error(failure.message), { responseCode: failure.code });
          callback(error);
          return;
        }
        if (stream.sizeExceeded) {
          callback(Object.assign(new Error("Message too large"), { responseCode: 552 }));
          return;
        }
        const message: CaughtMessage = {
          id: `${Date.now()}-${randomUUID().slice(0, 8)}`,
          receivedAt: new Date(),
          envelope: {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
          },
          raw: Buffer.concat(chunks),
        };
        messages.push(message);
        if (messages.length > KEEP_MESSAGES) messages.splice(0, messages.length - KEEP_MESSAGES);
        const saved = dir ? saveMessage(dir, message) : Promise.resolve();
        saved
          .catch((error: unknown) => console.error("Mail catcher could not save a message:", error))
          .finally(() => {
            callback(null, "Caught");
            waiters = waiters.filter((w) => (messages.length >= w.count ? (w.resolve([...messages]), false) : true));
          });
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  server.on("error", (error) => console.error("Mail catcher error:", error.message));
  const actualPort = (server.server.address() as AddressInfo).port;

  return {
    url: `smtp://${host}:${actualPort}`,
    port: actualPort,
    messages: () => [...messages],
    async parse(id) {
      const message = messages.find((m) => m.id === id);
      return message ? simpleParser(message.raw) : null;
    },
    failNext(count, reply = { code: 451, message: "Temporary local problem, try again later" }) {
      failures = [...failures, ...Array.from({ length: count }, () => reply)];
    },
    waitFor(count) {
      if (messages.length >= count) return Promise.resolve([...messages]);
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    clear() {
      messages.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function loadMessages(dir: string): Promise<CaughtMessage[]> {
  await mkdir(dir, { recursive: true });
  const files = (await readdir(dir))
    .filter((f) => f.endsWith(".eml"))
    .sort()
    .slice(-KEEP_MESSAGES);
  return Promise.all(
    files.map(async (file) => {
      const raw = await readFile(path.join(dir, file));
      const meta = await readFile(path.join(dir, file.replace(/\.eml$/, ".json")), "utf8")
        .then((text) => JSON.parse(text) as { receivedAt: string; envelope: CaughtMessage["envelope"] })
        .catch(() => ({ receivedAt: new Date().toISOString(), envelope: { from: "", to: [] } }));
      return { id: file.replace(/\.eml$/, ""), receivedAt: new Date(meta.receivedAt), envelope: meta.envelope, raw };
    }),
  );
}

async function saveMessage(dir: string, message: CaughtMessage) {
  await writeFile(path.join(dir, `${message.id}.eml`), message.raw);
  await writeFile(
    path.join(dir, `${message.id}.json`),
    JSON.stringify({ receivedAt: message.receivedAt.toISOString(), envelope: message.envelope }),
  );
}

// ---------------------------------------------------------------------------------------------
// The demo service and page

let demoCatcher: MailCatcher | null = null;

export const mailCatcherService: DemoService = {
  name: "mail",
  async start({ dataDir }): Promise<RunningDemoService> {
    const catcher = await startMailCatcher({ dir: dataDir });
    demoCatcher = catcher;
    // The demo's outgoing mail goes here unless the person running it chose a real relay.
    process.env.SMTP_URL ??= catcher.url;
    process.env.MAIL_FROM ??= "Keyshelf <reports@keyshelf.example>";
    return {
      banner: [`Mail         SMTP catcher on ${catcher.url}: messages at /demo/mail`],
      async stop() {
        demoCatcher = null;
        await catcher.close();
      },
    };
  },
};

function escapeHtml(value: unknown) {
  return String(value ?? "").replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function formatSize(bytes: number) {
  return bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 * 1024
      ? `${(bytes / 1024).toFixed(0)} KB`
      : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const STYLE = `
body{font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,sans-serif;margin:0;background:#f1f1f1;color:#303030}
header{background:#1a1a1a;color:#fff;padding:12px 24px;display:flex;gap:16px;align-items:baseline}
header h1{font-size:16px;margin:0}header span{color:#b5b5b5;font-size:13px}
main{max-width:960px;margin:24px auto;padding:0 16px}
.card{background:#fff;border-radius:12px;box-shadow:0 1px 0 rgba(0,0,0,.07),0 0 0 1px rgba(0,0,0,.06);margin-bottom:16px;overflow:hidden}
.row{display:grid;grid-template-columns:170px 1fr 200px;gap:12px;padding:12px 16px;border-top:1px solid #ebebeb;color:inherit;text-decoration:none}
.row:first-child{border-top:0}.row:hover{background:#f7f7f7}
.muted{color:#616161;font-size:13px}.subject{font-weight:600}
.empty{padding:32px;text-align:center;color:#616161}
.meta{padding:16px;border-bottom:1px solid #ebebeb}.meta div{margin:2px 0}
pre{white-space:pre-wrap;word-break:break-word;padding:16px;margin:0;font:13px/1.5 ui-monospace,Menlo,monospace}
.attachments{padding:12px 16px;border-top:1px solid #ebebeb}
a.button{display:inline-block;background:#303030;color:#fff;border-radius:8px;padding:6px 12px;text-decoration:none;margin:4px 8px 4px 0}
`;

function page(title: string, body: string, refresh = false) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · Keyshelf demo mail</title>${refresh ? '<meta http-equiv="refresh" content="5">' : ""}<style>${STYLE}</style></head>
<body><header><h1>Mail caught by the demo</h1><span>A real SMTP server on loopback receives what Keyshelf sends</span></header><main>${body}</main></body></html>`;
}

function catcherOr503(response: Response) {
  if (demoCatcher) return demoCatcher;
  response
    .status(503)
    .type("html")
    .send(page("Mail", '<div class="card empty">The mail catcher is not running.</div>'));
  return null;
}

async function listPage(_request: Request, response: Response) {
  const catcher = catcherOr503(response);
  if (!catcher) return;
  const all = catcher.messages().reverse();
  const parsed = await Promise.all(all.map((m) => catcher.parse(m.id)));
  const rows = all
    .map((m, i) => {
      const mail = parsed[i];
      const attachments = mail?.attachments.length ?? 0;
      return `<a class="row" href="/demo/mail/${encodeURIComponent(m.id)}">
<span class="muted">${escapeHtml(m.receivedAt.toLocaleString("en-GB"))}</span>
<span><span class="subject">${escapeHtml(mail?.subject ?? "(no subject)")}</span><br><span class="muted">To ${escapeHtml(m.envelope.to.join(", "))}</span></span>
<span class="muted">${attachments ? `${attachments} attachment${attachments === 1 ? "" : "s"}` : ""} ${formatSize(m.raw.length)}</span></a>`;
    })
    .join("");
  response
    .type("html")
    .set("Cache-Control", "no-store")
    .send(
      page(
        "Mail",
        `<p class="muted">SMTP: ${escapeHtml(catcher.url)}. This page refreshes every 5 seconds.</p><div class="card">${rows || '<div class="empty">No mail yet. Export licence keys, or let a tag run low on stock.</div>'}</div>`,
        true,
      ),
    );
}

async function messagePage(request: Request, response: Response) {
  const catcher = catcherOr503(response);
  if (!catcher) return;
  const id = String(request.params.id);
  const stored = catcher.messages().find((m) => m.id === id);
  const mail = stored ? await catcher.parse(id) : null;
  if (!stored || !mail) {
    response
      .status(404)
      .type("html")
      .send(page("Mail", '<div class="card empty">No such message. <a href="/demo/mail">All mail</a></div>'));
    return;
  }
  const attachments = mail.attachments
    .map(
      (a, i) =>
        `<a class="button" href="/demo/mail/${encodeURIComponent(id)}/attachments/${i}">Download ${escapeHtml(a.filename ?? `attachment ${i + 1}`)} (${formatSize(a.size)})</a>`,
    )
    .join("");
  response
    .type("html")
    .set("Cache-Control", "no-store")
    .send(
      page(
        mail.subject ?? "Mail",
        `<p><a href="/demo/mail">← All mail</a></p><div class="card"><div class="meta">
<div class="subject">${escapeHtml(mail.subject ?? "(no subject)")}</div>
<div class="muted">From ${escapeHtml(mail.from?.text ?? stored.envelope.from)}</div>
<div class="muted">To ${escapeHtml(stored.envelope.to.join(", "))}</div>
<div class="muted">${escapeHtml(stored.receivedAt.toLocaleString("en-GB"))}</div></div>
<pre>${escapeHtml(mail.text ?? "")}</pre>${attachments ? `<div class="attachments">${attachments}</div>` : ""}</div>`,
      ),
    );
}

async function attachment(request: Request, response: Response) {
  const catcher = catcherOr503(response);
  if (!catcher) return;
  const mail = await catcher.parse(String(request.params.id));
  const file = mail?.attachments[Number(request.params.index)];
  if (!file) {
    response.status(404).type("text").send("No such attachment.");
    return;
  }
  const name = (file.filename ?? "attachment").replace(/["\\\r\n]/g, "_");
  response
    .type(file.contentType || "application/octet-stream")
    .set("Content-Disposition", `attachment; filename="${name}"`)
    .set("Cache-Control", "no-store")
    .send(file.content);
}

export function mountMailPage(router: Router, _context: DemoContext) {
  const safe =
    (handler: (request: Request, response: Response) => Promise<void>) =>
    (request: Request, response: Response, next: (error?: unknown) => void) => {
      handler(request, response).catch(next);
    };
  router.get("/demo/mail", safe(listPage));
  router.get("/demo/mail/:id", safe(messagePage));
  router.get("/demo/mail/:id/attachments/:index", safe(attachment));
}

export const mailPage: DemoPage = {
  path: "/demo/mail",
  label: "Mail",
  description: "Messages the app sent (exports, stock alerts), caught by a local SMTP server",
  mount: mountMailPage,
};
