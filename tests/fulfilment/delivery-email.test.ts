// GIVEN orders arriving through signed webhooks (the real Remix handler) and a real SMTP server on
// loopback
// WHEN the background round runs
// THEN each delivery of keys reaches the order's email once, in the customer's language, with every
//      key grouped by product and nothing of the store's text able to inject markup; sending counts
//      as the customer seeing the keys (or, in link mode, the link shows them); the merchant sees the
//      email's state and can send it again; a failing SMTP server loses nothing.
import { simpleParser, type ParsedMail } from "mailparser";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startMailCatcher, type MailCatcher } from "~/demo/mail-catcher";
import { runBackgroundTick } from "~/models/background.server";
import { queueKeyDeliveries } from "~/models/fulfilment/key-delivery.server";
import { closeMailTransport } from "~/models/mailer.server";
import { changeOrderKey } from "~/models/order-keys.server";
import { closePgPool } from "~/pg.server";
import { dataPath, handle } from "tests/helpers/app";
import { prisma, resetDatabase } from "tests/helpers/db";
import { adminRequest, BROWSER_UA, TEST_APP_URL, TEST_SHOP } from "tests/helpers/shopify";
import { addKeys, deliver, expectConsistent, keysOfOrder, link, orderPayload, orderRow, shopWithTag } from "./support";

const PRODUCT = 8_200_000_000_001;
const OTHER_PRODUCT = 8_200_000_000_002;
const orderPage = (id: number) => dataPath(`/app/orders/${id}`, "routes/app.orders.$orderId");

let catcher: MailCatcher;

beforeAll(async () => {
  catcher = await startMailCatcher();
});

beforeEach(async () => {
  await resetDatabase();
  process.env.SMTP_URL = catcher.url;
  catcher.clear();
});

afterAll(async () => {
  closeMailTransport();
  await catcher.close();
  await closePgPool();
  delete process.env.SMTP_URL;
});

async function parsed(count: number): Promise<ParsedMail[]> {
  const messages = await catcher.waitFor(count);
  return Promise.all(messages.map((message) => simpleParser(message.raw)));
}

/** A shop with two linked products, and an order for both. */
async function shopWithProducts() {
  const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 10);
  const other = await prisma.tag.create({ data: { shopId: shop.id, name: "addon" } });
  await addKeys(shop.id, other.id, 5, "ADD");
  await link(shop.id, PRODUCT, { tagId: tag.id });
  await link(shop.id, OTHER_PRODUCT, { tagId: other.id });
  return { shop, tag, other };
}

function twoProductOrder(extra: Record<string, unknown> = {}) {
  return {
    ...orderPayload({
      lines: [
        { productId: PRODUCT, quantity: 2, title: "PhotoForge <b>Pro</b>" },
        { productId: OTHER_PRODUCT, quantity: 1, title: "Filter pack" },
      ],
      email: "ada@example.com",
    }),
    ...extra,
  };
}

describe("the delivery email", () => {
  it("mails each order's keys once, grouped by product, in the customer's language, with the store's text escaped", async () => {
    await shopWithProducts();
    const payload = twoProductOrder({
      customer_locale: "de-AT",
      customer: { id: 8_100_000_000_001, email: "ada@example.com", first_name: "Ada <img src=x onerror=alert(1)>" },
    });
    expect((await deliver("orders/create", TEST_SHOP, payload)).status).toBe(200);

    const round = await runBackgroundTick();
    expect(round.mail).toMatchObject({ deliveries: 1, sent: 1, failed: 0 });
    const [mail] = await parsed(1);
    const keys = (await keysOfOrder(payload.id)).map((key) => key.value);
    expect(keys).toHaveLength(3);

    expect(catcher.messages()[0].envelope.to).toEqual(["ada@example.com"]);
    expect(mail.subject).toBe(`Ihre Lizenzschlüssel für Bestellung ${payload.name}`);
    expect(mail.text).toContain("Hallo Ada <img src=x onerror=alert(1)>,");
    for (const key of keys) {
      expect(mail.text).toContain(key);
      expect(mail.html).toContain(key);
    }
    // Grouped: each product's title heads its own keys.
    const text = mail.text ?? "";
    expect(text.indexOf("PhotoForge <b>Pro</b>")).toBeLessThan(text.indexOf(keys[0]));
    expect(text.indexOf("Filter pack")).toBeGreaterThan(text.indexOf(keys[1]));
    expect(text.indexOf("Filter pack")).toBeLessThan(text.indexOf(keys[2]));
    // Markup from the store and the customer arrives as text in the HTML part.
    const html = String(mail.html);
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>Pro</b>");
    expect(html).toContain("Ada &lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain("PhotoForge &lt;b&gt;Pro&lt;/b&gt;");
    expect(mail.messageId).toMatch(/^<delivery-\d+@alpha-test\.myshopify\.com>$/);

    // The email carried the keys: they count as seen, and the activity log says so.
    expect(new Set((await keysOfOrder(payload.id)).map((key) => key.status))).toEqual(new Set(["USED"]));
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { action: "delivery.sent" } });
    expect(audit.summary).toBe(`Emailed 3 licence keys of order ${payload.name} to a***@example.com; they count as seen (Used)`);

    // A redelivery of the webhook and further rounds send nothing more.
    expect((await deliver("orders/create", TEST_SHOP, payload)).status).toBe(200);
    expect((await runBackgroundTick()).mail).toMatchObject({ deliveries: 0, sent: 0 });
    expect(catcher.messages()).toHaveLength(1);
    await expectConsistent();
  });

  it("writes English to a customer whose language has no translation, and greets a customer without a name plainly", async () => {
    await shopWithProducts();
    const payload = twoProductOrder({ customer_locale: "zh-TW", customer: null, billing_address: null });
    await deliver("orders/create", TEST_SHOP, payload);
    await runBackgroundTick();
    const [mail] = await parsed(1);
    expect(mail.subject).toBe(`Your licence keys for order ${payload.name}`);
    expect(mail.text).toMatch(/^Hi,\n/);
  });

  it("is not sent once a refund returned the keys before the round, and says why", async () => {
    const { shop } = await shopWithProducts();
    const payload = twoProductOrder();
    await deliver("orders/create", TEST_SHOP, payload);
    await queueKeyDeliveries();
    const order = await orderRow(payload.id);
    for (const key of await keysOfOrder(payload.id)) {
      await changeOrderKey({ shopId: shop.id, orderId: order!.id, keyId: key.id, action: "return", actor: "Staff" });
    }
    expect((await runBackgroundTick()).mail).toMatchObject({ sent: 0, failed: 1 });
    expect(catcher.messages()).toHaveLength(0);
    const mail = await prisma.mailMessage.findFirstOrThrow({ where: { kind: "KEY_DELIVERY" } });
    expect(mail).toMatchObject({ state: "FAILED", lastError: "No licence keys left to send: they were returned or revoked." });
  });

  it("mails a replacement key on its own, and a waiting order's keys when stock arrives", async () => {
    const { shop, tag } = await shopWithTag(TEST_SHOP, "pro", 1);
    await link(shop.id, PRODUCT, { tagId: tag.id });
    const payload = orderPayload({ lines: [{ productId: PRODUCT, quantity: 2 }], email: "wait@example.com" });
    await deliver("orders/create", TEST_SHOP, payload);
    await runBackgroundTick();
    const [first] = await parsed(1);
    const [held] = await keysOfOrder(payload.id);
    expect(first.text).toContain(held.value);

    await addKeys(shop.id, tag.id, 2, "NEW");
    await runBackgroundTick();
    const [, second] = await parsed(2);
    const keys = await keysOfOrder(payload.id);
    const filled = keys.find((key) => key.value !== held.value)!;
    expect(second.text).toContain(filled.value);
    expect(second.text).not.toContain(held.value);

    const order = await orderRow(payload.id);
    await changeOrderKey({ shopId: shop.id, orderId: order!.id, keyId: held.id, action: "replace", actor: "Staff" });
    await runBackgroundTick();
    const [, , third] = await parsed(3);
    const replacement = (await keysOfOrder(payload.id)).find((key) => key.status !== "RETIRED" && key.id !== filled.id)!;
    expect(third.text).toContain(replacement.value);
    expect(third.text).not.toContain(held.value);
    expect(third.text).not.toContain(filled.value);
  });

  it("retries while the SMTP server refuses, shows the answer on the order page, and sends once it recovers", async () => {
    await shopWithProducts();
    const payload = twoProductOrder();
    await deliver("orders/create", TEST_SHOP, payload);
    catcher.failNext(1, { code: 451, message: "4.3.0 Mail server busy, try later" });
    expect((await runBackgroundTick()).mail).toMatchObject({ deliveries: 1, sent: 0, retrying: 1 });
    // Not sent: the keys are not seen yet and can still go back to the pool.
    expect(new Set((await keysOfOrder(payload.id)).map((key) => key.status))).toEqual(new Set(["ASSIGNED"]));

    const order = (await orderRow(payload.id))!;
    const page = await (await handle(adminRequest(orderPage(order.id), { shop: TEST_SHOP }))).json();
    expect(page.deliveries).toHaveLength(1);
    expect(page.deliveries[0].mail).toMatchObject({ state: "QUEUED", attempts: 1, to: "ada@example.com" });
    expect(page.deliveries[0].mail.lastError).toContain("Mail server busy");

    await prisma.mailMessage.updateMany({ data: { nextAttemptAt: new Date(Date.now() - 1000) } });
    expect((await runBackgroundTick()).mail).toMatchObject({ sent: 1 });
    await parsed(1);
    const after = await (await handle(adminRequest(orderPage(order.id), { shop: TEST_SHOP }))).json();
    expect(after.deliveries[0].mail.state).toBe("SENT");
    expect(after.order.keys.every((key: { emailedAt: string | null }) => key.emailedAt !== null)).toBe(true);
  });

  it("resends every key the order holds from the order page, to the order's email or another address", async () => {
    await shopWithProducts();
    const payload = twoProductOrder();
    await deliver("orders/create", TEST_SHOP, payload);
    await runBackgroundTick();
    await parsed(1);
    const order = (await orderRow(payload.id))!;

    const refused = await handle(
      adminRequest(orderPage(order.id), { shop: TEST_SHOP, form: { intent: "resend", to: "not an address" } }),
    );
    expect(refused.status).toBe(422);
    expect((await refused.json()).error).toBe("Enter an email address, or leave it empty.");

    const response = await handle(
      adminRequest(orderPage(order.id), { shop: TEST_SHOP, form: { intent: "resend", to: "ada.work@example.org" } }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, message: "Keys email queued for ada.work@example.org" });
    await runBackgroundTick();
    const [, resent] = await parsed(2);
    expect(catcher.messages()[1].envelope.to).toEqual(["ada.work@example.org"]);
    for (const key of await keysOfOrder(payload.id)) expect(resent.text).toContain(key.value);

    const activity = await prisma.auditEvent.findMany({ where: { action: { startsWith: "delivery." } }, orderBy: { id: "asc" } });
    expect(activity.map((event) => event.action)).toEqual(["delivery.sent", "delivery.resend", "delivery.resent"]);
    expect(activity[1].summary).toBe(`Asked to email the licence keys of order ${payload.name} again, to ada.work@example.org`);
  });

  it("in link mode, mails a link and leaves the keys Assigned until the customer opens it and presses the button", async () => {
    const { shop } = await shopWithProducts();
    await prisma.shop.update({ where: { id: shop.id }, data: { deliveryMode: "LINK" } });
    const payload = twoProductOrder();
    await deliver("orders/create", TEST_SHOP, payload);
    await runBackgroundTick();
    const [mail] = await parsed(1);
    const keys = await keysOfOrder(payload.id);
    for (const key of keys) expect(mail.text).not.toContain(key.value);
    const url = /https:\/\/keyshelf\.test\/keys\/\S+/.exec(mail.text ?? "")?.[0];
    expect(url).toBeDefined();
    expect(new Set((await keysOfOrder(payload.id)).map((key) => key.status))).toEqual(new Set(["ASSIGNED"]));

    // Following the link (as a mail scanner would) shows the button, not the keys.
    const opened = await handle(new Request(url!, { headers: { "User-Agent": BROWSER_UA } }));
    expect(opened.status).toBe(200);
    expect(opened.headers.get("Cache-Control")).toBe("private, no-store");
    const page = await opened.text();
    expect(page).toContain("Show my licence keys");
    for (const key of keys) expect(page).not.toContain(key.value);
    expect(new Set((await keysOfOrder(payload.id)).map((key) => key.status))).toEqual(new Set(["ASSIGNED"]));

    const shown = await handle(new Request(url!, { method: "POST", headers: { "User-Agent": BROWSER_UA } }));
    const revealed = await shown.text();
    for (const key of keys) expect(revealed).toContain(key.value);
    expect(revealed).toContain("PhotoForge &lt;b&gt;Pro&lt;/b&gt;");
    expect(new Set((await keysOfOrder(payload.id)).map((key) => key.status))).toEqual(new Set(["USED"]));

    // A link with a wrong signature names nothing.
    const forged = await handle(new Request(url!.replace(/.$/, (c) => (c === "A" ? "B" : "A")), { headers: { "User-Agent": BROWSER_UA } }));
    expect(forged.status).toBe(404);
    expect(await forged.text()).toContain("This link is not valid");
    const other = await handle(new Request(`${TEST_APP_URL}/keys/1.abc`, { headers: { "User-Agent": BROWSER_UA } }));
    expect(other.status).toBe(404);
  });

  it("is not sent when the merchant turned it off, nor for keys handed out before it was turned on", async () => {
    const { shop } = await shopWithProducts();
    await prisma.shop.update({ where: { id: shop.id }, data: { deliveryEmailEnabled: false } });
    const before = twoProductOrder();
    await deliver("orders/create", TEST_SHOP, before);
    expect((await runBackgroundTick()).mail).toMatchObject({ deliveries: 0 });

    const turnOn = await handle(
      adminRequest(dataPath("/app/settings", "routes/app.settings"), {
        shop: TEST_SHOP,
        form: {
          intent: "delivery",
          deliveryEmailEnabled: "true",
          deliveryMode: "KEYS",
          deliverySenderName: "PhotoForge",
          deliveryReplyTo: "help@photoforge.example",
          deliverySubject: "",
          deliveryBody: "",
          deliveryLocale: "en",
          guestResendAllowed: "true",
        },
      }),
    );
    expect(turnOn.status).toBe(200);
    expect((await runBackgroundTick()).mail).toMatchObject({ deliveries: 0 });

    const after = { ...twoProductOrder(), id: before.id + 1, name: "#after" };
    await deliver("orders/create", TEST_SHOP, after);
    await runBackgroundTick();
    const [mail] = await parsed(1);
    expect(mail.subject).toBe("Your licence keys for order #after");
    expect(mail.from?.value[0].name).toBe("PhotoForge");
    expect(mail.replyTo?.value[0].address).toBe("help@photoforge.example");
    expect(catcher.messages()).toHaveLength(1);
  });
});

describe("delivery email settings", () => {
  const settings = dataPath("/app/settings", "routes/app.settings");
  const base = {
    intent: "delivery",
    deliveryEmailEnabled: "true",
    deliveryMode: "KEYS",
    deliverySenderName: "",
    deliveryReplyTo: "",
    deliverySubject: "",
    deliveryBody: "",
    deliveryLocale: "en",
    guestResendAllowed: "true",
  };

  it("refuses templates with unknown placeholders or without the keys, with the field's error, and changes nothing", async () => {
    await shopWithProducts();
    const response = await handle(
      adminRequest(settings, {
        shop: TEST_SHOP,
        form: { ...base, deliverySubject: "Keys for {{order_number}}", deliveryBody: "Hello {{customer_first_name}}" },
      }),
    );
    expect(response.status).toBe(422);
    const body = await response.json();
    expect(body.errors.deliverySubject).toBe(
      "Unknown placeholder {{order_number}}. Use {{shop_name}}, {{order_name}}, {{customer_first_name}}, {{keys}}.",
    );
    expect(body.errors.deliveryBody).toBe("Put {{keys}} where the licence keys go.");
    expect(await prisma.shop.findFirstOrThrow({ select: { deliverySubject: true, deliveryBody: true } })).toEqual({
      deliverySubject: null,
      deliveryBody: null,
    });
  });

  it("sends the merchant's own template, and a test of it to the address given", async () => {
    await shopWithProducts();
    const saved = await handle(
      adminRequest(settings, {
        shop: TEST_SHOP,
        form: {
          ...base,
          deliverySubject: "{{shop_name}}: keys for {{order_name}}",
          deliveryBody: "Dear {{customer_first_name}},\n\nyour keys:\n\n{{keys}}\n\nCheers",
        },
      }),
    );
    expect(saved.status).toBe(200);
    await prisma.shop.updateMany({ data: { name: "Forge & Co" } });
    const test = await handle(adminRequest(settings, { shop: TEST_SHOP, form: { intent: "delivery-test", testTo: "me@forge.example" } }));
    expect(await test.json()).toMatchObject({ ok: true, message: "Test email queued for me@forge.example" });
    await runBackgroundTick();
    const [mail] = await parsed(1);
    expect(catcher.messages()[0].envelope.to).toEqual(["me@forge.example"]);
    expect(mail.subject).toBe("[Test] Forge & Co: keys for #1001");
    expect(mail.text).toContain("Dear Alex,\n\nyour keys:\n\nPro licence - 1 year\n  K7Q2M-9XD4F-R8T6P-3WZ5N");
    expect(String(mail.html)).toContain("Forge &amp; Co");
  });
});
