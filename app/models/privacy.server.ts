// The app's lifecycle and privacy webhooks: app/uninstalled, app/scopes_update and the mandatory
// compliance topics (customers/data_request, customers/redact, shop/redact). Each is idempotent:
// its event id is recorded in the same transaction as its work.
import {
  customerDataRequestSchema,
  customerRedactSchema,
  parsePayload,
  scopesUpdateSchema,
} from "~/lib/shopify-payloads";
import { forgetShopSessions } from "~/session-cache.server";
import { prismaDb, transaction } from "~/sql.server";
import { recordAudit } from "./audit.server";
import { claimWebhookEvent } from "./fulfilment/webhook-events.server";

export interface LifecycleEvent {
  shopDomain: string;
  topic: string;
  eventId: string;
  webhookId?: string;
  /** X-Shopify-Triggered-At: when Shopify raised the event (absent on old deliveries). */
  triggeredAt?: string;
  payload: unknown;
}

type Outcome = "duplicate" | "ignored" | "done";

function triggered(event: LifecycleEvent) {
  const date = event.triggeredAt ? new Date(event.triggeredAt) : null;
  return date && !Number.isNaN(date.getTime()) ? date : null;
}

/**
 * app/uninstalled: the shop's sessions go (its access token is dead) and the shop is marked
 * uninstalled; keys and orders stay until shop/redact, in case the merchant comes back. A late
 * delivery from before a reinstall changes nothing.
 */
export async function uninstallShop(event: LifecycleEvent): Promise<Outcome> {
  const outcome = await transaction(async (tx) => {
    if (!(await claimWebhookEvent(prismaDb(tx), { ...event, topic: "app/uninstalled" }))) return "duplicate";
    const shop = await tx.shop.findUnique({
      where: { domain: event.shopDomain },
      select: { id: true, installedAt: true },
    });
    const at = triggered(event);
    if (shop && at && shop.installedAt > at) return "ignored";
    await tx.session.deleteMany({ where: { shop: event.shopDomain } });
    if (shop) {
      await tx.shop.updateMany({
        where: { id: shop.id, uninstalledAt: null },
        data: { uninstalledAt: at ?? new Date() },
      });
    }
    return "done" as Outcome;
  });
  // The session rows changed outside the session storage: no cached copy may outlive them here.
  if (outcome === "done") forgetShopSessions(event.shopDomain);
  return outcome;
}

/** app/scopes_update: stored sessions carry the scopes the merchant granted now. */
export async function updateGrantedScopes(event: LifecycleEvent): Promise<Outcome> {
  const { current } = parsePayload(scopesUpdateSchema, event.payload);
  const outcome = await transaction(async (tx) => {
    if (!(await claimWebhookEvent(prismaDb(tx), { ...event, topic: "app/scopes_update" }))) return "duplicate";
    await tx.session.updateMany({ where: { shop: event.shopDomain }, data: { scope: current.join(",") } });
    return "done" as Outcome;
  });
  if (outcome === "done") forgetShopSessions(event.shopDomain);
  return outcome;
}

function sameCustomer(customer: { id: bigint | null; email: string | null }, orderIds: bigint[]) {
  const or: Array<Record<string, unknown>> = [];
  if (customer.id !== null) or.push({ customerId: customer.id });
  if (customer.email) or.push({ email: { equals: customer.email, mode: "insensitive" } });
  if (orderIds.length) or.push({ shopifyId: { in: orderIds } });
  return or;
}

/**
 * customers/data_request: the merchant receives, by email, everything the app holds about that
 * customer (their orders and the licence keys given to them), to pass on within 30 days.
 */
export async function compileCustomerData(event: LifecycleEvent): Promise<Outcome> {
  const request = parsePayload(customerDataRequestSchema, event.payload);
  return transaction(async (tx) => {
    if (!(await claimWebhookEvent(prismaDb(tx), { ...event, topic: "customers/data_request" }))) return "duplicate";
    const shop = await tx.shop.findUnique({ where: { domain: event.shopDomain } });
    if (!shop) return "ignored";
    const or = sameCustomer(request.customer, request.orders_requested);
    const orders = or.length
      ? await tx.order.findMany({
          where: { shopId: shop.id, OR: or },
          orderBy: [{ placedAt: "asc" }, { id: "asc" }],
          select: {
            name: true,
            shopifyId: true,
            email: true,
            customerFirstName: true,
            customerLocale: true,
            placedAt: true,
            cancelledAt: true,
            keys: {
              orderBy: { id: "asc" },
              select: {
                value: true,
                status: true,
                assignedAt: true,
                usedAt: true,
                retiredAt: true,
                orderLine: { select: { title: true } },
              },
            },
          },
        })
      : [];
    const who = [request.customer.email, request.customer.id !== null ? `customer id ${request.customer.id}` : null]
      .filter(Boolean)
      .join(", ");
    const lines = [
      `Shopify forwarded a customer data request for ${who || "a customer"} in ${shop.name || shop.domain}.`,
      "Below is everything Keyshelf stores about this customer: their orders and the licence keys given to them.",
      "Send it to the customer (Shopify expects an answer within 30 days).",
      "",
    ];
    if (orders.length === 0) lines.push("Keyshelf holds no orders or licence keys for this customer.");
    for (const order of orders) {
      lines.push(
        `Order ${order.name || order.shopifyId} (Shopify order ${order.shopifyId}), placed ${order.placedAt.toISOString()}` +
          (order.cancelledAt ? `, cancelled ${order.cancelledAt.toISOString()}` : ""),
      );
      if (order.email) lines.push(`  Email: ${order.email}`);
      if (order.customerFirstName) lines.push(`  First name: ${order.customerFirstName}`);
      if (order.customerLocale) lines.push(`  Language: ${order.customerLocale}`);
      if (order.keys.length === 0) lines.push("  No licence keys.");
      for (const key of order.keys) {
        const seen = key.usedAt ? `, viewed ${key.usedAt.toISOString()}` : "";
        const retired = key.retiredAt ? `, withdrawn ${key.retiredAt.toISOString()}` : "";
        lines.push(
          `  ${key.orderLine?.title ?? "Licence key"}: ${key.value} (${key.status.toLowerCase()}${seen}${retired})`,
        );
      }
    }
    const to = shop.reportEmail || shop.email;
    if (to) {
      await tx.mailMessage.create({
        data: {
          shopId: shop.id,
          kind: "DATA_REQUEST",
          to,
          subject: `Customer data request${request.customer.email ? ` for ${request.customer.email}` : ""}`,
          text: lines.join("\n"),
        },
      });
    }
    await recordAudit({
      tx,
      shopId: shop.id,
      actor: "Shopify",
      action: "privacy.data_request",
      summary: to
        ? `Shopify forwarded a customer data request: ${orders.length} ${orders.length === 1 ? "order" : "orders"} emailed to ${to}`
        : "Shopify forwarded a customer data request; no email address is set to send it to (Settings)",
      count: orders.length,
    });
    return "done";
  });
}

/** customers/redact: the customer's identifiers leave their orders; the keys (the shop's stock) stay. */
export async function redactCustomer(event: LifecycleEvent): Promise<Outcome> {
  const request = parsePayload(customerRedactSchema, event.payload);
  return transaction(async (tx) => {
    if (!(await claimWebhookEvent(prismaDb(tx), { ...event, topic: "customers/redact" }))) return "duplicate";
    const shop = await tx.shop.findUnique({ where: { domain: event.shopDomain }, select: { id: true } });
    if (!shop) return "ignored";
    const or = sameCustomer(request.customer, request.orders_to_redact);
    const orders = or.length
      ? await tx.order.findMany({ where: { shopId: shop.id, OR: or }, select: { id: true } })
      : [];
    const orderIds = orders.map((order) => order.id);
    const { count } = await tx.order.updateMany({
      where: { shopId: shop.id, id: { in: orderIds } },
      data: { customerId: null, email: null, customerFirstName: null, customerLocale: null },
    });
    // The delivery emails' records keep their state, not the address they went to.
    await tx.mailMessage.updateMany({
      where: { shopId: shop.id, delivery: { orderId: { in: orderIds } } },
      data: { to: "" },
    });
    await recordAudit({
      tx,
      shopId: shop.id,
      actor: "Shopify",
      action: "privacy.redact_customer",
      summary: `Shopify asked to erase a customer: their email, name and customer id were removed from ${count} ${count === 1 ? "order" : "orders"}`,
      count,
    });
    return "done";
  });
}

/** shop/redact (48 hours after uninstalling): every row of the shop goes, keys included. */
export async function redactShop(event: LifecycleEvent): Promise<Outcome> {
  const outcome = await transaction(
    async (tx) => {
      if (!(await claimWebhookEvent(prismaDb(tx), { ...event, topic: "shop/redact" }))) return "duplicate";
      const shop = await tx.shop.findUnique({
        where: { domain: event.shopDomain },
        select: { id: true, installedAt: true, uninstalledAt: true },
      });
      const at = triggered(event);
      // Reinstalled after Shopify scheduled the erasure: the merchant is using the app again.
      if (shop && !shop.uninstalledAt && at && shop.installedAt > at) return "ignored";
      await tx.session.deleteMany({ where: { shop: event.shopDomain } });
      // Cascades to tags, keys, links, orders, jobs, exports, mail and the activity log.
      if (shop) await tx.shop.delete({ where: { id: shop.id } });
      await tx.webhookEvent.deleteMany({ where: { shopDomain: event.shopDomain, NOT: { topic: "shop/redact" } } });
      return "done" as Outcome;
    },
    { timeout: 600_000 },
  );
  if (outcome === "done") forgetShopSessions(event.shopDomain);
  return outcome;
}
