// Wall-clock times in the shop's time zone for files (exports): "2026-11-29 14:03:12", which Excel,
// Google Sheets and Numbers all read as a date-time. Fast enough for millions of values: the zone's
// offset is looked up once per hour of UTC time, not per value.

const HOUR = 3_600_000;
const CACHE_LIMIT = 50_000;

function pad2(n: number) {
  return n < 10 ? `0${n}` : String(n);
}

/** "YYYY-MM-DD HH:MM:SS" of a UTC epoch in milliseconds shifted by `offsetMs`. */
function wallClock(epochMs: number, offsetMs: number) {
  const d = new Date(epochMs + offsetMs);
  return (
    `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`
  );
}

export interface ZonedFormatter {
  /** A Date, or epoch milliseconds, as wall-clock time in the zone. */
  format(value: Date | number): string;
  /**
   * PostgreSQL's text form of a UTC `timestamp` ("2026-11-29 13:03:12.345", DateStyle ISO), as
   * COPY and the pg driver's raw rows give it, as wall-clock time in the zone.
   */
  formatPgUtc(text: string): string;
  readonly timeZone: string;
}

/** Throws a RangeError for an unknown zone, like Intl does. */
export function zonedFormatter(timeZone: string): ZonedFormatter {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  const exactOffset = (epochMs: number) => {
    const fields: Record<string, number> = {};
    for (const part of parts.formatToParts(new Date(epochMs))) {
      if (part.type !== "literal") fields[part.type] = Number(part.value);
    }
    const asUtc = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);
    return asUtc - (epochMs - (((epochMs % 1000) + 1000) % 1000));
  };

  // Offsets change a few times a year at most: when an hour starts and ends on the same offset it
  // holds for the whole hour; the hour of a change is computed value by value.
  const byHour = new Map<number, number | null>();
  const offsetAt = (epochMs: number) => {
    const hour = Math.floor(epochMs / HOUR);
    let offset = byHour.get(hour);
    if (offset === undefined) {
      const start = exactOffset(hour * HOUR);
      offset = start === exactOffset(hour * HOUR + HOUR - 1000) ? start : null;
      if (byHour.size >= CACHE_LIMIT) byHour.clear();
      byHour.set(hour, offset);
    }
    return offset ?? exactOffset(epochMs);
  };

  const format = (value: Date | number) => {
    const epochMs = typeof value === "number" ? value : value.getTime();
    return wallClock(epochMs, offsetAt(epochMs));
  };

  const formatPgUtc = (text: string) => {
    const epochMs = Date.UTC(
      Number(text.slice(0, 4)),
      Number(text.slice(5, 7)) - 1,
      Number(text.slice(8, 10)),
      Number(text.slice(11, 13)),
      Number(text.slice(14, 16)),
      Number(text.slice(17, 19)),
    );
    return wallClock(epochMs, offsetAt(epochMs));
  };

  return { format, formatPgUtc, timeZone };
}

/** The zone if Intl knows it, else UTC (a shop row can predate its first sync with Shopify). */
export function safeTimeZone(timeZone: string | null | undefined): string {
  if (!timeZone) return "UTC";
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return timeZone;
  } catch {
    return "UTC";
  }
}
