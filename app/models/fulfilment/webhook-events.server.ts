// Webhook idempotency, the rule every webhook handler follows: a delivery is recognised by its
// event id (Shopify repeats X-Shopify-Event-Id on every retry), recorded in webhook_event in the
// same transaction or statement as the work it triggers. So an event counts as handled exactly
// when its work committed, and a redelivery does nothing.
import { col, prepared, sql, type Db, type Sql } from "~/sql.server";

export interface WebhookEventRef {
  shopDomain: string;
  topic: string;
  eventId: string;
  webhookId?: string;
}

/** Shopify's GraphQL topic names (ORDERS_CREATE) and REST ones (orders/create) alike, as REST's. */
export function normaliseTopic(topic: string) {
  return topic.toLowerCase().replace("_", "/");
}

/**
 * The one INSERT into webhook_event. `rows` yields (shop_domain, topic, event_id, webhook_id);
 * the statement returns the events recorded now, so a redelivered one is missing from its result.
 * Rows are written in key order: two statements recording events at once wait in one direction only.
 */
export function recordWebhookEvents(rows: Sql) {
  return sql`
    INSERT INTO "webhook_event" ("shop_domain", "topic", "event_id", "webhook_id", "processed_at")
    SELECT r.shop_domain, r.topic, r.event_id, r.webhook_id, now() FROM (${rows}) r
    ORDER BY r.shop_domain, r.topic, r.event_id
    ON CONFLICT DO NOTHING
    RETURNING "shop_domain", "topic", "event_id"`;
}

/** recordWebhookEvents for one event. */
export function recordWebhookEvent(event: WebhookEventRef) {
  return recordWebhookEvents(sql`
    SELECT ${event.shopDomain}::text AS shop_domain, ${event.topic}::text AS topic, ${event.eventId}::text AS event_id,
      ${event.webhookId ?? ""}::text AS webhook_id`);
}

const recorded = { shop_domain: col.text, topic: col.text, event_id: col.text };

/** Records a webhook event in `db`'s transaction; false when it was handled before. */
export async function claimWebhookEvent(db: Db, event: WebhookEventRef) {
  const rows = await db.rows(recorded, prepared("keyshelf_claim_event", recordWebhookEvent(event)));
  return rows.length === 1;
}
