// CSV as spreadsheets read it: RFC 4180 (CRLF, quotes doubled, fields with a comma, quote or line
// break quoted), UTF-8 with a byte-order mark so Excel does not guess a legacy code page, and cells a
// spreadsheet would evaluate as a formula defused the way OWASP recommends (a leading single quote).
// csv-stringify does the quoting and the formula escaping; this module fixes its options once.
import { stringify, type Options } from "csv-stringify/sync";

export type CsvField = string | number | bigint | null | undefined;

/** UTF-8 byte-order mark: Excel reads a BOM-less CSV as Windows-1252 and garbles non-ASCII. */
export const CSV_BOM = "\uFEFF";
export const CSV_CONTENT_TYPE = "text/csv; charset=utf-8";

const OPTIONS: Options = {
  record_delimiter: "windows",
  // Quote any field holding a line break. csv-stringify turns this off by default as soon as a
  // record delimiter is given, and a bare LF inside a field would then split the row for readers.
  quote_record_delimiter: true,
  // Prefixes ' to fields starting with = + - @ tab or CR (and their full-width forms, which Apple
  // Numbers normalises): https://owasp.org/www-community/attacks/CSV_Injection
  escape_formulas: true,
  // An empty cell and a missing value look the same in a spreadsheet; keep the file small.
  quoted_empty: false,
};

/** Records as CSV text, each ending in CRLF. Null and undefined become empty cells. */
export function formatCsvRecords(records: ReadonlyArray<ReadonlyArray<CsvField>>): string {
  if (records.length === 0) return "";
  return stringify(records as CsvField[][], OPTIONS);
}

/** The start of a CSV file: byte-order mark and header row. */
export function formatCsvHeader(columns: ReadonlyArray<string>): string {
  return CSV_BOM + formatCsvRecords([columns]);
}

/** A whole small CSV file in one string. */
export function formatCsvDocument(columns: ReadonlyArray<string>, records: ReadonlyArray<ReadonlyArray<CsvField>>) {
  return formatCsvHeader(columns) + formatCsvRecords(records);
}

/** What a neutralised cell holds, for callers that show or compare values (e.g. tests, previews). */
export function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(value) ? `'${value}` : value;
}

/** A file name safe in Content-Disposition and on every file system. */
export function csvFileName(parts: ReadonlyArray<string>): string {
  const base = parts
    .map((part) =>
      part
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-+|-+$/g, ""),
    )
    .filter(Boolean)
    .join("-");
  return `${base || "export"}.csv`;
}
