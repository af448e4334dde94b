// Customers fetch their keys from the order status page (customer account token) and the thank-you
// page (checkout token + confirmation number). Only the right customer of the right shop sees keys;
// everyone else gets the "not arrived yet" answer, indistinguishable from an unknown order.
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { handle } from "tests/helpers/app";
import { resetDatabase, prisma } from "tests/helpers/db";
import {
  checkoutToken,
  customerAccountToken,
  EXTENSION_ORIGIN,
  type ExtensionTokenOptions,
} from "tests/helpers/extension-tokens";
import { seedOrderWithKeys } from "tests/helpers/orders";
import { BROWSER_UA, OTHER_SHOP, TEST_APP_URL, TEST_SHOP} from "tests/helpers/shopify";

const ORDER_ID = 5_600_000_000_001n;
const CUSTOMER = 7_100_000_000_001n;
const CONFIRMATION = "XPAV284CT";
const PREPARING = { state: "preparing", keys: [] };
const SIGN_IN = { state: "sign-in", keys: [] };

function customerRequest(orderId: string | bigint, token: string | null, init: { method?: string } = {}) {
  const headers: Record<string, string> = { "User-Agent": BROWSER_UA, Origin: EXTENSION_ORIGIN };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  return new Request(new URL(`/api/customer-account/orders/${orderId}/licence-keys`, TEST_APP_URL), {
    method: init.method ?? "GET",
    headers,
  });
}

function checkoutRequest(orderId: string | bigint, confirmation: string | null, token: string) {
  const url = new URL(`/api/checkout/orders/${orderId}/licence-keys`, TEST_APP_URL);
  if (confirmation !== null) url.searchParams.set("confirmation", confirmation);
  return new Request(url, {
    headers: { "User-Agent": BROWSER_UA, Origin: EXTENSION_ORIGIN, Authorization: `Bearer ${token}` },
  });
}

async function askAsCustomer(options: Partial<ExtensionTokenOptions> & { orderId?: bigint | string } = {}) {
  const { orderId = ORDER_ID, ...token } = options;
  const response = await handle(
    customerRequest(orderId, customerAccountToken({ shop: TEST_SHOP, customerId: CUSTOMER, ...token })),
  );
  return { response, body: response.status === 200 ? await response.json() : null };
}

function resendRequest(orderId: bigint, token: string) {
  return new Request(new URL(`/api/customer-account/orders/${orderId}/licence-keys/resend`, TEST_APP_URL), {
    method: "POST",
    headers: {
      "User-Agent": BROWSER_UA,
      Origin: EXTENSION_ORIGIN,
      Authorization: `Bearer ${token}`,
      "Content-Type": "application/json",
    },
    body: "{}",
  });
}

/** A guest checkout (no customer account) whose delivery email went out. */
async function seedGuestOrderEmailed() {
  const seeded = await seedOrderWithKeys({
    shop: TEST_SHOP,
    shopifyId: ORDER_ID,
    customerId: null,
    name: "#1002",
    lines: [{ title: "PhotoForge Pro", keys: ["PFP-GUEST-0001"] }],
  });
  await prisma.order.update({ where: { id: seeded.order.id }, data: { email: "guest@example.com" } });
  const delivery = await prisma.keyDelivery.create({
    data: { shopId: seeded.shop.id, orderId: seeded.order.id, reason: "NEW", requestedBy: "Keyshelf", mode: "KEYS" },
  });
  await prisma.mailMessage.create({
    data: {
      shopId: seeded.shop.id,
      kind: "KEY_DELIVERY",
      to: "guest@example.com",
      subject: "Licence keys",
      text: "",
      deliveryId: delivery.id,
      state: "SENT",
      sentAt: new Date(),
    },
  });
  return seeded;
}

async function keyStates() {
  return prisma.licenseKey.findMany({ orderBy: { id: "asc" }, select: { value: true, status: true, usedAt: true } });
}

async function seedStandardOrder() {
  return seedOrderWithKeys({
    shop: TEST_SHOP,
    shopifyId: ORDER_ID,
    customerId: CUSTOMER,
    confirmationNumber: CONFIRMATION,
    name: "#1001",
    lines: [
      { title: "PhotoForge Pro - 5 seats", keys: ["PFP-AAAA-1111", "PFP-AAAA-2222"] },
      { title: "CodeVault IDE", keys: ["CVI-BBBB-3333"] },
    ],
  });
}

// Loading the app's build is the slow part of the first request: pay it here, not inside a test.
beforeAll(async () => {
  await handle(new Request(new URL("/", TEST_APP_URL), { headers: { "User-Agent": BROWSER_UA } }));
});

beforeEach(async () => {
  await resetDatabase();
});

describe("GET /api/customer-account/orders/:orderId/licence-keys", () => {
  it("shows the signed-in customer their keys with the product each belongs to", async () => {
    await seedStandardOrder();
    const { response, body } = await askAsCustomer();
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toContain("application/json");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(body).toEqual({
      state: "ready",
      keys: [
        { value: "PFP-AAAA-1111", productTitle: "PhotoForge Pro - 5 seats", status: "USED" },
        { value: "PFP-AAAA-2222", productTitle: "PhotoForge Pro - 5 seats", status: "USED" },
        { value: "CVI-BBBB-3333", productTitle: "CodeVault IDE", status: "USED" },
      ],
    });
  });

  it("accepts the shop in dest with or without https://", async () => {
    await seedStandardOrder();
    expect((await askAsCustomer({ dest: "url" })).body.state).toBe("ready");
    expect((await askAsCustomer({ dest: "bare" })).body.state).toBe("ready");
  });

  it("marks keys Used the first time they are shown and keeps that first time on later views", async () => {
    const { tag } = await seedStandardOrder();
    await askAsCustomer();
    const first = await keyStates();
    expect(first.every((key) => key.status === "USED" && key.usedAt instanceof Date)).toBe(true);

    await askAsCustomer();
    await handle(checkoutRequest(ORDER_ID, CONFIRMATION, checkoutToken({ shop: TEST_SHOP })));
    const later = await keyStates();
    expect(later.map((key) => key.usedAt?.toISOString())).toEqual(first.map((key) => key.usedAt?.toISOString()));

    // The merchant's tag counters and the per-tag status copies follow (kept by triggers).
    const counters = await prisma.tag.findUniqueOrThrow({ where: { id: tag.id } });
    expect({ assigned: counters.assignedCount, used: counters.usedCount }).toEqual({ assigned: 0, used: 3 });
    const keyTagStatuses = await prisma.keyTag.findMany({ where: { tagId: tag.id }, select: { status: true } });
    expect(keyTagStatuses.map((row) => row.status)).toEqual(["USED", "USED", "USED"]);

    // One activity entry, for the first view only.
    const audit = await prisma.auditEvent.findMany({ where: { action: "keys.view" } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: "Customer", count: 3 });
    expect(audit[0].summary).toContain("#1001");
  });

  it("marks each key Used once when two views race", async () => {
    await seedStandardOrder();
    const answers = await Promise.all([askAsCustomer(), askAsCustomer(), askAsCustomer()]);
    expect(answers.map((answer) => answer.body.keys.length)).toEqual([3, 3, 3]);
    expect(await prisma.auditEvent.count({ where: { action: "keys.view" } })).toBe(1);
    const counters = await prisma.tag.findFirstOrThrow({ where: { name: "seeded" } });
    expect(counters.usedCount).toBe(3);
  });

  it("gives another customer exactly the answer of an order that has not arrived, and changes nothing", async () => {
    await seedStandardOrder();
    const other = await askAsCustomer({ customerId: CUSTOMER + 1n });
    const unknown = await askAsCustomer({ orderId: ORDER_ID + 99n });
    expect(other.response.status).toBe(200);
    expect(other.body).toEqual(PREPARING);
    expect(unknown.body).toEqual(PREPARING);
    expect(await other.response.headers.get("Content-Type")).toBe(unknown.response.headers.get("Content-Type"));
    expect((await keyStates()).every((key) => key.status === "ASSIGNED" && key.usedAt === null)).toBe(true);
  });

  it("gives a token of another shop nothing for this shop's order id", async () => {
    await seedStandardOrder();
    await seedOrderWithKeys({ shop: OTHER_SHOP, shopifyId: 1, customerId: CUSTOMER, lines: [] });
    const { body } = await askAsCustomer({ shop: OTHER_SHOP });
    expect(body).toEqual(PREPARING);
    expect((await keyStates()).every((key) => key.status === "ASSIGNED")).toBe(true);
  });

  it("asks a signed-out visitor (a token that names no customer) to sign in, and shows no keys", async () => {
    await seedStandardOrder();
    const { response, body } = await askAsCustomer({ customerId: null });
    expect(response.status).toBe(200);
    expect(body).toEqual(SIGN_IN);
    expect((await keyStates()).every((key) => key.status === "ASSIGNED")).toBe(true);
  });

  it("shows a signed-out visitor nothing for an order without licence-key products", async () => {
    const { order } = await seedStandardOrder();
    await prisma.order.update({ where: { id: order.id }, data: { carriesKeys: false } });
    expect((await askAsCustomer({ customerId: null })).body).toEqual({ state: "none", keys: [] });
    await prisma.order.update({ where: { id: order.id }, data: { carriesKeys: true } });
    expect((await askAsCustomer({ customerId: null })).body).toEqual(SIGN_IN);
  });

  it("tells a signed-out visitor of a guest order where its keys were emailed, masked, and nothing of other orders", async () => {
    const { order } = await seedGuestOrderEmailed();
    expect((await askAsCustomer({ customerId: null })).body).toEqual({
      state: "sign-in",
      keys: [],
      guest: { email: "g***@example.com", canResend: true },
    });
    // An unknown order, another shop's token, a guest order whose email never went out: just "sign in".
    expect((await askAsCustomer({ customerId: null, orderId: ORDER_ID + 1n })).body).toEqual(SIGN_IN);
    expect((await askAsCustomer({ customerId: null, shop: OTHER_SHOP })).body).toEqual(SIGN_IN);
    await prisma.mailMessage.updateMany({ where: { delivery: { orderId: order.id } }, data: { state: "QUEUED" } });
    expect((await askAsCustomer({ customerId: null })).body).toEqual(SIGN_IN);
  });

  it("emails a guest order's keys again on request, only to the order's address, at most 3 times an hour", async () => {
    const { order } = await seedGuestOrderEmailed();
    const token = customerAccountToken({ shop: TEST_SHOP, customerId: null });
    const answers = [];
    for (let i = 0; i < 4; i++) {
      const response = await handle(resendRequest(ORDER_ID, token));
      answers.push({ status: response.status, body: await response.json(), retryAfter: response.headers.get("Retry-After") });
    }
    expect(answers.slice(0, 3).map((a) => [a.status, a.body])).toEqual([
      [202, { sent: true, email: "g***@example.com" }],
      [202, { sent: true, email: "g***@example.com" }],
      [202, { sent: true, email: "g***@example.com" }],
    ]);
    expect(answers[3].status).toBe(429);
    expect(answers[3].body.error).toBe("RATE_LIMITED");
    expect(Number(answers[3].retryAfter)).toBeGreaterThan(3_500);
    expect(answers[3].body.retryAfterSeconds).toBe(Number(answers[3].retryAfter));
    const resends = await prisma.mailMessage.findMany({ where: { delivery: { orderId: order.id, reason: "RESEND" } } });
    expect(resends.map((mail) => mail.to)).toEqual(["guest@example.com", "guest@example.com", "guest@example.com"]);
  });

  it("refuses a resend for an order with a customer account, or when the merchant does not allow it", async () => {
    await seedStandardOrder();
    const token = customerAccountToken({ shop: TEST_SHOP, customerId: null });
    const response = await handle(resendRequest(ORDER_ID, token));
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: "NOT_AVAILABLE" });

    await resetDatabase();
    await seedGuestOrderEmailed();
    await prisma.shop.updateMany({ data: { guestResendAllowed: false } });
    expect((await askAsCustomer({ customerId: null })).body.guest).toEqual({ email: "g***@example.com", canResend: false });
    expect((await handle(resendRequest(ORDER_ID, token))).status).toBe(404);
    expect(await prisma.keyDelivery.count({ where: { reason: "RESEND" } })).toBe(0);
  });

  it("answers a missing order as not arrived yet", async () => {
    expect((await askAsCustomer()).body).toEqual(PREPARING);
  });

  it.each([
    ["expired", { expiresIn: -120 }],
    ["signed with another secret", { secret: "not-the-app-secret" }],
    ["for another app", { aud: "someone-elses-api-key" }],
  ])("refuses a token %s with 401, readable by the extension (CORS)", async (_label, token) => {
    await seedStandardOrder();
    const { response } = await askAsCustomer(token);
    expect(response.status).toBe(401);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect((await keyStates()).every((key) => key.status === "ASSIGNED")).toBe(true);
  });

  it("refuses a request without a token with 401", async () => {
    const response = await handle(customerRequest(ORDER_ID, null));
    expect(response.status).toBe(401);
  });

  it("refuses a token whose dest is not a shop", async () => {
    const response = await handle(
      customerRequest(ORDER_ID, customerAccountToken({ shop: "evil.example.com", customerId: CUSTOMER })),
    );
    expect(response.status).toBe(401);
  });

  it("answers 400 to an order id that is not Shopify's numeric id", async () => {
    const { response } = await askAsCustomer({ orderId: "1001; DROP" });
    expect(response.status).toBe(400);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
  });

  it("answers the CORS preflight and sets CORS headers on the answer", async () => {
    const preflight = await handle(
      new Request(new URL(`/api/customer-account/orders/${ORDER_ID}/licence-keys`, TEST_APP_URL), {
        method: "OPTIONS",
        headers: {
          "User-Agent": BROWSER_UA,
          Origin: EXTENSION_ORIGIN,
          "Access-Control-Request-Method": "GET",
          "Access-Control-Request-Headers": "authorization",
        },
      }),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(preflight.headers.get("Access-Control-Allow-Headers")).toContain("Authorization");

    await seedStandardOrder();
    const { response } = await askAsCustomer();
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
  });

  it("refuses other methods with 405", async () => {
    const token = customerAccountToken({ shop: TEST_SHOP, customerId: CUSTOMER });
    const response = await handle(customerRequest(ORDER_ID, token, { method: "POST" }));
    expect(response.status).toBe(405);
  });

  it("says 'waiting' with the keys so far when stock ran short", async () => {
    await seedOrderWithKeys({
      shop: TEST_SHOP,
      shopifyId: ORDER_ID,
      customerId: CUSTOMER,
      lines: [{ title: "SecureNet VPN - 1 year", keys: ["VPN-1"], missing: 2 }],
    });
    expect((await askAsCustomer()).body).toEqual({
      state: "waiting",
      keys: [{ value: "VPN-1", productTitle: "SecureNet VPN - 1 year", status: "USED" }],
    });
  });

  it("says 'none' for an order of this customer that needs no keys", async () => {
    await seedOrderWithKeys({ shop: TEST_SHOP, shopifyId: ORDER_ID, customerId: CUSTOMER, lines: [] });
    expect((await askAsCustomer()).body).toEqual({ state: "none", keys: [] });
  });

  it("says 'preparing' while keys wait for the order to be paid", async () => {
    await seedOrderWithKeys({
      shop: TEST_SHOP,
      shopifyId: ORDER_ID,
      customerId: CUSTOMER,
      lines: [],
      awaitingPayment: true,
    });
    expect((await askAsCustomer()).body).toEqual(PREPARING);
  });

  it("no longer returns retired (replaced or revoked) or deleted keys", async () => {
    await seedStandardOrder();
    await prisma.licenseKey.updateMany({
      where: { value: "PFP-AAAA-1111" },
      data: { status: "RETIRED", retiredAt: new Date(), retireReason: "REVOKED" },
    });
    await prisma.licenseKey.deleteMany({ where: { value: "CVI-BBBB-3333" } });
    const { body } = await askAsCustomer();
    expect(body.keys.map((key: { value: string }) => key.value)).toEqual(["PFP-AAAA-2222"]);
    const retired = await prisma.licenseKey.findFirstOrThrow({ where: { value: "PFP-AAAA-1111" } });
    expect(retired.status).toBe("RETIRED");
  });
});

describe("GET /api/checkout/orders/:orderId/licence-keys (thank-you page)", () => {
  it("shows the keys when the checkout proves the order with its confirmation number", async () => {
    await seedStandardOrder();
    const response = await handle(checkoutRequest(ORDER_ID, CONFIRMATION, checkoutToken({ shop: TEST_SHOP })));
    expect(response.status).toBe(200);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
    const body = await response.json();
    expect(body.state).toBe("ready");
    expect(body.keys).toHaveLength(3);
    expect((await keyStates()).every((key) => key.status === "USED")).toBe(true);
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { action: "keys.view" } });
    expect(audit.summary).toContain("thank-you page");
  });

  it("accepts the confirmation number in any letter case", async () => {
    await seedStandardOrder();
    const response = await handle(
      checkoutRequest(ORDER_ID, CONFIRMATION.toLowerCase(), checkoutToken({ shop: TEST_SHOP, dest: "url" })),
    );
    expect((await response.json()).state).toBe("ready");
  });

  it("gives nothing for the right order id with a wrong confirmation number", async () => {
    await seedStandardOrder();
    const response = await handle(checkoutRequest(ORDER_ID, "WRONG1234", checkoutToken({ shop: TEST_SHOP })));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(PREPARING);
    expect((await keyStates()).every((key) => key.status === "ASSIGNED")).toBe(true);
  });

  it("never proves an order by its id alone", async () => {
    await seedStandardOrder();
    const response = await handle(checkoutRequest(ORDER_ID, null, checkoutToken({ shop: TEST_SHOP })));
    expect(response.status).toBe(400);
    expect((await keyStates()).every((key) => key.status === "ASSIGNED")).toBe(true);
  });

  it("gives nothing to another shop's checkout, even with the right confirmation number", async () => {
    await seedStandardOrder();
    await seedOrderWithKeys({ shop: OTHER_SHOP, shopifyId: 1, lines: [] });
    const response = await handle(checkoutRequest(ORDER_ID, CONFIRMATION, checkoutToken({ shop: OTHER_SHOP })));
    expect(await response.json()).toEqual(PREPARING);
  });

  it("refuses an expired checkout token or one signed with another secret", async () => {
    await seedStandardOrder();
    for (const token of [
      checkoutToken({ shop: TEST_SHOP, expiresIn: -120 }),
      checkoutToken({ shop: TEST_SHOP, secret: "not-the-app-secret" }),
    ]) {
      const response = await handle(checkoutRequest(ORDER_ID, CONFIRMATION, token));
      expect(response.status).toBe(401);
    }
    expect((await keyStates()).every((key) => key.status === "ASSIGNED")).toBe(true);
  });
});
