// Orders with assigned keys, written the way fulfilment leaves them (keys Assigned, linked to the
// order and its line, their key_tag rows carrying the same status), for tests of what comes after.
import prisma from "~/db.server";
import { installShop } from "./shopify";

export interface SeedLine {
  title: string;
  /** Key values handed to this line. */
  keys: string[];
  /** Keys this line still waits for. */
  missing?: number;
}

export async function seedOrderWithKeys({
  shop,
  shopifyId,
  customerId = null,
  confirmationNumber = null,
  name = `#${shopifyId}`,
  lines,
  awaitingPayment = false,
}: {
  shop: string;
  shopifyId: bigint | number;
  customerId?: bigint | number | null;
  confirmationNumber?: string | null;
  name?: string;
  lines: SeedLine[];
  awaitingPayment?: boolean;
}) {
  const shopRow = await installShop(shop);
  const tag = await prisma.tag.upsert({
    where: { shopId_name: { shopId: shopRow.id, name: "seeded" } },
    create: { shopId: shopRow.id, name: "seeded" },
    update: {},
  });
  const shortfall = lines.reduce((sum, line) => sum + (line.missing ?? 0), 0);
  const order = await prisma.order.create({
    data: {
      shopId: shopRow.id,
      shopifyId: BigInt(shopifyId),
      name,
      customerId: customerId === null ? null : BigInt(customerId),
      confirmationNumber,
      shortfall,
      awaitingPayment,
      carriesKeys: lines.length > 0,
    },
  });
  let lineItemId = BigInt(shopifyId) * 10n;
  const keyIds: number[] = [];
  for (const line of lines) {
    lineItemId += 1n;
    const orderLine = await prisma.orderLine.create({
      data: {
        shopId: shopRow.id,
        orderId: order.id,
        lineItemId,
        title: line.title,
        quantity: 1,
        tagId: tag.id,
        keysNeeded: line.keys.length + (line.missing ?? 0),
        keysAssigned: line.keys.length,
      },
    });
    for (const value of line.keys) {
      const key = await prisma.licenseKey.create({
        data: {
          shopId: shopRow.id,
          value,
          status: "ASSIGNED",
          assignedAt: new Date(),
          orderId: order.id,
          orderLineId: orderLine.id,
        },
      });
      await prisma.keyTag.create({ data: { tagId: tag.id, keyId: key.id, shopId: shopRow.id, status: "ASSIGNED" } });
      keyIds.push(key.id);
    }
  }
  return { shop: shopRow, order, tag, keyIds };
}
