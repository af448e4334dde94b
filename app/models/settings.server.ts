// The shop's fulfilment settings (when keys are assigned, what a cancellation does, where reports
// and alerts go) and the low-stock thresholds of the tags that hand out keys.
import prisma from "~/db.server";
import { ASSIGN_TRIGGER_LABELS, CANCEL_POLICY_LABELS, type SettingsInput } from "~/lib/settings";
import { DELIVERY_MODE_LABELS, type DeliverySettingsInput } from "~/lib/delivery-email";
import { LibraryError } from "~/lib/library";
import { col, prismaDb, sql, transaction } from "~/sql.server";
import { recordAudit } from "./audit.server";
import { checkLowStock } from "./low-stock.server";

const DELIVERY_FIELDS = {
  deliveryEmailEnabled: true,
  deliveryMode: true,
  deliverySenderName: true,
  deliveryReplyTo: true,
  deliverySubject: true,
  deliveryBody: true,
  deliveryLocale: true,
  guestResendAllowed: true,
} as const;

export async function getSettings({ shopId }: { shopId: number }) {
  const shop = await prisma.shop.findUniqueOrThrow({
    where: { id: shopId },
    select: {
      assignTrigger: true,
      cancelPolicy: true,
      reportEmail: true,
      email: true,
      name: true,
      ...DELIVERY_FIELDS,
    },
  });
  // Thresholds matter for the tags products draw from; the "No tag" pool counts when linked.
  const tags = await prismaDb(prisma).rows(
    { id: col.int, name: col.text, kind: col.text, pending: col.int, threshold: col.int.nullable(), linked: col.int },
    sql`
    SELECT t."id", t."name", t."kind", t."pending_count" AS "pending", t."low_stock_threshold" AS "threshold",
      (SELECT count(*)::int FROM "product_link" pl WHERE pl."tag_id" = t."id") AS "linked"
    FROM "tag" t
    WHERE t."shop_id" = ${shopId} AND t."kind" <> 'AUTO_GENERATED'
      AND (t."low_stock_threshold" IS NOT NULL OR EXISTS (SELECT 1 FROM "product_link" pl WHERE pl."tag_id" = t."id"))
    ORDER BY t."name"
    LIMIT 500`,
  );
  return { ...shop, tags };
}

export async function updateSettings({
  shopId,
  actor,
  input,
}: {
  shopId: number;
  actor: string;
  input: SettingsInput;
}) {
  return transaction(async (tx) => {
    const before = await tx.shop.findUniqueOrThrow({
      where: { id: shopId },
      select: { assignTrigger: true, cancelPolicy: true, reportEmail: true },
    });
    await tx.shop.update({ where: { id: shopId }, data: input });
    const changes: string[] = [];
    if (before.assignTrigger !== input.assignTrigger)
      changes.push(`keys are assigned ${ASSIGN_TRIGGER_LABELS[input.assignTrigger].toLowerCase()}`);
    if (before.cancelPolicy !== input.cancelPolicy)
      changes.push(`on cancellation: ${CANCEL_POLICY_LABELS[input.cancelPolicy].toLowerCase()}`);
    if (before.reportEmail !== input.reportEmail)
      changes.push(input.reportEmail ? `reports go to ${input.reportEmail}` : "reports go to the shop's email");
    if (changes.length) {
      await recordAudit({
        tx,
        shopId,
        actor,
        action: "settings.update",
        summary: `Settings changed: ${changes.join("; ")}`,
      });
    }
    return { changed: changes.length };
  });
}

/** Sets (or clears, with null) thresholds; alerts fire (or re-arm) at once if the stock already crossed. */
export async function setLowStockThresholds({
  shopId,
  actor,
  thresholds,
}: {
  shopId: number;
  actor: string;
  thresholds: Array<{ tagId: number; threshold: number | null }>;
}) {
  if (thresholds.length === 0) return { changed: 0 };
  const changed = await transaction(async (tx) => {
    const tags = await tx.tag.findMany({
      where: { shopId, id: { in: thresholds.map((t) => t.tagId) }, kind: { not: "AUTO_GENERATED" } },
      select: { id: true, name: true, lowStockThreshold: true },
    });
    if (tags.length !== new Set(thresholds.map((t) => t.tagId)).size)
      throw new LibraryError("This tag no longer exists.", 404);
    const changes = thresholds.filter((t) => tags.find((tag) => tag.id === t.tagId)?.lowStockThreshold !== t.threshold);
    for (const { tagId, threshold } of changes) {
      await tx.tag.update({ where: { id: tagId }, data: { lowStockThreshold: threshold } });
    }
    if (changes.length) {
      const names = changes.map((c) => `${tags.find((t) => t.id === c.tagId)?.name}: ${c.threshold ?? "none"}`);
      await recordAudit({
        tx,
        shopId,
        actor,
        action: "settings.low_stock",
        summary: `Low-stock thresholds changed (${names.join(", ")})`,
        count: changes.length,
      });
    }
    return changes.map((c) => c.tagId);
  });
  await checkLowStock({ shopId, tagIds: changed });
  return { changed: changed.length };
}

/**
 * The delivery email's settings. Turning the email on starts it from now: keys handed out while it
 * was off are not mailed afterwards.
 */
export async function updateDeliverySettings({
  shopId,
  actor,
  input,
}: {
  shopId: number;
  actor: string;
  input: DeliverySettingsInput;
}) {
  return transaction(async (tx) => {
    const before = await tx.shop.findUniqueOrThrow({ where: { id: shopId }, select: DELIVERY_FIELDS });
    await tx.shop.update({
      where: { id: shopId },
      data: {
        ...input,
        ...(input.deliveryEmailEnabled && !before.deliveryEmailEnabled ? { deliverySince: new Date() } : {}),
      },
    });
    const changes: string[] = [];
    if (before.deliveryEmailEnabled !== input.deliveryEmailEnabled)
      changes.push(input.deliveryEmailEnabled ? "delivery email turned on" : "delivery email turned off");
    if (before.deliveryMode !== input.deliveryMode)
      changes.push(`delivery email: ${DELIVERY_MODE_LABELS[input.deliveryMode].toLowerCase()}`);
    if (before.deliverySenderName !== input.deliverySenderName) changes.push("sender name");
    if (before.deliveryReplyTo !== input.deliveryReplyTo) changes.push("reply-to address");
    if (before.deliverySubject !== input.deliverySubject || before.deliveryBody !== input.deliveryBody)
      changes.push("delivery email template");
    if (before.deliveryLocale !== input.deliveryLocale) changes.push(`email language ${input.deliveryLocale}`);
    if (before.guestResendAllowed !== input.guestResendAllowed)
      changes.push(input.guestResendAllowed ? "customers may ask for the email again" : "customers may not ask for the email again");
    if (changes.length) {
      await recordAudit({ tx, shopId, actor, action: "settings.delivery", summary: `Settings changed: ${changes.join("; ")}` });
    }
    return { changed: changes.length };
  });
}
