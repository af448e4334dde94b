// The parts of Shopify's webhook payloads the app reads, validated at the edge. Real payloads vary
// (custom line items without product_id, gift cards, `customer: null`, `email: ""`, draft orders),
// so everything optional is optional here and unknown fields are ignored.
import { z } from "zod";
import { int4Count, isPlainText, shopifyIdSchema } from "./input";

/** Shopify ids arrive as JSON numbers (below 2^53) or, in some payloads, as numeric strings. */
const shopifyId = shopifyIdSchema;
/** Text a store sends: anything PostgreSQL can store (a NUL byte is no real store's). */
const storeText = z.string().refine(isPlainText, "Text with control characters");
// `.nullable()` rather than a union with z.null(): a union tries its first member and builds a
// ZodError for every null before accepting it (gift cards and custom lines carry null ids).
const optionalId = shopifyId
  .nullable()
  .optional()
  .transform((v) => v ?? null);
const optionalText = storeText
  .nullable()
  .optional()
  .transform((v) => (v == null || v.trim() === "" ? null : v.trim()));
const timestamp = z
  .string()
  .nullable()
  .optional()
  .transform((v) => {
    if (!v) return null;
    const date = new Date(v);
    return Number.isNaN(date.getTime()) ? null : date;
  });

export const lineItemSchema = z.object({
  id: shopifyId,
  product_id: optionalId,
  variant_id: optionalId,
  title: storeText
    .nullish()
    .transform((v) => v ?? ""),
  variant_title: storeText.nullish(),
  quantity: int4Count,
  gift_card: z
    .boolean()
    .nullish()
    .transform((v) => v ?? false),
});

export const orderPayloadSchema = z.object({
  id: shopifyId,
  name: storeText
    .nullish()
    .transform((v) => v ?? ""),
  email: optionalText,
  contact_email: optionalText,
  // The customer's language at checkout (e.g. "de", "en-DE"): the delivery email's language.
  customer_locale: optionalText,
  customer: z
    .object({ id: shopifyId, email: optionalText, first_name: optionalText })
    .passthrough()
    .nullish()
    .transform((v) => v ?? null),
  billing_address: z
    .object({ first_name: optionalText })
    .passthrough()
    .nullish()
    .transform((v) => v ?? null),
  confirmation_number: optionalText,
  financial_status: optionalText,
  created_at: timestamp,
  cancelled_at: timestamp,
  line_items: z.array(lineItemSchema).max(10_000).default([]),
});

export type OrderPayload = z.infer<typeof orderPayloadSchema>;
export type LineItem = z.infer<typeof lineItemSchema>;

export const refundPayloadSchema = z.object({
  id: shopifyId,
  order_id: shopifyId,
  refund_line_items: z
    .array(z.object({ line_item_id: shopifyId, quantity: int4Count }))
    .default([]),
});

const complianceCustomer = z.object({ id: optionalId, email: optionalText, phone: optionalText }).passthrough();

export const customerDataRequestSchema = z.object({
  shop_domain: z.string().optional(),
  customer: complianceCustomer,
  orders_requested: z.array(shopifyId).default([]),
  data_request: z.object({ id: shopifyId }).passthrough().nullish(),
});

export const customerRedactSchema = z.object({
  shop_domain: z.string().optional(),
  customer: complianceCustomer,
  orders_to_redact: z.array(shopifyId).default([]),
});

export const scopesUpdateSchema = z.object({
  current: z.array(z.string()).default([]),
  previous: z.array(z.string()).default([]),
});

/** The email a customer gave: the order's, else the checkout contact's, else the customer record's. */
export function orderEmail(order: OrderPayload) {
  return order.email ?? order.contact_email ?? order.customer?.email ?? null;
}

/** The first name the delivery email greets: the customer record's, else the billing address's. */
export function customerFirstName(order: OrderPayload) {
  return order.customer?.first_name ?? order.billing_address?.first_name ?? null;
}

/** Custom line items (no product) and gift cards never carry licence keys. */
export function isKeyCandidate(line: LineItem) {
  return line.product_id !== null && !line.gift_card && line.quantity > 0;
}

/** A webhook payload that does not have the shape Shopify sends (the webhook answers 400). */
export class InvalidPayloadError extends Error {
  constructor(public readonly issues: string) {
    super(`Invalid webhook payload: ${issues}`);
  }
}

/** A payload checked against its schema: the data, or InvalidPayloadError naming what is wrong. */
export function parsePayload<S extends z.ZodTypeAny>(schema: S, payload: unknown): z.output<S> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) throw new InvalidPayloadError(parsed.error.message);
  return parsed.data;
}
