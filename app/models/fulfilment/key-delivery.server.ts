// Delivery email: every customer gets their keys by email, once per delivery.
//
// The rule: a delivery is the keys that reached one order together. The paths that assign keys (a new
// order, a paid order, a waiting order filled, a replacement) do not send anything. A background sweep
// (queueKeyDeliveries, every mail round) takes the keys handed out (Assigned, or already seen on the
// thank-you page) that no delivery carries yet, locked
// with SKIP LOCKED, and gives each order's keys one key_delivery row and one queued email in the same
// transaction, and stamps the keys with it. So every path is mailed the same way, two app instances
// never mail the same keys, and a redelivered webhook (which assigns nothing new) mails nothing.
//
// The email is rendered when it is sent (app/lib/delivery-email.tsx), so a key revoked or returned in
// the meantime is not in it. What sending means depends on the shop's mode:
// - KEYS (default): the email carries the keys, and once the SMTP server accepts it they count as seen
//   (Used), because the customer has them from then on; a refund or cancellation no longer returns them.
// - LINK: the email links to a page (routes/keys.$token.tsx) that shows them; they stay Assigned until
//   the customer opens it there or on the order status page.
// Keys assigned before the shop's delivery_since (before the email was turned on) are never mailed.
import type { DeliveryMode, Prisma } from "@prisma/client";
import { z } from "zod";
import prisma from "~/db.server";
import { config } from "~/config.server";
import { linkSignatureMatches, signLink } from "~/link-signature.server";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import {
  DeliveryEmailDocument,
  deliveryLocale,
  renderSubject,
  renderText,
  sampleContent,
  type DeliveredKey,
  type DeliveryContent,
} from "~/lib/delivery-email";
import { LibraryError } from "~/lib/library";
import { maskKey, type DeliveryRecord } from "~/lib/orders";
import { col, prismaDb, sql, transaction, type Db } from "~/sql.server";
import { recordAudit } from "../audit.server";
import { NOW_UTC } from "../jobs.server";
import { queueMail, registerMailContent, reportAddress, type MailContent } from "../mailer.server";

/** Keys one sweep takes at most (the next round takes the rest). */
const SWEEP_LIMIT = 2_000;
/** Emails a customer may ask for from the order status page, per order and hour. */
export const GUEST_RESENDS_PER_HOUR = 3;

/** "alice@example.com" -> "a***@example.com": enough for a customer to recognise their address. */
export function maskEmail(email: string) {
  const at = email.lastIndexOf("@");
  if (at < 1) return "***";
  return `${email[0]}***${email.slice(at)}`;
}

// ---------------------------------------------------------------------------------------------
// The sweep

const dueKey = { id: col.int, shop_id: col.int, order_id: col.int, mode: z.enum(["KEYS", "LINK"]) };

/**
 * Gives Assigned keys that no delivery carries yet their delivery and queued email, one per order.
 * Returns how many deliveries were queued. Safe on any number of instances at once.
 */
export async function queueKeyDeliveries({ limit = SWEEP_LIMIT }: { limit?: number } = {}) {
  return transaction(async (tx) => {
    const db = prismaDb(tx);
    const keys = await db.rows(
      dueKey,
      sql`
      SELECT k."id", k."shop_id", k."order_id", s."delivery_mode"::text AS "mode"
      FROM "shop" s CROSS JOIN LATERAL (
        SELECT k."id", k."shop_id", k."order_id" FROM "license_key" k
        WHERE k."shop_id" = s."id" AND k."status" IN ('ASSIGNED', 'USED') AND k."delivery_id" IS NULL
          AND k."assigned_at" >= s."delivery_since" AND k."order_id" IS NOT NULL
        ORDER BY k."assigned_at", k."id"
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      ) k
      WHERE s."delivery_email_enabled" AND s."uninstalled_at" IS NULL
      ORDER BY k."id"`,
    );
    if (keys.length === 0) return 0;
    const byOrder = new Map<number, { shopId: number; mode: DeliveryMode; keyIds: number[] }>();
    for (const key of keys) {
      const entry = byOrder.get(key.order_id) ?? { shopId: key.shop_id, mode: key.mode, keyIds: [] };
      entry.keyIds.push(key.id);
      byOrder.set(key.order_id, entry);
    }
    for (const [orderId, entry] of byOrder) {
      await createDelivery(tx, { shopId: entry.shopId, orderId, mode: entry.mode, reason: "NEW", requestedBy: "Keyshelf", keyIds: entry.keyIds });
    }
    return byOrder.size;
  }, { timeout: 60_000 });
}

async function createDelivery(
  tx: Prisma.TransactionClient,
  {
    shopId,
    orderId,
    mode,
    reason,
    requestedBy,
    keyIds = [],
    to,
  }: {
    shopId: number;
    orderId: number;
    mode: DeliveryMode;
    reason: "NEW" | "RESEND";
    requestedBy: string;
    keyIds?: number[];
    to?: string;
  },
) {
  const order = await tx.order.findFirstOrThrow({
    where: { id: orderId, shopId },
    select: { name: true, email: true, shop: { select: { name: true } } },
  });
  const delivery = await tx.keyDelivery.create({
    data: { shopId, orderId, mode, reason, requestedBy },
    select: { id: true },
  });
  if (keyIds.length > 0) {
    await prismaDb(tx).run(sql`
      UPDATE "license_key" SET "delivery_id" = ${delivery.id}
      WHERE "id" = ANY(${keyIds}::int[]) AND "shop_id" = ${shopId} AND "delivery_id" IS NULL`);
  }
  const mail = await queueMail({
    tx,
    shopId,
    kind: "KEY_DELIVERY",
    to: to ?? order.email ?? "",
    // The subject as the merchant will see it listed; the message itself is rendered when sent.
    subject: order.name ? `Licence keys for order ${order.name}` : "Licence keys",
    text: "",
    deliveryId: delivery.id,
    noRecipient: "This order has no email address: the keys are on the order status and thank-you pages.",
  });
  return { deliveryId: delivery.id, mailId: mail.id };
}

// ---------------------------------------------------------------------------------------------
// Rendering and sending (called by the mailer)

const deliveryRow = {
  id: col.int,
  shop_id: col.int,
  order_id: col.int,
  reason: z.enum(["NEW", "RESEND"]),
  mode: z.enum(["KEYS", "LINK"]),
  order_name: col.text,
  customer_locale: col.text.nullable(),
  customer_first_name: col.text.nullable(),
  shop_name: col.text,
  shop_domain: col.text,
  sender_name: col.text,
  reply_to: col.text,
  subject: col.text.nullable(),
  body: col.text.nullable(),
  shop_locale: col.text,
};

async function loadDelivery(db: Db, deliveryId: number) {
  const [row] = await db.rows(
    deliveryRow,
    sql`
    SELECT d."id", d."shop_id", d."order_id", d."reason", d."mode"::text AS "mode", o."name" AS "order_name",
      o."customer_locale", o."customer_first_name", s."name" AS "shop_name", s."domain" AS "shop_domain",
      s."delivery_sender_name" AS "sender_name", s."delivery_reply_to" AS "reply_to",
      s."delivery_subject" AS "subject", s."delivery_body" AS "body", s."delivery_locale" AS "shop_locale"
    FROM "key_delivery" d JOIN "order" o ON o."id" = d."order_id" JOIN "shop" s ON s."id" = d."shop_id"
    WHERE d."id" = ${deliveryId}`,
  );
  return row ?? null;
}

/** The keys a delivery carries now: its own (NEW) or all the order holds (RESEND); never retired ones. */
async function deliveredKeys(db: Db, delivery: { id: number; shop_id: number; order_id: number; reason: string }) {
  const which =
    delivery.reason === "NEW" ? sql`k."delivery_id" = ${delivery.id}` : sql`k."order_id" = ${delivery.order_id}`;
  return db.rows(
    { value: col.text, product: col.text },
    sql`
    SELECT k."value", COALESCE(l."title", '') AS "product"
    FROM "license_key" k LEFT JOIN "order_line" l ON l."id" = k."order_line_id"
    WHERE k."shop_id" = ${delivery.shop_id} AND k."order_id" = ${delivery.order_id}
      AND k."status" IN ('ASSIGNED', 'USED') AND ${which}
    ORDER BY k."order_line_id" NULLS LAST, k."id"`,
  );
}

const linkMessage = (deliveryId: number) => `keyshelf-delivery:${deliveryId}`;

export function deliveryLink(deliveryId: number) {
  return `${config.appUrl.replace(/\/+$/, "")}/keys/${deliveryId}.${signLink(linkMessage(deliveryId))}`;
}

/** The delivery a link names, if its signature is right; null otherwise (never says which part was wrong). */
export function deliveryIdFromToken(token: string): number | null {
  const match = /^(\d{1,9})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return null;
  const id = Number(match[1]);
  return linkSignatureMatches(linkMessage(id), match[2]) ? id : null;
}

function fromHeader(senderName: string, shopName: string, from: string) {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  return { name: senderName.trim() || shopName || "Keyshelf", address };
}

const deliveryMail: MailContent = {
  async render(message, { from }) {
    if (message.delivery_id === null) return null;
    const db = prismaDb(prisma);
    const delivery = await loadDelivery(db, message.delivery_id);
    if (!delivery) return null;
    const keys = await deliveredKeys(db, delivery);
    if (keys.length === 0) return { skip: "No licence keys left to send: they were returned or revoked." };
    const content: DeliveryContent = {
      locale: deliveryLocale(delivery.customer_locale, delivery.shop_locale),
      shopName: delivery.shop_name,
      orderName: delivery.order_name,
      customerFirstName: delivery.customer_first_name,
      mode: delivery.mode,
      keys,
      viewUrl: delivery.mode === "LINK" ? deliveryLink(delivery.id) : null,
      subjectTemplate: delivery.subject,
      bodyTemplate: delivery.body,
    };
    return {
      ...renderMessage(content),
      from: fromHeader(delivery.sender_name, delivery.shop_name, from),
      replyTo: delivery.reply_to || undefined,
      // The same id for every attempt: a receiving server that got an attempt we could not mark as
      // sent (a crash in between) can tell the second one is the same message.
      messageId: `<delivery-${delivery.id}@${delivery.shop_domain}>`,
    };
  },
  async sent(tx, message) {
    if (message.delivery_id === null) return;
    const db = prismaDb(tx);
    const delivery = await loadDelivery(db, message.delivery_id);
    if (!delivery) return;
    const seen =
      delivery.mode === "KEYS"
        ? await db.run(sql`
          UPDATE "license_key" k SET "status" = 'USED', "used_at" = now()
          WHERE k."shop_id" = ${delivery.shop_id} AND k."order_id" = ${delivery.order_id} AND k."status" = 'ASSIGNED'
            AND ${delivery.reason === "NEW" ? sql`k."delivery_id" = ${delivery.id}` : sql`TRUE`}`)
        : 0;
    const keys = await deliveredKeys(db, delivery);
    const count = keys.length;
    const noun = count === 1 ? "licence key" : "licence keys";
    const what = delivery.mode === "KEYS" ? `${count} ${noun}` : `a link to ${count} ${noun}`;
    await recordAudit({
      tx,
      shopId: delivery.shop_id,
      actor: "Keyshelf",
      action: delivery.reason === "NEW" ? "delivery.sent" : "delivery.resent",
      summary:
        `Emailed ${what} of order ${delivery.order_name} to ${maskEmail(message.to)}` +
        (seen > 0 ? `; ${seen === 1 ? "it counts" : "they count"} as seen (Used)` : ""),
      count,
      details: { orderId: delivery.order_id, deliveryId: delivery.id, keys: keys.map((k) => maskKey(k.value)) },
    });
  },
};

function renderMessage(content: DeliveryContent) {
  return {
    subject: renderSubject(content),
    text: renderText(content),
    html: `<!DOCTYPE html>${renderToStaticMarkup(createElement(DeliveryEmailDocument, { content }))}`,
  };
}

registerMailContent("KEY_DELIVERY", deliveryMail);

// A test email: the shop's template with example keys, to the address the merchant gives.
registerMailContent("DELIVERY_TEST", {
  async render(message, { from }) {
    const shop = await prisma.shop.findUniqueOrThrow({
      where: { id: message.shop_id },
      select: {
        name: true,
        domain: true,
        deliveryMode: true,
        deliverySenderName: true,
        deliveryReplyTo: true,
        deliverySubject: true,
        deliveryBody: true,
        deliveryLocale: true,
      },
    });
    const locale = deliveryLocale(null, shop.deliveryLocale);
    return {
      ...renderMessage(
        sampleContent({
          locale,
          shopName: shop.name,
          mode: shop.deliveryMode,
          viewUrl: `${config.appUrl.replace(/\/+$/, "")}/keys/example`,
          subjectTemplate: shop.deliverySubject,
          bodyTemplate: shop.deliveryBody,
          test: true,
        }),
      ),
      from: fromHeader(shop.deliverySenderName, shop.name, from),
      replyTo: shop.deliveryReplyTo || undefined,
    };
  },
});

// ---------------------------------------------------------------------------------------------
// What the merchant does

/** Sends every key the order holds again, to the order's email or another address. */
export async function resendKeys({
  shopId,
  orderId,
  to,
  actor,
}: {
  shopId: number;
  orderId: number;
  to?: string | null;
  actor: string;
}) {
  return transaction(async (tx) => {
    const [order] = await prismaDb(tx).rows(
      { id: col.int, name: col.text, email: col.text.nullable(), mode: z.enum(["KEYS", "LINK"]), keys: col.int },
      sql`
      SELECT o."id", o."name", o."email", s."delivery_mode"::text AS "mode",
        (SELECT count(*)::int FROM "license_key" k
          WHERE k."shop_id" = o."shop_id" AND k."order_id" = o."id" AND k."status" IN ('ASSIGNED', 'USED')) AS "keys"
      FROM "order" o JOIN "shop" s ON s."id" = o."shop_id"
      WHERE o."id" = ${orderId} AND o."shop_id" = ${shopId}
      FOR UPDATE OF o`,
    );
    if (!order) throw new LibraryError("This order does not exist.", 404);
    if (order.keys === 0) throw new LibraryError("This order holds no licence keys to send.", 409);
    const recipient = to?.trim() || order.email || "";
    if (!recipient) throw new LibraryError("This order has no email address: enter one to send the keys to.", 422);
    const queued = await createDelivery(tx, {
      shopId,
      orderId,
      mode: order.mode,
      reason: "RESEND",
      requestedBy: actor,
      to: recipient,
    });
    await recordAudit({
      tx,
      shopId,
      actor,
      action: "delivery.resend",
      summary: `Asked to email the licence keys of order ${order.name} again, to ${recipient}`,
      count: order.keys,
      details: { orderId, deliveryId: queued.deliveryId },
    });
    return { ...queued, to: recipient };
  });
}

export type DeliveryView = DeliveryRecord<Date>;

/** The order's delivery emails, newest first, with each email's state. */
export async function listOrderDeliveries({ shopId, orderId }: { shopId: number; orderId: number }): Promise<DeliveryView[]> {
  const deliveries = await prisma.keyDelivery.findMany({
    where: { shopId, orderId },
    orderBy: { id: "desc" },
    take: 50,
    select: {
      id: true,
      reason: true,
      requestedBy: true,
      mode: true,
      createdAt: true,
      mail: {
        select: { id: true, state: true, to: true, attempts: true, lastError: true, nextAttemptAt: true, sentAt: true },
      },
    },
  });
  const counts = await prisma.licenseKey.groupBy({
    by: ["deliveryId"],
    where: { shopId, orderId, deliveryId: { in: deliveries.map((d) => d.id) } },
    _count: { _all: true },
  });
  return deliveries.map((delivery) => ({
    ...delivery,
    reason: delivery.reason === "RESEND" ? "RESEND" : "NEW",
    keys: counts.find((c) => c.deliveryId === delivery.id)?._count._all ?? 0,
  }));
}

/** Queues the test email for Settings' "Send me a test". */
export async function sendTestDeliveryEmail({ shopId, actor, to }: { shopId: number; actor: string; to?: string | null }) {
  const shop = await prisma.shop.findUniqueOrThrow({ where: { id: shopId }, select: { email: true, reportEmail: true } });
  const recipient = to?.trim() || reportAddress(shop);
  if (!recipient) throw new LibraryError("Enter an address to send the test to.", 422);
  return transaction(async (tx) => {
    const mail = await queueMail({
      tx,
      shopId,
      kind: "DELIVERY_TEST",
      to: recipient,
      subject: "Test: delivery email",
      text: "",
    });
    await recordAudit({
      tx,
      shopId,
      actor,
      action: "delivery.test",
      summary: `Sent a test delivery email to ${recipient}`,
    });
    return { mailId: mail.id, to: recipient };
  });
}

// ---------------------------------------------------------------------------------------------
// What the customer does

async function findGuestOrder(tx: Prisma.TransactionClient, { shop, orderId }: { shop: string; orderId: bigint }) {
  const [order] = await prismaDb(tx).rows(
    {
      id: col.int,
      shop_id: col.int,
      name: col.text,
      email: col.text.nullable(),
      customer_id: col.bigint.nullable(),
      allowed: col.bool,
      mode: z.enum(["KEYS", "LINK"]),
      delivered: col.bool,
    },
    sql`
    SELECT o."id", o."shop_id", o."name", o."email", o."customer_id", s."guest_resend_allowed" AS "allowed",
      s."delivery_mode"::text AS "mode",
      EXISTS (SELECT 1 FROM "key_delivery" d JOIN "mail_message" m ON m."delivery_id" = d."id"
        WHERE d."order_id" = o."id" AND m."state" = 'SENT') AS "delivered"
    FROM "shop" s JOIN "order" o ON o."shop_id" = s."id" AND o."shopify_id" = ${orderId}::bigint
    WHERE s."domain" = ${shop} AND s."uninstalled_at" IS NULL`,
  );
  // Only a guest order (no customer account) whose keys were emailed: anything else is "sign in".
  if (!order || order.customer_id !== null || !order.email || !order.delivered) return null;
  return order;
}

export interface GuestDelivery {
  email: string;
  canResend: boolean;
}

/** For a visitor who is not signed in: where a guest order's keys were sent (masked), or null. */
export async function guestDeliveryInfo({ shop, orderId }: { shop: string; orderId: bigint }): Promise<GuestDelivery | null> {
  const order = await transaction((tx) => findGuestOrder(tx, { shop, orderId }));
  if (!order?.email) return null;
  return { email: maskEmail(order.email), canResend: order.allowed };
}

export type GuestResend =
  | { outcome: "sent"; email: string }
  | { outcome: "rate-limited"; retryAfterSeconds: number }
  | { outcome: "not-available" };

/**
 * "Email them again" from the order status page: only to the order's own address, at most
 * GUEST_RESENDS_PER_HOUR times an hour per order (counted under the order's row lock, so it holds
 * across app instances).
 */
export async function resendToGuest({ shop, orderId }: { shop: string; orderId: bigint }): Promise<GuestResend> {
  return transaction(async (tx) => {
    const order = await findGuestOrder(tx, { shop, orderId });
    if (!order?.email || !order.allowed) return { outcome: "not-available" } as const;
    const db = prismaDb(tx);
    await db.run(sql`SELECT 1 FROM "order" WHERE "id" = ${order.id} FOR UPDATE`);
    const recent = await db.rows(
      { created_at: col.time },
      sql`
      SELECT d."created_at" FROM "key_delivery" d
      WHERE d."order_id" = ${order.id} AND d."reason" = 'RESEND' AND d."requested_by" = 'Customer'
        AND d."created_at" > ${NOW_UTC} - interval '1 hour'
      ORDER BY d."created_at"`,
    );
    if (recent.length >= GUEST_RESENDS_PER_HOUR) {
      const oldest = recent[0].created_at.getTime();
      const retryAfterSeconds = Math.max(1, Math.ceil((oldest + 3_600_000 - Date.now()) / 1000));
      return { outcome: "rate-limited", retryAfterSeconds } as const;
    }
    const queued = await createDelivery(tx, {
      shopId: order.shop_id,
      orderId: order.id,
      mode: order.mode,
      reason: "RESEND",
      requestedBy: "Customer",
      to: order.email,
    });
    await recordAudit({
      tx,
      shopId: order.shop_id,
      actor: "Customer",
      action: "delivery.resend",
      summary: `The customer asked for the licence keys of order ${order.name} again, from the order status page`,
      details: { orderId: order.id, deliveryId: queued.deliveryId },
    });
    return { outcome: "sent", email: maskEmail(order.email) } as const;
  });
}

export interface LinkedKeys {
  shopName: string;
  orderName: string;
  keys: DeliveredKey[];
  locale: ReturnType<typeof deliveryLocale>;
}

/**
 * The keys behind an emailed link. `reveal` (the customer pressed "Show my keys": a POST, so a mail
 * scanner following links does not count as the customer) marks them Used.
 */
export async function openDeliveryLink({ token, reveal }: { token: string; reveal: boolean }): Promise<LinkedKeys | null> {
  const deliveryId = deliveryIdFromToken(token);
  if (deliveryId === null) return null;
  return transaction(async (tx) => {
    const db = prismaDb(tx);
    const delivery = await loadDelivery(db, deliveryId);
    if (!delivery) return null;
    const [shop] = await db.rows(
      { uninstalled: col.bool },
      sql`SELECT "uninstalled_at" IS NOT NULL AS "uninstalled" FROM "shop" WHERE "id" = ${delivery.shop_id}`,
    );
    if (!shop || shop.uninstalled) return null;
    const locale = deliveryLocale(delivery.customer_locale, delivery.shop_locale);
    const base = { shopName: delivery.shop_name, orderName: delivery.order_name, locale };
    if (!reveal) return { ...base, keys: [] };
    const viewed = await db.run(sql`
      UPDATE "license_key" SET "status" = 'USED', "used_at" = now()
      WHERE "shop_id" = ${delivery.shop_id} AND "order_id" = ${delivery.order_id} AND "status" = 'ASSIGNED'`);
    if (viewed > 0) {
      await recordAudit({
        tx,
        shopId: delivery.shop_id,
        actor: "Customer",
        action: "keys.view",
        summary: `The customer saw ${viewed} licence ${viewed === 1 ? "key" : "keys"} of order ${delivery.order_name} through the emailed link`,
        count: viewed,
        details: { orderId: delivery.order_id, surface: "email-link" },
      });
    }
    return { ...base, keys: await deliveredKeys(db, { ...delivery, reason: "RESEND" }) };
  });
}
