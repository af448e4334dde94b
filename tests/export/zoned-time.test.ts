// GIVEN instants around the year, daylight-saving changes and zones with odd offsets
// THEN exported times are the shop's wall-clock time, exactly as Intl computes it, to the second.
import { describe, expect, it } from "vitest";
import { safeTimeZone, zonedFormatter } from "~/lib/zoned-time";

function reference(epochMs: number, timeZone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(new Date(epochMs))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

describe("wall-clock times in the shop's zone", () => {
  it("shifts by the zone's offset, winter and summer", () => {
    const berlin = zonedFormatter("Europe/Berlin");
    expect(berlin.format(Date.UTC(2026, 0, 15, 12, 0, 5))).toBe("2026-01-15 13:00:05");
    expect(berlin.format(Date.UTC(2026, 6, 15, 12, 0, 5))).toBe("2026-07-15 14:00:05");
    expect(zonedFormatter("America/St_Johns").format(Date.UTC(2026, 0, 1, 2, 0, 0))).toBe("2025-12-31 22:30:00");
    expect(zonedFormatter("Asia/Kathmandu").format(Date.UTC(2026, 0, 1, 0, 0, 0))).toBe("2026-01-01 05:45:00");
  });

  it("is exact across daylight-saving changes, second by second around them", () => {
    for (const [zone, change] of [
      ["Europe/Berlin", Date.UTC(2026, 2, 29, 1, 0, 0)],
      ["Europe/Berlin", Date.UTC(2026, 9, 25, 1, 0, 0)],
      ["America/New_York", Date.UTC(2026, 2, 8, 7, 0, 0)],
      ["Australia/Lord_Howe", Date.UTC(2026, 3, 4, 15, 0, 0)],
    ] as const) {
      const zoned = zonedFormatter(zone);
      for (let t = change - 2 * 3_600_000; t <= change + 2 * 3_600_000; t += 59_000) {
        expect(zoned.format(t), `${zone} ${new Date(t).toISOString()}`).toBe(reference(t, zone));
      }
    }
  });

  it("agrees with Intl on random instants over decades", () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const zone of [
      "UTC",
      "Europe/London",
      "America/Los_Angeles",
      "Asia/Tokyo",
      "Pacific/Chatham",
      "America/Sao_Paulo",
    ]) {
      const zoned = zonedFormatter(zone);
      for (let i = 0; i < 500; i++) {
        const t = Date.UTC(2000, 0, 1) + Math.floor(random() * 40 * 365 * 86_400_000);
        expect(zoned.format(t)).toBe(reference(t, zone));
      }
    }
  });

  it("reads PostgreSQL's UTC timestamp text and drops fractions of a second", () => {
    const berlin = zonedFormatter("Europe/Berlin");
    expect(berlin.formatPgUtc("2026-11-29 13:03:12.999")).toBe("2026-11-29 14:03:12");
    expect(berlin.formatPgUtc("2026-06-01 00:00:00")).toBe("2026-06-01 02:00:00");
  });

  it("reads PostgreSQL's text for any instant the way Intl shows it, in UTC and other zones", () => {
    let seed = 5;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const zone of ["UTC", "Europe/Berlin", "America/St_Johns", "Australia/Lord_Howe"]) {
      const zoned = zonedFormatter(zone);
      for (let i = 0; i < 500; i++) {
        const t = Date.UTC(1990, 0, 1) + Math.floor(random() * 60 * 365 * 86_400_000);
        const text = new Date(t).toISOString().replace("T", " ").replace("Z", "");
        const pgText = i % 3 === 0 ? text.slice(0, 19) : text;
        expect(zoned.formatPgUtc(pgText), `${zone} ${pgText}`).toBe(reference(Math.floor(t / 1000) * 1000, zone));
      }
    }
    expect(zonedFormatter("UTC").formatPgUtc("2026-11-29 13:03:12.999")).toBe("2026-11-29 13:03:12");
  });

  it("falls back to UTC for a zone Intl does not know", () => {
    expect(safeTimeZone("Mars/Olympus_Mons")).toBe("UTC");
    expect(safeTimeZone("")).toBe("UTC");
    expect(safeTimeZone("Europe/Berlin")).toBe("Europe/Berlin");
  });
});
