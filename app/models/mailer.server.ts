// The merchant's mail: an outbox in `mail_message`, delivered over SMTP (nodemailer) by the
// background runner. Code that wants to send mail queues a row, in the same transaction as the
// change it reports; delivery is retried with backoff and its state and last error stay visible to
// the merchant, so nothing is silently dropped.
//
// Delivery is at-least-once: a message is claimed by pushing its next attempt past a lease, sent,
// then marked. A server that dies between sending and marking sends it again after the lease.
import nodemailer, { type Transporter } from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport";
import type { MailKind, MailState, Prisma } from "@prisma/client";
import { z } from "zod";
import prisma from "~/db.server";
import { mailSettings } from "~/config.server";
import { col, prismaDb, sql, transaction } from "~/sql.server";
import type { PrismaLike } from "./audit.server";
import { exportAttachment } from "./export-files.server";
import { NOW_UTC } from "./jobs.server";

/** Attempts before a message is marked failed (about a day of retries with the backoff below). */
export const MAX_MAIL_ATTEMPTS = 8;
const CLAIM_LEASE_SECONDS = 10 * 60;

/** Minutes before the next attempt after the n-th failure: 1, 5, 15, 30, 60, 120, 240. */
const BACKOFF_MINUTES = [1, 5, 15, 30, 60, 120, 240];

export function mailBackoffSeconds(attempts: number) {
  return BACKOFF_MINUTES[Math.min(attempts, BACKOFF_MINUTES.length) - 1] * 60;
}

const NO_RECIPIENT = "No email address to send to: set a report address in Settings.";

export function isMailConfigured() {
  return mailSettings().smtpUrl !== null;
}

/** Where the shop's reports go: the report address from Settings, else the shop's own email. */
export function reportAddress(shop: { reportEmail: string; email: string }) {
  return shop.reportEmail.trim() || shop.email.trim();
}

export interface QueueMailInput {
  shopId: number;
  kind: MailKind;
  to: string;
  subject: string;
  text: string;
  html?: string | null;
  jobId?: number | null;
  /** The key delivery the message carries (its content is rendered when it is sent). */
  deliveryId?: number | null;
  /** Why there is no recipient, when `to` is empty (shown to the merchant). */
  noRecipient?: string;
  /** The transaction making the change the message reports. */
  tx?: PrismaLike;
}

/**
 * Queues a message. With no recipient (a shop without any email address) it is recorded as failed
 * with the reason, so the merchant sees what they missed and can set an address and retry.
 */
export async function queueMail({
  shopId,
  kind,
  to,
  subject,
  text,
  html = null,
  jobId = null,
  deliveryId = null,
  noRecipient = NO_RECIPIENT,
  tx,
}: QueueMailInput) {
  const db = tx ?? prisma;
  const recipient = to.trim();
  return db.mailMessage.create({
    data: {
      shopId,
      kind,
      to: recipient,
      subject,
      text,
      html,
      jobId,
      deliveryId,
      ...(recipient ? {} : { state: "FAILED", lastError: noRecipient }),
    },
    select: { id: true },
  });
}

// ---------------------------------------------------------------------------------------------
// Delivery

let cachedTransport: { url: string; transporter: Transporter<SMTPTransport.SentMessageInfo> } | null = null;

function transporter() {
  const { smtpUrl } = mailSettings();
  if (!smtpUrl) return null;
  if (cachedTransport?.url !== smtpUrl) {
    cachedTransport?.transporter.close();
    cachedTransport = {
      url: smtpUrl,
      transporter: nodemailer.createTransport({
        url: smtpUrl,
        connectionTimeout: 15_000,
        greetingTimeout: 15_000,
        // Large attachments stream from the database; give slow servers time.
        socketTimeout: 120_000,
      } as SMTPTransport.Options),
    };
  }
  return cachedTransport.transporter;
}

/** Closes the SMTP transport (tests, shutdown). */
export function closeMailTransport() {
  cachedTransport?.transporter.close();
  cachedTransport = null;
}

const claimedMail = {
  id: col.int,
  shop_id: col.int,
  kind: z.enum(["EXPORT", "LOW_STOCK", "DATA_REQUEST", "KEY_DELIVERY", "DELIVERY_TEST"]) satisfies z.ZodType<MailKind>,
  to: col.text,
  subject: col.text,
  text: col.text,
  html: col.text.nullable(),
  job_id: col.int.nullable(),
  delivery_id: col.int.nullable(),
  attempts: col.int,
};

export type ClaimedMail = z.output<z.ZodObject<typeof claimedMail>>;

/** A message rendered when it is sent, rather than stored when it was queued. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
  from?: { name: string; address: string };
  replyTo?: string;
  messageId?: string;
}

/**
 * How one kind of message is made (a key delivery: its keys as they are at sending time) and what
 * its sending changes, in the transaction that marks it sent. `render` may answer `skip` with the
 * reason there is nothing to send any more.
 */
export interface MailContent {
  render(message: ClaimedMail, settings: { from: string }): Promise<RenderedMail | { skip: string } | null>;
  sent?(tx: Prisma.TransactionClient, message: ClaimedMail): Promise<void>;
}

declare global {
  var __keyshelfMailContent: Map<MailKind, MailContent> | undefined;
}

const mailContent = (globalThis.__keyshelfMailContent ??= new Map<MailKind, MailContent>());

export function registerMailContent(kind: MailKind, content: MailContent) {
  mailContent.set(kind, content);
}

class SkippedMail extends Error {
  readonly permanent = true;
}

/** SMTP answers that no retry will change: unknown mailbox, relaying refused, bad address. */
function isPermanent(error: unknown) {
  if ((error as { permanent?: boolean }).permanent === true) return true;
  const code = (error as { responseCode?: number }).responseCode;
  return typeof code === "number" && code >= 550 && code <= 553;
}

function describe(error: unknown) {
  const e = error as { message?: string; response?: string; code?: string };
  const text = e.response || e.message || String(error);
  return text.slice(0, 1000);
}

/**
 * Sends the messages that are due; returns how many were sent and failed. Does nothing when SMTP
 * is not configured (messages wait, and the admin says why).
 */
export async function deliverDueMail({ limit = 20 }: { limit?: number } = {}) {
  const transport = transporter();
  const outcome = { sent: 0, failed: 0, retrying: 0 };
  if (!transport) return outcome;
  const { from } = mailSettings();

  const claimed = await prismaDb(prisma).rows(
    claimedMail,
    sql`
    UPDATE "mail_message" m SET
      "attempts" = m."attempts" + 1,
      "next_attempt_at" = ${NOW_UTC} + make_interval(secs => ${CLAIM_LEASE_SECONDS})
    WHERE m."id" IN (
      SELECT c."id" FROM "mail_message" c
      WHERE c."state" = 'QUEUED' AND c."next_attempt_at" <= ${NOW_UTC}
      ORDER BY c."next_attempt_at", c."id"
      FOR UPDATE SKIP LOCKED
      LIMIT ${limit}
    )
    RETURNING m."id", m."shop_id", m."kind", m."to", m."subject", m."text", m."html", m."job_id", m."delivery_id", m."attempts"`,
  );

  for (const message of claimed) {
    try {
      if (!message.to.trim()) throw Object.assign(new Error(NO_RECIPIENT), { permanent: true });
      const content = mailContent.get(message.kind);
      const rendered = content ? await content.render(message, { from }) : null;
      if (content && !rendered) throw new SkippedMail("Nothing to send: what this message was about no longer exists.");
      if (rendered && "skip" in rendered) throw new SkippedMail(rendered.skip);
      const attachment =
        message.job_id === null ? null : await exportAttachment({ shopId: message.shop_id, jobId: message.job_id });
      await transport.sendMail({
        from: rendered?.from ?? from,
        to: message.to,
        subject: rendered?.subject ?? message.subject,
        text: rendered?.text ?? message.text,
        ...(rendered ? { html: rendered.html } : message.html ? { html: message.html } : {}),
        ...(rendered?.replyTo ? { replyTo: rendered.replyTo } : {}),
        ...(rendered?.messageId ? { messageId: rendered.messageId } : {}),
        ...(attachment
          ? {
              attachments: [
                { filename: attachment.fileName, content: attachment.stream(), contentType: attachment.contentType },
              ],
            }
          : {}),
      });
      const markSent = (db: ReturnType<typeof prismaDb>) =>
        db.run(sql`
        UPDATE "mail_message" SET "state" = 'SENT', "sent_at" = ${NOW_UTC}, "last_error" = NULL,
          "subject" = ${rendered?.subject ?? message.subject}
        WHERE "id" = ${message.id}`);
      if (content?.sent) {
        const sent = content.sent;
        await transaction(async (tx) => {
          await markSent(prismaDb(tx));
          await sent(tx, message);
        });
      } else {
        await markSent(prismaDb(prisma));
      }
      outcome.sent += 1;
    } catch (error) {
      const giveUp = isPermanent(error) || message.attempts >= MAX_MAIL_ATTEMPTS;
      const state: MailState = giveUp ? "FAILED" : "QUEUED";
      await prismaDb(prisma).run(sql`
        UPDATE "mail_message" SET "state" = ${state}::"MailState", "last_error" = ${describe(error)},
          "next_attempt_at" = ${NOW_UTC} + make_interval(secs => ${giveUp ? 0 : mailBackoffSeconds(message.attempts)})
        WHERE "id" = ${message.id}`);
      if (giveUp) outcome.failed += 1;
      else outcome.retrying += 1;
    }
  }
  return outcome;
}

// ---------------------------------------------------------------------------------------------
// What the merchant sees and does

export interface MailView {
  id: number;
  kind: MailKind;
  state: MailState;
  to: string;
  subject: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date;
  sentAt: Date | null;
  createdAt: Date;
  jobId: number | null;
}

export async function listMail({ shopId, limit = 50 }: { shopId: number; limit?: number }): Promise<MailView[]> {
  return prisma.mailMessage.findMany({
    where: { shopId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit,
    select: {
      id: true,
      kind: true,
      state: true,
      to: true,
      subject: true,
      attempts: true,
      lastError: true,
      nextAttemptAt: true,
      sentAt: true,
      createdAt: true,
      jobId: true,
    },
  });
}

export async function countWaitingMail({ shopId }: { shopId: number }) {
  return prisma.mailMessage.count({ where: { shopId, state: "QUEUED" } });
}

/**
 * Sends a failed (or waiting) message again now; one without a recipient goes to the shop's
 * current report address. Another shop's message is "not-found", as is one already sent.
 */
export async function retryMail({ shopId, mailId }: { shopId: number; mailId: number }) {
  const message = await prisma.mailMessage.findFirst({
    where: { id: mailId, shopId, state: { not: "SENT" } },
    select: { to: true, kind: true, shop: { select: { email: true, reportEmail: true } } },
  });
  if (!message) return "not-found" as const;
  // A customer's keys never go to the merchant's address instead: resend them from the order page.
  const to = message.to || (message.kind === "KEY_DELIVERY" ? "" : reportAddress(message.shop));
  if (!to) return "no-address" as const;
  await prismaDb(prisma).run(sql`
    UPDATE "mail_message" SET "state" = 'QUEUED', "attempts" = 0, "next_attempt_at" = ${NOW_UTC},
      "to" = ${to}, "last_error" = NULL
    WHERE "id" = ${mailId} AND "shop_id" = ${shopId} AND "state" <> 'SENT'`);
  return "retried" as const;
}
