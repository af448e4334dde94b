// The shop's fulfilment settings (when keys are assigned, what a cancellation does, where reports
// and alerts go) and the low-stock thresholds of the tags that hand out keys.
import prisma from "~/db.server";
import { ASSIGN_TRIGGER_LABELS, CANCEL_POLICY_LABELS, type SettingsInput } from "~/lib/settings";
import { LibraryError } from "~/lib/library";
import { col, prismaDb, sql, transaction } from "~/sql.server";
import { recordAudit } from "./audit.server";
import { checkLowStock } from "./low-stock.server";

export async function getSettings({ shopId }: { shopId: number }) {
  const shop = await prisma.shop.findUniqueOrThrow({
    where: { id: shopId },
    select: { assignTrigger: true, cancelPolicy: true, reportEmail: true, email: true },
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
