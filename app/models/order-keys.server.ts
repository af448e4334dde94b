// What a merchant can do to one key of an order: replace it (the customer reports it broken),
// return it to the pool (only if the customer never viewed it), or revoke it (the customer loses
// access). Each keeps fulfilment's invariant (a line's keys_assigned counts its Assigned and Used
// keys) and is recorded in the activity log in the same transaction.
import type { Prisma } from "@prisma/client";
import { z } from "zod";
import type { KeyAction } from "~/lib/orders";
import { maskKey } from "~/lib/orders";
import { LibraryError } from "~/lib/library";
import { col, prismaDb, sql, transaction } from "~/sql.server";
import { recordAudit } from "./audit.server";
import { assignOrderKeys } from "./fulfilment/key-assignment.server";
import { fillWaitingOrders } from "./fulfilment/waiting-orders.server";
import { checkLowStock } from "./low-stock.server";

const lockedKey = {
  id: col.int,
  value: col.text,
  status: z.enum(["PENDING", "ASSIGNED", "USED", "RETIRED"]),
  lineId: col.int.nullable(),
  orderName: col.text,
  lineTitle: col.text.nullable(),
  source: z.enum(["TAG", "AUTO_GENERATE"]).nullable(),
  tagId: col.int.nullable(),
  tagName: col.text.nullable(),
};
type LockedKey = z.output<z.ZodObject<typeof lockedKey>>;

/** The key, locked with its order, if both belong to this shop and the key is on this order. */
async function lockOrderKey(
  tx: Prisma.TransactionClient,
  { shopId, orderId, keyId }: { shopId: number; orderId: number; keyId: number },
) {
  const db = prismaDb(tx);
  const [order] = await db.rows(
    { id: col.int, name: col.text },
    sql`
    SELECT "id", "name" FROM "order" WHERE "id" = ${orderId}::int AND "shop_id" = ${shopId}::int FOR UPDATE`,
  );
  if (!order) throw new LibraryError("This order does not exist.", 404);
  const [key] = await db.rows(
    lockedKey,
    sql`
    SELECT k."id", k."value", k."status", k."order_line_id" AS "lineId", ${order.name}::text AS "orderName",
      ol."title" AS "lineTitle", ol."source", ol."tag_id" AS "tagId", t."name" AS "tagName"
    FROM "license_key" k
    LEFT JOIN "order_line" ol ON ol."id" = k."order_line_id"
    LEFT JOIN "tag" t ON t."id" = ol."tag_id"
    WHERE k."id" = ${keyId}::int AND k."shop_id" = ${shopId}::int AND k."order_id" = ${order.id}::int
    FOR UPDATE OF k`,
  );
  if (!key) throw new LibraryError("This licence key is not on this order.", 404);
  return key;
}

function refuse(message: string): never {
  throw new LibraryError(message, 409);
}

export interface KeyActionResult {
  message: string;
  /** The replacement's value (replace only). */
  newValue?: string;
}

/**
 * Replace: the order gets the next pending key of the line's tag (or a freshly generated one), and
 * the old key is retired with reason Replaced, never handed out again. Nothing changes if the tag
 * has no pending key left.
 */
async function replaceKey(tx: Prisma.TransactionClient, shopId: number, actor: string, key: LockedKey) {
  if (key.status !== "ASSIGNED" && key.status !== "USED") refuse("Only keys the order still holds can be replaced.");
  if (key.lineId === null || key.source === null) refuse("This key's order line no longer exists.");
  if (key.source === "TAG" && key.tagId === null)
    refuse("The tag this line took its keys from was deleted: add the key by hand.");
  const db = prismaDb(tx);
  await db.run(sql`
    WITH retired AS (
      UPDATE "license_key" SET "status" = 'RETIRED', "retired_at" = now(), "retire_reason" = 'REPLACED'
      WHERE "id" = ${key.id}::int RETURNING "order_line_id"
    )
    UPDATE "order_line" ol SET "keys_assigned" = ol."keys_assigned" - 1 FROM retired WHERE ol."id" = retired."order_line_id"`);
  const [order] = await db.rows(
    { orderId: col.int, autoTagId: col.int.nullable() },
    sql`
    SELECT ol."order_id" AS "orderId", (SELECT t."id" FROM "tag" t WHERE t."shop_id" = ${shopId}::int AND t."kind" = 'AUTO_GENERATED') AS "autoTagId"
    FROM "order_line" ol WHERE ol."id" = ${key.lineId}::int`,
  );
  await assignOrderKeys(db, {
    shopId,
    orderIds: [order.orderId],
    ...(key.source === "AUTO_GENERATE"
      ? { autoTagId: order.autoTagId, known: { auto: true, tagIds: [] } }
      : { tagIds: [key.tagId as number] }),
  });
  const [replacement] = await db.rows(
    { value: col.text },
    sql`
    SELECT "value" FROM "license_key" WHERE "order_line_id" = ${key.lineId}::int AND "status" = 'ASSIGNED'
    ORDER BY "assigned_at" DESC, "id" DESC LIMIT 1`,
  );
  const [line] = await db.rows(
    { owed: col.int },
    sql`
    SELECT "keys_needed" - "keys_assigned" AS "owed" FROM "order_line" WHERE "id" = ${key.lineId}::int`,
  );
  if (!replacement || line.owed > 0) {
    // Rolls the whole transaction back: the old key stays with the customer.
    throw new LibraryError(
      `No pending licence keys left in tag ${key.tagName}. Add keys to the tag, then replace this key.`,
      409,
    );
  }
  await recordAudit({
    tx,
    shopId,
    actor,
    action: "order.key.replace",
    summary: `Replaced licence key ${maskKey(key.value)} on order ${key.orderName} with ${maskKey(replacement.value)}; the old key is retired`,
    count: 1,
    details: { keyId: key.id, orderName: key.orderName },
  });
  return { message: `Key replaced. The customer now sees ${replacement.value}.`, newValue: replacement.value };
}

/** Return to pool: only a key the customer never viewed; it becomes Pending with no order again. */
async function returnKey(tx: Prisma.TransactionClient, shopId: number, actor: string, key: LockedKey) {
  if (key.status === "USED")
    refuse("The customer has already viewed this key, so it cannot go back to the pool. Revoke it instead.");
  if (key.status !== "ASSIGNED") refuse("Only keys the order still holds can be returned.");
  await prismaDb(tx).run(sql`
    WITH returned AS (
      UPDATE "license_key" SET "status" = 'PENDING', "order_id" = NULL, "order_line_id" = NULL, "assigned_at" = NULL
      WHERE "id" = ${key.id}::int AND "status" = 'ASSIGNED' RETURNING "id"
    )
    UPDATE "order_line" SET "keys_assigned" = "keys_assigned" - 1, "keys_needed" = "keys_needed" - 1
    WHERE "id" = ${key.lineId}::int AND EXISTS (SELECT 1 FROM returned)`);
  await recordAudit({
    tx,
    shopId,
    actor,
    action: "order.key.return",
    summary: `Returned licence key ${maskKey(key.value)} from order ${key.orderName} to the pool`,
    count: 1,
    details: { keyId: key.id, orderName: key.orderName },
  });
  return { message: "Key returned to the pool. The order no longer needs it." };
}

/** Revoke: retired with reason Revoked; the customer no longer sees it and the order is not owed another. */
async function revokeKey(tx: Prisma.TransactionClient, shopId: number, actor: string, key: LockedKey) {
  if (key.status !== "ASSIGNED" && key.status !== "USED") refuse("Only keys the order still holds can be revoked.");
  await prismaDb(tx).run(sql`
    WITH revoked AS (
      UPDATE "license_key" SET "status" = 'RETIRED', "retired_at" = now(), "retire_reason" = 'REVOKED'
      WHERE "id" = ${key.id}::int RETURNING "id"
    )
    UPDATE "order_line" SET "keys_assigned" = "keys_assigned" - 1, "keys_needed" = "keys_needed" - 1
    WHERE "id" = ${key.lineId}::int AND EXISTS (SELECT 1 FROM revoked)`);
  await recordAudit({
    tx,
    shopId,
    actor,
    action: "order.key.revoke",
    summary: `Revoked licence key ${maskKey(key.value)} of order ${key.orderName}; the customer no longer sees it`,
    count: 1,
    details: { keyId: key.id, orderName: key.orderName },
  });
  return { message: "Key revoked. The customer no longer sees it." };
}

export async function changeOrderKey({
  shopId,
  orderId,
  keyId,
  action,
  actor,
}: {
  shopId: number;
  orderId: number;
  keyId: number;
  action: KeyAction;
  actor: string;
}): Promise<KeyActionResult> {
  let tagId: number | null = null;
  const result = await transaction(async (tx) => {
    const key = await lockOrderKey(tx, { shopId, orderId, keyId });
    tagId = key.source === "TAG" ? key.tagId : null;
    switch (action) {
      case "replace":
        return replaceKey(tx, shopId, actor, key);
      case "return":
        return returnKey(tx, shopId, actor, key);
      case "revoke":
        return revokeKey(tx, shopId, actor, key);
    }
  });
  if (tagId !== null) {
    // A returned key may be exactly what a waiting order needs; a replacement may cross a threshold.
    if (action === "return") await fillWaitingOrders({ shopId, tagIds: [tagId] });
    else if (action === "replace") await checkLowStock({ shopId, tagIds: [tagId] });
  }
  return result;
}
