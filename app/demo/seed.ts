// Seeds the demo shop: its offline session (so authenticate.admin never needs the network), tags with
// a few hundred keys in every status, product links, and the orders those keys went to. Everything is
// generated from a fixed-seed PRNG, so every reset gives the same store; rows go in with one
// set-based INSERT per table (unnest of arrays), not one query per row.
// Runs on first start of `npm run demo` and on `--reset`; the tests call it too.
import type { PrismaClient } from "@prisma/client";
import { DEMO_ACCESS_TOKEN, DEMO_CUSTOMERS, DEMO_PRODUCTS, DEMO_SHOP, DEMO_SHOP_EMAIL, DEMO_SHOP_NAME, DEMO_TIMEZONE } from "./catalog";

export interface SeedSummary {
  seeded: boolean;
  shop: string;
  keys: number;
  orders: number;
  tags: string[];
}

type Status = "PENDING" | "ASSIGNED" | "USED";

interface TagPlan {
  name: string;
  /** Pending keys beyond those that went to orders. */
  pending: number;
  format: (random: () => number) => string;
  lowStockThreshold?: number;
}

const DAY = 86_400_000;
const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; // no look-alikes (0/O, 1/I)
const HEX = "0123456789abcdef";

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const chars = (random: () => number, alphabet: string, length: number) =>
  Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
const groups = (random: () => number, alphabet: string, sizes: number[]) => sizes.map((n) => chars(random, alphabet, n)).join("-");

export const DEMO_TAGS: TagPlan[] = [
  { name: "photoforge", pending: 96, format: (r) => `PF-${groups(r, ALPHABET, [5, 5, 5, 5])}`, lowStockThreshold: 20 },
  { name: "codevault", pending: 7, format: (r) => `CVIDE-${groups(r, ALPHABET, [4, 4, 4, 4])}`, lowStockThreshold: 10 },
  { name: "stellarquest", pending: 64, format: (r) => groups(r, ALPHABET, [5, 5, 5]) },
  {
    name: "vpn",
    pending: 0,
    format: (r) => `${chars(r, HEX, 8)}-${chars(r, HEX, 4)}-4${chars(r, HEX, 3)}-a${chars(r, HEX, 3)}-${chars(r, HEX, 12)}`,
    lowStockThreshold: 5,
  },
  { name: "unused", pending: 30, format: (r) => `OLD-${groups(r, ALPHABET, [6, 6])}` },
  { name: "giveaway", pending: 0, format: () => "" }, // holds some stellarquest keys: one key, several tags
];

const NO_TAG_PENDING = 24;

/** Which tag (or auto-generation) hands out keys for each demo product or variant. */
const LINKS: Array<{ handle: string; variantId?: number; tag: string | null; keysPerUnit?: number; auto?: { pattern: string; prefix: string } }> = [
  { handle: "photoforge-pro", tag: "photoforge" },
  { handle: "photoforge-pro", variantId: 4510000000012, tag: "photoforge", keysPerUnit: 5 },
  { handle: "codevault-ide", tag: "codevault" },
  { handle: "stellar-quest", tag: "stellarquest" },
  { handle: "securenet-vpn", tag: "vpn" },
  { handle: "securenet-vpn", variantId: 4510000000042, tag: null, auto: { pattern: "XXXXX-XXXXX-XXXXX-XXXXX", prefix: "SNV-" } },
];

interface PlannedKey {
  tag: string | null; // null: auto-generated
  value: string;
  status: Status;
  createdAt: Date;
  assignedAt: Date | null;
  usedAt: Date | null;
  order: number | null; // index into orders
  line: number | null; // index into lines
  type: "UPLOADED" | "AUTO_GENERATED";
  extraTags: string[];
}

interface PlannedLine {
  order: number;
  lineItemId: bigint;
  productId: bigint;
  variantId: bigint;
  title: string;
  quantity: number;
  source: "TAG" | "AUTO_GENERATE";
  tag: string | null;
  keysNeeded: number;
  keysAssigned: number;
  autoPattern: string | null;
  autoPrefix: string | null;
}

interface PlannedOrder {
  shopifyId: bigint;
  name: string;
  email: string | null;
  customerId: bigint | null;
  confirmationNumber: string;
  placedAt: Date;
  shortfall: number;
}

function linkFor(productId: number, variantId: number) {
  const product = DEMO_PRODUCTS.find((p) => p.id === productId)!;
  return (
    LINKS.find((l) => l.handle === product.handle && l.variantId === variantId) ??
    LINKS.find((l) => l.handle === product.handle && l.variantId === undefined)
  );
}

/** The whole store, computed in memory first: a few hundred rows. */
export function planDemoData(now = Date.now()) {
  const random = prng(20261129);
  const keys: PlannedKey[] = [];
  const orders: PlannedOrder[] = [];
  const lines: PlannedLine[] = [];
  const tagFormat = new Map(DEMO_TAGS.map((t) => [t.name, t.format]));
  const autoFormat = (r: () => number) => `SNV-${groups(r, ALPHABET, [5, 5, 5, 5])}`;
  // Keys were uploaded in batches: 90 days ago, then a restock 30 days ago.
  const uploadedAt = (fresh: boolean) => new Date(now - (fresh ? 30 : 90) * DAY + Math.floor(random() * 3600_000));

  // What sold: [variant id, number of orders, quantity per order]. The manual has no keys.
  const sales: Array<[number, number, number]> = [
    [4510000000011, 34, 1],
    [4510000000012, 5, 1],
    [4510000000021, 78, 1],
    [4510000000031, 40, 1],
    [4510000000031, 5, 2],
    [4510000000041, 45, 1],
    [4510000000042, 10, 1],
  ];
  const slots: number[] = sales.flatMap(([variantId, count, quantity]) => Array.from({ length: count }, () => variantId * 10 + quantity));
  // Shuffle so order numbers interleave products, as in a real store.
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [slots[i], slots[j]] = [slots[j], slots[i]];
  }
  // A few orders also buy the printed manual, or a second licensed product: multi-line orders.
  const orderCount = slots.length;
  const lastVpnOrder = slots.map((slot) => Math.floor(slot / 10)).lastIndexOf(4510000000041);
  for (let index = 0; index < orderCount; index++) {
    const slot = slots[index];
    const variantId = Math.floor(slot / 10);
    const quantity = slot % 10;
    const placedAt = new Date(now - Math.floor(((orderCount - index) / orderCount) * 60 * DAY) - Math.floor(random() * 6 * 3600_000));
    const customer = index % 7 === 6 ? null : DEMO_CUSTOMERS[index % DEMO_CUSTOMERS.length];
    const guestEmail = index % 14 === 6 ? `guest${index}@example.net` : null;
    const orderNumber = 1001 + index;
    orders.push({
      shopifyId: BigInt(6300000000000 + orderNumber),
      name: `#${orderNumber}`,
      email: customer?.email ?? guestEmail,
      customerId: customer ? BigInt(customer.id) : null,
      confirmationNumber: chars(random, "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", 9),
      placedAt,
      shortfall: 0,
    });
    const lineVariants = [variantId];
    if (index % 11 === 3 && variantId !== 4510000000021) lineVariants.push(4510000000021);
    lineVariants.forEach((lineVariant, position) => {
      const product = DEMO_PRODUCTS.find((p) => p.variants.some((v) => v.id === lineVariant))!;
      const variant = product.variants.find((v) => v.id === lineVariant)!;
      const link = linkFor(product.id, lineVariant)!;
      const lineQuantity = position === 0 ? quantity : 1;
      const keysNeeded = lineQuantity * (link.keysPerUnit ?? 1);
      // The most recent VPN order came after the tag ran dry: it waits for keys.
      const starved = link.tag === "vpn" && index === lastVpnOrder;
      const keysAssigned = starved ? 0 : keysNeeded;
      const lineIndex = lines.length;
      lines.push({
        order: index,
        lineItemId: BigInt(16000000000000 + orderNumber * 10 + position),
        productId: BigInt(product.id),
        variantId: BigInt(lineVariant),
        title: variant.title === "Default Title" ? product.title : `${product.title} - ${variant.title}`,
        quantity: lineQuantity,
        source: link.auto ? "AUTO_GENERATE" : "TAG",
        tag: link.tag,
        keysNeeded,
        keysAssigned,
        autoPattern: link.auto?.pattern ?? null,
        autoPrefix: link.auto?.prefix ?? null,
      });
      if (starved) orders[index].shortfall += keysNeeded;
      const ageDays = (now - placedAt.getTime()) / DAY;
      for (let k = 0; k < keysAssigned; k++) {
        // Older orders' customers have mostly opened their keys by now.
        const used = random() < (ageDays > 7 ? 0.6 : 0.25);
        const assignedAt = new Date(placedAt.getTime() + 2000 + Math.floor(random() * 3000));
        keys.push({
          tag: link.tag,
          value: link.auto ? autoFormat(random) : tagFormat.get(link.tag!)!(random),
          status: used ? "USED" : "ASSIGNED",
          createdAt: link.auto ? assignedAt : uploadedAt(ageDays < 30),
          assignedAt,
          usedAt: used ? new Date(assignedAt.getTime() + Math.floor(random() * 2 * DAY)) : null,
          order: index,
          line: lineIndex,
          type: link.auto ? "AUTO_GENERATED" : "UPLOADED",
          extraTags: [],
        });
      }
    });
  }

  for (const tag of DEMO_TAGS) {
    for (let i = 0; i < tag.pending; i++) {
      keys.push({
        tag: tag.name,
        value: tag.format(random),
        status: "PENDING",
        createdAt: uploadedAt(i % 3 === 0),
        assignedAt: null,
        usedAt: null,
        order: null,
        line: null,
        type: "UPLOADED",
        extraTags: [],
      });
    }
  }
  // Ten Stellar Quest keys are also set aside in "giveaway", and three were uploaded twice.
  const stellarPending = keys.filter((k) => k.tag === "stellarquest" && k.status === "PENDING");
  stellarPending.slice(0, 10).forEach((k) => k.extraTags.push("giveaway"));
  for (const original of stellarPending.slice(20, 23)) keys.push({ ...original, createdAt: new Date(original.createdAt.getTime() + DAY), extraTags: [] });
  for (let i = 0; i < NO_TAG_PENDING; i++) {
    keys.push({
      tag: "",
      value: groups(random, ALPHABET, [4, 4, 4, 4]),
      status: "PENDING",
      createdAt: uploadedAt(true),
      assignedAt: null,
      usedAt: null,
      order: null,
      line: null,
      type: "UPLOADED",
      extraTags: [],
    });
  }
  return { keys, orders, lines };
}

async function loadPrisma(): Promise<PrismaClient> {
  return (await import("~/db.server")).default;
}

async function wipeShop(prisma: PrismaClient, shop: string) {
  await prisma.$transaction([
    prisma.shop.deleteMany({ where: { domain: shop } }),
    prisma.session.deleteMany({ where: { shop } }),
    prisma.webhookEvent.deleteMany({ where: { shopDomain: shop } }),
  ]);
}

/** The offline session Shopify would have stored at installation: authenticate.admin needs no network. */
export async function storeDemoSession(prisma: PrismaClient, shop = DEMO_SHOP) {
  const scope = process.env.SCOPES ?? "read_orders,read_products";
  await prisma.session.upsert({
    where: { id: `offline_${shop}` },
    create: { id: `offline_${shop}`, shop, state: "", isOnline: false, scope, accessToken: DEMO_ACCESS_TOKEN },
    update: { scope, accessToken: DEMO_ACCESS_TOKEN, expires: null },
  });
}

export async function seedDemo({ reset = false }: { reset?: boolean } = {}): Promise<SeedSummary> {
  const prisma = await loadPrisma();
  const shop = DEMO_SHOP;
  if (reset) await wipeShop(prisma, shop);
  const existing = await prisma.shop.findUnique({ where: { domain: shop }, select: { id: true } });
  if (existing) {
    await storeDemoSession(prisma, shop);
    const [keys, orders, tags] = await Promise.all([
      prisma.licenseKey.count({ where: { shopId: existing.id } }),
      prisma.order.count({ where: { shopId: existing.id } }),
      prisma.tag.findMany({ where: { shopId: existing.id }, select: { name: true }, orderBy: { id: "asc" } }),
    ]);
    return { seeded: false, shop, keys, orders, tags: tags.map((t) => t.name) };
  }

  const { ensureShop } = await import("~/models/shop.server");
  const row = await ensureShop(shop);
  await prisma.shop.update({
    where: { id: row.id },
    data: { name: DEMO_SHOP_NAME, email: DEMO_SHOP_EMAIL, ianaTimezone: DEMO_TIMEZONE, installedAt: new Date(Date.now() - 120 * DAY) },
  });
  await storeDemoSession(prisma, shop);

  const plan = planDemoData();
  const shopId = row.id;
  const iso = (d: Date | null) => (d ? d.toISOString() : null);

  await prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`
        INSERT INTO "tag" ("shop_id", "name", "kind", "low_stock_threshold", "created_at", "updated_at")
        SELECT ${shopId}, t.name, 'USER', t.threshold, now() - interval '90 days', now()
        FROM unnest(${DEMO_TAGS.map((t) => t.name)}::text[], ${DEMO_TAGS.map((t) => t.lowStockThreshold ?? null)}::int[]) AS t(name, threshold)`;
      const tags = await tx.tag.findMany({ where: { shopId }, select: { id: true, name: true, kind: true } });
      const tagId = (name: string | null) =>
        name === null
          ? tags.find((t) => t.kind === "AUTO_GENERATED")!.id
          : name === ""
            ? tags.find((t) => t.kind === "UNTAGGED")!.id
            : tags.find((t) => t.name === name)!.id;

      const links = LINKS.map((link) => {
        const product = DEMO_PRODUCTS.find((p) => p.handle === link.handle)!;
        const variant = product.variants.find((v) => v.id === link.variantId);
        return { link, product, variant };
      });
      await tx.$executeRaw`
        INSERT INTO "product_link" ("shop_id", "product_id", "variant_id", "product_title", "variant_title", "source", "tag_id",
                                    "keys_per_unit", "auto_pattern", "auto_prefix", "created_at", "updated_at")
        SELECT ${shopId}, l.product_id, l.variant_id, l.product_title, l.variant_title, l.source::"LinkSource", l.tag_id,
               l.keys_per_unit, l.auto_pattern, l.auto_prefix, now() - interval '85 days', now()
        FROM unnest(
          ${links.map((l) => String(l.product.id))}::bigint[],
          ${links.map((l) => (l.variant ? String(l.variant.id) : null))}::bigint[],
          ${links.map((l) => l.product.title)}::text[],
          ${links.map((l) => l.variant?.title ?? null)}::text[],
          ${links.map((l) => (l.link.auto ? "AUTO_GENERATE" : "TAG"))}::text[],
          ${links.map((l) => (l.link.auto ? null : tagId(l.link.tag)))}::int[],
          ${links.map((l) => l.link.keysPerUnit ?? 1)}::int[],
          ${links.map((l) => l.link.auto?.pattern ?? null)}::text[],
          ${links.map((l) => l.link.auto?.prefix ?? null)}::text[]
        ) AS l(product_id, variant_id, product_title, variant_title, source, tag_id, keys_per_unit, auto_pattern, auto_prefix)`;

      const orderRows = await tx.$queryRaw<Array<{ id: number }>>`
        INSERT INTO "order" ("shop_id", "shopify_id", "name", "email", "customer_id", "confirmation_number", "financial_status",
                             "carries_keys", "shortfall", "placed_at", "paid_at", "created_at", "updated_at")
        SELECT ${shopId}, o.shopify_id, o.name, o.email, o.customer_id, o.confirmation_number, 'paid',
               true, o.shortfall, o.placed_at, o.placed_at, o.placed_at, o.placed_at
        FROM unnest(
          ${plan.orders.map((o) => String(o.shopifyId))}::bigint[],
          ${plan.orders.map((o) => o.name)}::text[],
          ${plan.orders.map((o) => o.email)}::text[],
          ${plan.orders.map((o) => (o.customerId === null ? null : String(o.customerId)))}::bigint[],
          ${plan.orders.map((o) => o.confirmationNumber)}::text[],
          ${plan.orders.map((o) => o.shortfall)}::int[],
          ${plan.orders.map((o) => iso(o.placedAt))}::timestamp[]
        ) WITH ORDINALITY AS o(shopify_id, name, email, customer_id, confirmation_number, shortfall, placed_at, ord)
        ORDER BY o.ord
        RETURNING "id"`;
      // Serial ids are drawn in the SELECT's ORDER BY order, so sorted ids line up with the plan.
      const orderIds = orderRows.map((r) => r.id).sort((a, b) => a - b);

      const lineRows = await tx.$queryRaw<Array<{ id: number }>>`
        INSERT INTO "order_line" ("shop_id", "order_id", "line_item_id", "product_id", "variant_id", "title", "quantity", "source",
                                  "tag_id", "keys_per_unit", "keys_needed", "keys_assigned", "auto_pattern", "auto_prefix", "created_at")
        SELECT ${shopId}, l.order_id, l.line_item_id, l.product_id, l.variant_id, l.title, l.quantity, l.source::"LinkSource",
               l.tag_id, l.keys_needed / l.quantity, l.keys_needed, l.keys_assigned, l.auto_pattern, l.auto_prefix, o.placed_at
        FROM unnest(
          ${plan.lines.map((l) => orderIds[l.order])}::int[],
          ${plan.lines.map((l) => String(l.lineItemId))}::bigint[],
          ${plan.lines.map((l) => String(l.productId))}::bigint[],
          ${plan.lines.map((l) => String(l.variantId))}::bigint[],
          ${plan.lines.map((l) => l.title)}::text[],
          ${plan.lines.map((l) => l.quantity)}::int[],
          ${plan.lines.map((l) => l.source)}::text[],
          ${plan.lines.map((l) => (l.source === "AUTO_GENERATE" ? null : tagId(l.tag)))}::int[],
          ${plan.lines.map((l) => l.keysNeeded)}::int[],
          ${plan.lines.map((l) => l.keysAssigned)}::int[],
          ${plan.lines.map((l) => l.autoPattern)}::text[],
          ${plan.lines.map((l) => l.autoPrefix)}::text[]
        ) WITH ORDINALITY AS l(order_id, line_item_id, product_id, variant_id, title, quantity, source, tag_id, keys_needed, keys_assigned,
                               auto_pattern, auto_prefix, ord)
        JOIN "order" o ON o."id" = l.order_id
        ORDER BY l.ord
        RETURNING "id"`;
      const lineIds = lineRows.map((r) => r.id).sort((a, b) => a - b);

      // Keys first, then their tag memberships with the key's status copied (the triggers count them).
      const keys = plan.keys;
      await tx.$executeRaw`
        WITH planned AS (
          SELECT * FROM unnest(
            ${keys.map((k) => k.value)}::text[],
            ${keys.map((k) => k.type)}::text[],
            ${keys.map((k) => k.status)}::text[],
            ${keys.map((k) => iso(k.createdAt))}::timestamp[],
            ${keys.map((k) => iso(k.assignedAt))}::timestamp[],
            ${keys.map((k) => iso(k.usedAt))}::timestamp[],
            ${keys.map((k) => (k.order === null ? null : orderIds[k.order]))}::int[],
            ${keys.map((k) => (k.line === null ? null : lineIds[k.line]))}::int[],
            ${keys.map((k) => [tagId(k.tag), ...k.extraTags.map(tagId)].join(","))}::text[]
          ) WITH ORDINALITY AS p(value, type, status, created_at, assigned_at, used_at, order_id, order_line_id, tag_ids, ord)
        ),
        inserted AS (
          INSERT INTO "license_key" ("shop_id", "value", "type", "status", "created_at", "assigned_at", "used_at", "order_id", "order_line_id")
          SELECT ${shopId}, value, type::"KeyType", status::"KeyStatus", created_at, assigned_at, used_at, order_id, order_line_id
          FROM planned ORDER BY ord
          RETURNING "id", "status"
        ),
        numbered AS (
          SELECT i."id", i."status", row_number() OVER (ORDER BY i."id") AS ord FROM inserted i
        )
        INSERT INTO "key_tag" ("tag_id", "key_id", "shop_id", "status")
        SELECT t.tag_id::int, n."id", ${shopId}, n."status"
        FROM numbered n
        JOIN planned p ON p.ord = n.ord
        CROSS JOIN LATERAL unnest(string_to_array(p.tag_ids, ',')) AS t(tag_id)`;
    },
    { timeout: 60_000 },
  );

  return {
    seeded: true,
    shop,
    keys: plan.keys.length,
    orders: plan.orders.length,
    tags: DEMO_TAGS.map((t) => t.name),
  };
}
