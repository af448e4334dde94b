// orders/create webhooks as Shopify sends them (same field set as the captured payloads in
// ../shared/fixtures/shopify-webhooks/), for the demo's products, signed with the app's secret.
import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
import { DEMO_CURRENCY, DEMO_CUSTOMERS, DEMO_SHOP, type DemoCustomer, type DemoProduct, type DemoVariant } from "./catalog";

export const WEBHOOK_API_VERSION = "2026-07";

export interface OrderLineInput {
  product: DemoProduct;
  variant: DemoVariant;
  quantity: number;
}

export interface OrderPayloadOptions {
  lines: OrderLineInput[];
  orderNumber: number;
  /** A demo customer, an ad-hoc one (email only), or null for an order without customer. */
  customer: DemoCustomer | null;
  /** Overrides the order's email; "" as in draft orders without a customer. */
  email?: string;
  financialStatus?: "paid" | "pending" | "authorized";
  shop?: string;
  now?: Date;
  /** Unique ids: defaults derive from the clock and randomness. */
  orderId?: number;
}

const money = (amount: string) => ({
  shop_money: { amount, currency_code: DEMO_CURRENCY },
  presentment_money: { amount, currency_code: DEMO_CURRENCY },
});

const cents = (amount: string) => Math.round(Number(amount) * 100);
const amount = (value: number) => (value / 100).toFixed(2);

/** Shopify's timestamps: seconds precision with the shop's offset (the demo's shop is in Berlin). */
function shopTime(date: Date) {
  const offsetMinutes = -new Date(date).getTimezoneOffset();
  const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes >= 0 ? "+" : "-";
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** A Shopify-sized id (13-14 digits) that does not repeat between runs. */
export function freshShopifyId(base: number) {
  return base + (Date.now() % 100_000_000_000) * 10 + Math.floor(Math.random() * 10);
}

/** A customer for an email: the demo customer with that email, or a stable ad-hoc one. */
export function customerForEmail(email: string): DemoCustomer {
  const known = DEMO_CUSTOMERS.find((c) => c.email.toLowerCase() === email.toLowerCase());
  if (known) return known;
  const digest = createHash("sha256").update(email.toLowerCase()).digest();
  const local = email.split("@")[0] ?? "customer";
  return {
    id: 7400000000000 + (digest.readUInt32BE(0) % 1_000_000_000),
    firstName: local.charAt(0).toUpperCase() + local.slice(1),
    lastName: "Customer",
    email,
  };
}

function customerPayload(customer: DemoCustomer, createdAt: string) {
  return {
    id: customer.id,
    email: customer.email,
    created_at: createdAt,
    updated_at: createdAt,
    first_name: customer.firstName,
    last_name: customer.lastName,
    state: "enabled",
    note: null,
    verified_email: true,
    multipass_identifier: null,
    tax_exempt: false,
    phone: null,
    email_marketing_consent: { state: "not_subscribed", opt_in_level: "single_opt_in", consent_updated_at: null },
    sms_marketing_consent: null,
    tags: "",
    currency: DEMO_CURRENCY,
    tax_exemptions: [],
    admin_graphql_api_id: `gid://shopify/Customer/${customer.id}`,
    default_address: { id: customer.id + 1, customer_id: customer.id, ...address(customer), default: true },
  };
}

function address(customer: DemoCustomer) {
  return {
    first_name: customer.firstName,
    last_name: customer.lastName,
    company: null,
    address1: "Friedrichstraße 68",
    address2: null,
    city: "Berlin",
    province: null,
    country: "Germany",
    zip: "10117",
    phone: null,
    name: `${customer.firstName} ${customer.lastName}`,
    province_code: null,
    country_code: "DE",
    country_name: "Germany",
  };
}

export function buildOrderPayload(options: OrderPayloadOptions) {
  const shop = options.shop ?? DEMO_SHOP;
  const now = options.now ?? new Date();
  const timestamp = shopTime(now);
  const orderId = options.orderId ?? freshShopifyId(6_400_000_000_000);
  const customer = options.customer;
  const email = options.email ?? customer?.email ?? "";
  const token = randomBytes(16).toString("hex");

  const lineItems = options.lines.map((line, index) => {
    const id = freshShopifyId(17_000_000_000_000) + index * 1_000;
    const defaultVariant = line.variant.title === "Default Title";
    return {
      id,
      admin_graphql_api_id: `gid://shopify/LineItem/${id}`,
      attributed_staffs: [],
      current_quantity: line.quantity,
      fulfillable_quantity: line.quantity,
      fulfillment_service: "manual",
      fulfillment_status: null,
      gift_card: false,
      grams: 0,
      name: defaultVariant ? line.product.title : `${line.product.title} - ${line.variant.title}`,
      price: line.variant.price,
      price_set: money(line.variant.price),
      product_exists: true,
      product_id: line.product.id,
      properties: [],
      quantity: line.quantity,
      requires_shipping: line.product.handle === "printed-manual",
      sku: line.variant.sku,
      taxable: true,
      title: line.product.title,
      total_discount: "0.00",
      total_discount_set: money("0.00"),
      variant_id: line.variant.id,
      variant_inventory_management: null,
      variant_title: defaultVariant ? null : line.variant.title,
      vendor: "Keyshelf Demo",
      tax_lines: [],
      duties: [],
      discount_allocations: [],
    };
  });

  // Prices include 19% VAT, as in a German store.
  const subtotal = options.lines.reduce((sum, line) => sum + cents(line.variant.price) * line.quantity, 0);
  const tax = Math.round(subtotal - subtotal / 1.19);
  const financialStatus = options.financialStatus ?? "paid";
  const outstanding = financialStatus === "paid" ? "0.00" : amount(subtotal);
  const confirmation = randomBytes(8)
    .toString("base64")
    .replace(/[^A-Z0-9]/gi, "")
    .toUpperCase()
    .padEnd(9, "X")
    .slice(0, 9);
  const taxLines = tax ? [{ price: amount(tax), rate: 0.19, title: "MwSt", price_set: money(amount(tax)), channel_liable: false }] : [];

  return {
    id: orderId,
    admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
    app_id: 580111,
    browser_ip: "203.0.113.24",
    buyer_accepts_marketing: false,
    cancel_reason: null,
    cancelled_at: null,
    cart_token: randomBytes(12).toString("hex"),
    checkout_id: freshShopifyId(38_000_000_000_000),
    checkout_token: randomBytes(16).toString("hex"),
    client_details: {
      accept_language: "en-DE",
      browser_height: 900,
      browser_ip: "203.0.113.24",
      browser_width: 1440,
      session_hash: null,
      user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    },
    closed_at: null,
    company: null,
    confirmation_number: confirmation,
    confirmed: true,
    contact_email: email || null,
    created_at: timestamp,
    currency: DEMO_CURRENCY,
    current_shipping_price_set: money("0.00"),
    current_subtotal_price: amount(subtotal),
    current_subtotal_price_set: money(amount(subtotal)),
    current_total_additional_fees_set: null,
    current_total_discounts: "0.00",
    current_total_discounts_set: money("0.00"),
    current_total_duties_set: null,
    current_total_price: amount(subtotal),
    current_total_price_set: money(amount(subtotal)),
    current_total_tax: amount(tax),
    current_total_tax_set: money(amount(tax)),
    customer_locale: "en-DE",
    device_id: null,
    discount_codes: [],
    duties_included: false,
    email,
    estimated_taxes: false,
    financial_status: financialStatus,
    fulfillment_status: null,
    landing_site: "/",
    landing_site_ref: null,
    location_id: null,
    merchant_business_entity_id: "MTkxNzQwODY0ODEy",
    merchant_of_record_app_id: null,
    name: `#${options.orderNumber}`,
    note: null,
    note_attributes: [],
    number: options.orderNumber - 1000,
    order_number: options.orderNumber,
    order_status_url: `https://${shop}/91000000001/orders/${token}/authenticate?key=${randomBytes(16).toString("hex")}`,
    original_total_additional_fees_set: null,
    original_total_duties_set: null,
    payment_gateway_names: financialStatus === "paid" ? ["shopify_payments"] : ["manual"],
    payment_terms: null,
    phone: null,
    po_number: null,
    presentment_currency: DEMO_CURRENCY,
    processed_at: timestamp,
    reference: null,
    referring_site: null,
    source_identifier: null,
    source_name: "web",
    source_url: null,
    subtotal_price: amount(subtotal),
    subtotal_price_set: money(amount(subtotal)),
    tags: "",
    tax_exempt: false,
    tax_lines: taxLines,
    taxes_included: true,
    test: false,
    token,
    total_cash_rounding_payment_adjustment_set: money("0.00"),
    total_cash_rounding_refund_adjustment_set: money("0.00"),
    total_discounts: "0.00",
    total_discounts_set: money("0.00"),
    total_line_items_price: amount(subtotal),
    total_line_items_price_set: money(amount(subtotal)),
    total_outstanding: outstanding,
    total_price: amount(subtotal),
    total_price_set: money(amount(subtotal)),
    total_shipping_price_set: money("0.00"),
    total_tax: amount(tax),
    total_tax_set: money(amount(tax)),
    total_tip_received: "0.00",
    total_weight: 0,
    updated_at: timestamp,
    user_id: null,
    billing_address: customer ? address(customer) : null,
    customer: customer ? customerPayload(customer, timestamp) : null,
    discount_applications: [],
    fulfillments: [],
    line_items: lineItems,
    refunds: [],
    returns: [],
    shipping_address: null,
    shipping_lines: [],
  };
}

/** The headers of a webhook delivery, with the body's HMAC (base64 HMAC-SHA256 with the API secret). */
export function signedWebhookHeaders(options: { topic: string; shop?: string; body: string; secret: string; eventId?: string; webhookId?: string }) {
  return {
    "Content-Type": "application/json",
    "User-Agent": "Shopify-Captain-Hook",
    "X-Shopify-Topic": options.topic,
    "X-Shopify-Shop-Domain": options.shop ?? DEMO_SHOP,
    "X-Shopify-Hmac-Sha256": createHmac("sha256", options.secret).update(options.body, "utf8").digest("base64"),
    "X-Shopify-Webhook-Id": options.webhookId ?? randomUUID(),
    "X-Shopify-Event-Id": options.eventId ?? randomUUID(),
    "X-Shopify-API-Version": WEBHOOK_API_VERSION,
    "X-Shopify-Triggered-At": new Date().toISOString(),
  };
}
