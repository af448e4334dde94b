// demo:order sends what Shopify sends: the captured payloads' field set, fresh ids, a valid HMAC.
import { FIXTURES_DIR } from "tests/helpers/fixtures";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEMO_CUSTOMERS, DEMO_PRODUCTS, DEMO_SHOP } from "~/demo/catalog";
import { parseOrderArgs, UsageError } from "~/demo/order-command";
import { buildOrderPayload, customerForEmail, signedWebhookHeaders } from "~/demo/order-payload";

const fixture = (name: string) =>
  JSON.parse(readFileSync(`${FIXTURES_DIR}/${name}`, "utf8")) as Record<string, unknown> & {
    line_items: Array<Record<string, unknown>>;
  };
const keys = (value: object) => Object.keys(value).sort();

const [photoforge, codevault] = DEMO_PRODUCTS;

describe("orders/create payloads of the demo", () => {
  const payload = buildOrderPayload({
    lines: [
      { product: photoforge, variant: photoforge.variants[1], quantity: 2 },
      { product: codevault, variant: codevault.variants[0], quantity: 1 },
    ],
    orderNumber: 1234,
    customer: DEMO_CUSTOMERS[0],
  });

  it.each(["orders-create-shipping.json", "orders-create-discounted.json", "orders-create-draft-no-customer.json"])(
    "has exactly the fields of Shopify's %s, on the order and on each line item",
    (name) => {
      const real = fixture(name);
      expect(keys(payload)).toEqual(keys(real));
      for (const line of payload.line_items) expect(keys(line)).toEqual(keys(real.line_items[0]));
    },
  );

  it("names the order, its customer and its products as Shopify does", () => {
    expect(payload.name).toBe("#1234");
    expect(payload.order_number).toBe(1234);
    expect(payload.admin_graphql_api_id).toBe(`gid://shopify/Order/${payload.id}`);
    expect(payload.email).toBe(DEMO_CUSTOMERS[0].email);
    expect(payload.customer).toMatchObject({ id: DEMO_CUSTOMERS[0].id, admin_graphql_api_id: `gid://shopify/Customer/${DEMO_CUSTOMERS[0].id}` });
    expect(payload.confirmation_number).toMatch(/^[A-Z0-9]{9}$/);
    expect(payload.line_items.map((l) => [l.product_id, l.variant_id, l.quantity, l.variant_title, l.title])).toEqual([
      [photoforge.id, photoforge.variants[1].id, 2, "5 seats", "PhotoForge Pro"],
      [codevault.id, codevault.variants[0].id, 1, null, "CodeVault IDE"],
    ]);
    expect(payload.total_price).toBe("487.00");
    expect(payload.financial_status).toBe("paid");
  });

  it("uses fresh ids on every order and line item", () => {
    const again = buildOrderPayload({ lines: [{ product: photoforge, variant: photoforge.variants[0], quantity: 1 }], orderNumber: 1235, customer: null });
    expect(again.id).not.toBe(payload.id);
    const lineIds = [...payload.line_items, ...again.line_items].map((l) => l.id);
    expect(new Set(lineIds).size).toBe(lineIds.length);
    expect(Number.isSafeInteger(again.id)).toBe(true);
  });

  it("leaves customer null and email empty for an order without customer, like a draft order", () => {
    const draft = buildOrderPayload({ lines: [{ product: codevault, variant: codevault.variants[0], quantity: 1 }], orderNumber: 1236, customer: null, email: "" });
    expect(draft.customer).toBeNull();
    expect(draft.email).toBe("");
  });

  it("signs the raw body with the API secret and sends every webhook header", () => {
    const body = JSON.stringify(payload);
    const headers = signedWebhookHeaders({ topic: "orders/create", body, secret: "s3cret" });
    expect(headers["X-Shopify-Hmac-Sha256"]).toBe(createHmac("sha256", "s3cret").update(body).digest("base64"));
    expect(headers).toMatchObject({ "X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": DEMO_SHOP, "X-Shopify-API-Version": "2026-07" });
    for (const name of ["X-Shopify-Webhook-Id", "X-Shopify-Event-Id", "X-Shopify-Triggered-At"]) {
      expect(headers[name as keyof typeof headers]).toBeTruthy();
    }
  });
});

describe("npm run demo:order arguments", () => {
  it("defaults to one unit of the first product", () => {
    const command = parseOrderArgs([], {});
    expect(command.lines).toEqual([{ product: photoforge, variant: photoforge.variants[0], quantity: 1 }]);
    expect(command.url).toBe("http://localhost:3000");
  });

  it("builds line items from products by handle or id and variants by id, each with its quantity", () => {
    const command = parseOrderArgs(
      ["--product", "codevault-ide", "--quantity", "2", "--variant", String(photoforge.variants[1].id), "--product", String(DEMO_PRODUCTS[2].id), "--url", "http://127.0.0.1:4000/"],
      {},
    );
    expect(command.lines.map((l) => [l.variant.id, l.quantity])).toEqual([
      [codevault.variants[0].id, 2],
      [photoforge.variants[1].id, 1],
      [DEMO_PRODUCTS[2].variants[0].id, 1],
    ]);
    expect(command.url).toBe("http://127.0.0.1:4000");
  });

  it("takes the customer from an email: a demo customer's own record, or a stable new one", () => {
    expect(parseOrderArgs(["--customer-email", DEMO_CUSTOMERS[1].email], {}).customer).toEqual(DEMO_CUSTOMERS[1]);
    const stranger = parseOrderArgs(["--customer-email", "new.buyer@example.org"], {}).customer;
    expect(stranger).toEqual(customerForEmail("new.buyer@example.org"));
    expect(stranger?.email).toBe("new.buyer@example.org");
    expect(parseOrderArgs(["--no-customer"], {}).customer).toBeNull();
  });

  it.each([
    [["--product", "no-such-thing"], /No demo product "no-such-thing"/],
    [["--variant", "123"], /No demo variant "123"/],
    [["--quantity", "0"], /--quantity must be a whole number/],
    [["--customer-email", "nobody"], /not an email address/],
    [["--frobnicate"], /Unknown option/],
  ])("refuses %j with a clear message", (argv, message) => {
    expect(() => parseOrderArgs(argv, {})).toThrow(UsageError);
    expect(() => parseOrderArgs(argv, {})).toThrow(message);
  });
});
