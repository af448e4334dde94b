// Dates and counts as the merchant reads them in the library's tables.
import { describe, expect, it } from "vitest";
import { formatCount, formatDateTime } from "~/lib/library";

describe("library formats", () => {
  it("shows a moment in the shop's time zone, the same on every call", () => {
    const moment = "2026-03-01T18:30:00.000Z";
    expect(formatDateTime(moment, "Europe/Berlin").replace(/\s/g, " ")).toBe("Mar 1, 2026, 7:30 PM");
    expect(formatDateTime(moment, "America/New_York").replace(/\s/g, " ")).toBe("Mar 1, 2026, 1:30 PM");
    expect(formatDateTime(new Date(moment), "Europe/Berlin").replace(/\s/g, " ")).toBe("Mar 1, 2026, 7:30 PM");
    expect(formatDateTime("2026-07-01T18:30:00.000Z", "Europe/Berlin").replace(/\s/g, " ")).toBe(
      "Jul 1, 2026, 8:30 PM",
    );
  });

  it("falls back to UTC for a zone it doesn't know, and shows nothing for no date", () => {
    expect(formatDateTime("2026-03-01T18:30:00.000Z", "Mars/Olympus_Mons").replace(/\s/g, " ")).toBe(
      "Mar 1, 2026, 6:30 PM",
    );
    expect(formatDateTime("2026-03-01T18:30:00.000Z", "Mars/Olympus_Mons").replace(/\s/g, " ")).toBe(
      "Mar 1, 2026, 6:30 PM",
    );
    expect(formatDateTime(null, "Europe/Berlin").replace(/\s/g, " ")).toBe("");
  });

  it("groups thousands", () => {
    expect(formatCount(1_000_000)).toBe("1,000,000");
  });
});
