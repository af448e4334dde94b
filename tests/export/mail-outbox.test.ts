// GIVEN messages in the outbox (an export, a stock alert) and a real SMTP server on loopback
// WHEN the server refuses for a while, refuses for good, or is not configured at all
// THEN delivery is retried with backoff until it works, gives up only with the reason recorded,
//      never drops a message silently, and the merchant sees each message's state and last error.
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { startMailCatcher, type MailCatcher } from "~/demo/mail-catcher";
import { runBackgroundTick } from "~/models/background.server";
import { getExport, startExport } from "~/models/export.server";
import {
  closeMailTransport,
  deliverDueMail,
  listMail,
  MAX_MAIL_ATTEMPTS,
  queueMail,
  retryMail,
} from "~/models/mailer.server";
import { closePgPool } from "~/pg.server";
import { installShop, TEST_SHOP } from "tests/helpers/shopify";
import { seedLibrary } from "./fixtures";

let catcher: MailCatcher;
let shopId: number;

/** Makes the message due now, as waiting out its backoff would. */
async function makeDue(mailId: number) {
  await prisma.$executeRaw`UPDATE "mail_message" SET "next_attempt_at" = now() AT TIME ZONE 'UTC' WHERE "id" = ${mailId}`;
}

async function stockAlert(subject = "Tag pro is running low: 3 licence keys left") {
  return queueMail({ shopId, kind: "LOW_STOCK", to: "owner@merchant.test", subject, text: "Add keys in Keyshelf." });
}

beforeAll(async () => {
  catcher = await startMailCatcher();
  shopId = (await installShop(TEST_SHOP)).id;
});

beforeEach(async () => {
  process.env.SMTP_URL = catcher.url;
  catcher.clear();
  await prisma.mailMessage.deleteMany({});
});

afterAll(async () => {
  closeMailTransport();
  await catcher.close();
  await closePgPool();
  delete process.env.SMTP_URL;
});

describe("the mail outbox", () => {
  it("delivers a stock alert queued by another part of the app", async () => {
    const { id } = await stockAlert();
    expect(await deliverDueMail()).toEqual({ sent: 1, failed: 0, retrying: 0 });
    const [message] = await catcher.waitFor(1);
    const mail = await simpleParser(message.raw);
    expect(mail.subject).toBe("Tag pro is running low: 3 licence keys left");
    expect(message.envelope.to).toEqual(["owner@merchant.test"]);
    expect(await prisma.mailMessage.findUniqueOrThrow({ where: { id } })).toMatchObject({
      state: "SENT",
      attempts: 1,
      lastError: null,
    });
  });

  it("retries a temporary failure after a backoff and shows the error meanwhile", async () => {
    const { id } = await stockAlert();
    catcher.failNext(1, { code: 451, message: "4.3.0 Mail server busy, try later" });

    expect(await deliverDueMail()).toEqual({ sent: 0, failed: 0, retrying: 1 });
    const waiting = await prisma.mailMessage.findUniqueOrThrow({ where: { id } });
    expect(waiting.state).toBe("QUEUED");
    expect(waiting.attempts).toBe(1);
    expect(waiting.lastError).toContain("451");
    expect(waiting.lastError).toContain("Mail server busy");
    const wait = waiting.nextAttemptAt.getTime() - Date.now();
    expect(wait).toBeGreaterThan(30_000);
    expect(wait).toBeLessThanOrEqual(60_000);
    // What the merchant's Exports page lists.
    expect((await listMail({ shopId }))[0]).toMatchObject({ id, state: "QUEUED", attempts: 1 });

    // Not due yet: nothing happens.
    expect(await deliverDueMail()).toEqual({ sent: 0, failed: 0, retrying: 0 });
    await makeDue(id);
    expect(await deliverDueMail()).toEqual({ sent: 1, failed: 0, retrying: 0 });
    expect(await prisma.mailMessage.findUniqueOrThrow({ where: { id } })).toMatchObject({
      state: "SENT",
      attempts: 2,
      lastError: null,
    });
    expect(catcher.messages()).toHaveLength(1);
  });

  it("backs off longer after each failure and gives up after the last attempt, keeping the reason", async () => {
    const { id } = await stockAlert();
    catcher.failNext(MAX_MAIL_ATTEMPTS);
    const waits: number[] = [];
    for (let attempt = 1; attempt <= MAX_MAIL_ATTEMPTS; attempt++) {
      await makeDue(id);
      await deliverDueMail();
      const row = await prisma.mailMessage.findUniqueOrThrow({ where: { id } });
      if (attempt < MAX_MAIL_ATTEMPTS) {
        expect(row.state).toBe("QUEUED");
        waits.push(row.nextAttemptAt.getTime() - Date.now());
      } else {
        expect(row).toMatchObject({ state: "FAILED", attempts: MAX_MAIL_ATTEMPTS });
        expect(row.lastError).toContain("Temporary local problem");
      }
    }
    expect(waits).toEqual([...waits].sort((a, b) => a - b));
    expect(waits.at(-1)).toBeGreaterThan(3 * 3_600_000);

    // The merchant retries it from the Exports page.
    expect(await retryMail({ shopId, mailId: id })).toBe("retried");
    await deliverDueMail();
    expect(await prisma.mailMessage.findUniqueOrThrow({ where: { id } })).toMatchObject({ state: "SENT" });
  });

  it("gives up at once on a mailbox that does not exist", async () => {
    const { id } = await stockAlert();
    catcher.failNext(1, { code: 550, message: "5.1.1 No such user here" });
    expect(await deliverDueMail()).toEqual({ sent: 0, failed: 1, retrying: 0 });
    const row = await prisma.mailMessage.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ state: "FAILED", attempts: 1 });
    expect(row.lastError).toContain("No such user");
  });

  it("records a message for a shop without any address as failed, with the reason, and sends it once one is set", async () => {
    const { id } = await queueMail({ shopId, kind: "LOW_STOCK", to: "", subject: "Low stock", text: "..." });
    expect(await prisma.mailMessage.findUniqueOrThrow({ where: { id } })).toMatchObject({
      state: "FAILED",
      lastError: "No email address to send to: set a report address in Settings.",
    });
    expect(await retryMail({ shopId, mailId: id })).toBe("no-address");
    await prisma.shop.update({ where: { id: shopId }, data: { reportEmail: "alerts@merchant.test" } });
    try {
      expect(await retryMail({ shopId, mailId: id })).toBe("retried");
      await deliverDueMail();
      const [message] = await catcher.waitFor(1);
      expect(message.envelope.to).toEqual(["alerts@merchant.test"]);
    } finally {
      await prisma.shop.update({ where: { id: shopId }, data: { reportEmail: "" } });
    }
  });

  it("fails a message queued without a recipient by another part of the app, saying why", async () => {
    const { id } = await prisma.mailMessage.create({
      data: { shopId, kind: "DATA_REQUEST", to: "", subject: "Customer data request", text: "..." },
    });
    expect(await deliverDueMail()).toEqual({ sent: 0, failed: 1, retrying: 0 });
    expect(await prisma.mailMessage.findUniqueOrThrow({ where: { id } })).toMatchObject({
      state: "FAILED",
      lastError: "No email address to send to: set a report address in Settings.",
    });
    expect(catcher.messages()).toHaveLength(0);
  });

  it("another shop cannot retry this shop's message", async () => {
    const other = await installShop("charlie-test.myshopify.com");
    const { id } = await stockAlert();
    await prisma.mailMessage.update({ where: { id }, data: { state: "FAILED" } });
    expect(await retryMail({ shopId: other.id, mailId: id })).toBe("not-found");
    expect(await prisma.mailMessage.findUniqueOrThrow({ where: { id } })).toMatchObject({ state: "FAILED" });
  });

  it("keeps messages waiting, untouched, while SMTP is not configured", async () => {
    delete process.env.SMTP_URL;
    const { id } = await stockAlert();
    expect(await deliverDueMail()).toEqual({ sent: 0, failed: 0, retrying: 0 });
    expect(await prisma.mailMessage.findUniqueOrThrow({ where: { id } })).toMatchObject({
      state: "QUEUED",
      attempts: 0,
    });
    process.env.SMTP_URL = catcher.url;
    await deliverDueMail();
    expect(await prisma.mailMessage.findUniqueOrThrow({ where: { id } })).toMatchObject({ state: "SENT" });
  });
});

describe("export emails", () => {
  it("does not email an export while SMTP is not configured; the file is offered for download", async () => {
    delete process.env.SMTP_URL;
    const library = await seedLibrary("delta-test.myshopify.com", { count: 5 });
    const shop = await prisma.shop.findUniqueOrThrow({ where: { id: library.shopId } });
    const { jobId } = await startExport({ shop, scope: { tagId: null, q: "", status: null }, actor: "x" });
    await runBackgroundTick();
    const view = await getExport({ shopId: library.shopId, jobId });
    expect(view).toMatchObject({ state: "SUCCEEDED", mail: null });
    expect(view?.downloadUrl).toMatch(/^\/exports\/\d+\.\d+\.[\w-]{43}$/);
    expect(await prisma.mailMessage.count({ where: { shopId: library.shopId } })).toBe(0);
  });

  it("sends a signed, expiring link instead of an attachment for a file over 10 MB", async () => {
    const shop = await installShop("echo-test.myshopify.com");
    await prisma.shop.update({ where: { id: shop.id }, data: { email: "owner@echo.test" } });
    // 130,000 keys of 64 characters: about 12 MB of CSV.
    await prisma.$executeRaw`
      INSERT INTO "license_key" ("shop_id", "value", "created_at")
      SELECT ${shop.id}, rpad('LARGE-' || g, 64, 'X'), now() AT TIME ZONE 'UTC' FROM generate_series(1, 130000) g`;
    const { jobId } = await startExport({ shop, scope: { tagId: null, q: "", status: null }, actor: "x" });
    await runBackgroundTick();
    const view = await getExport({ shopId: shop.id, jobId });
    expect(view?.bytes).toBeGreaterThan(10 * 1024 * 1024);

    const [message] = await catcher.waitFor(1);
    const mail = await simpleParser(message.raw);
    expect(mail.attachments).toHaveLength(0);
    expect(message.raw.length).toBeLessThan(20_000);
    expect(mail.text).toContain("The file is too large to attach");
    const link = /https:\/\/keyshelf\.test\/exports\/(\d+)\.(\d+)\.([\w-]{43})/.exec(mail.text ?? "");
    expect(link?.[1]).toBe(String(jobId));
    const expiresInDays = (Number(link?.[2]) * 1000 - Date.now()) / 86_400_000;
    expect(expiresInDays).toBeGreaterThan(6.9);
    expect(expiresInDays).toBeLessThanOrEqual(7);
  }, 120_000);
});
