// Wall-clock times in the shop's time zone for files (exports): "2026-11-29 14:03:12", which Excel,
// Google Sheets and Numbers all read as a date-time. Fast enough for millions of values: the zone's
// offset is looked up once per hour of UTC time, not per value.

const HOUR = 3_600_000;
const CACHE_LIMIT = 50_000;

const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => (n < 10 ? `0${n}` : String(n)));

// Calendar arithmetic on integers (H. Hinnant's days_from_civil / civil_from_days): no Date objects
// in the per-value path, which a million-row export calls three million times.
function daysFromCivil(y: number, m: number, d: number) {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** "YYYY-MM-DD HH:MM:SS" of a UTC epoch in whole seconds shifted by `offsetSeconds`. */
function wallClock(epochSeconds: number, offsetSeconds: number) {
  const local = epochSeconds + offsetSeconds;
  const days = Math.floor(local / 86_400);
  let rest = local - days * 86_400;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const seconds = rest - minutes * 60;
  return `${year}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]} ${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}`;
}

/** Two ASCII digits of `text` at `at` as a number. */
function digits2(text: string, at: number) {
  return (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;
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
    const epochSeconds = Math.floor(epochMs / 1000);
    return wallClock(epochSeconds, offsetAt(epochSeconds * 1000) / 1000);
  };

  const formatPgUtc = (text: string) => {
    const year = digits2(text, 0) * 100 + digits2(text, 2);
    const epochSeconds =
      daysFromCivil(year, digits2(text, 5), digits2(text, 8)) * 86_400 +
      digits2(text, 11) * 3600 +
      digits2(text, 14) * 60 +
      digits2(text, 17);
    const offsetSeconds = offsetAt(epochSeconds * 1000) / 1000;
    // UTC shops: the text is already the answer, minus its fraction of a second.
    if (offsetSeconds === 0) return text.length === 19 ? text : text.slice(0, 19);
    return wallClock(epochSeconds, offsetSeconds);
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
