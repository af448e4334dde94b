// GIVEN values a merchant's keys, tags and orders can hold
// THEN the CSV is RFC 4180 (CRLF, quoting, doubled quotes), starts with a UTF-8 BOM, reads back to the
// same values with a standard parser, and never lets a spreadsheet evaluate a cell as a formula.
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import {
  CSV_BOM,
  csvFileName,
  formatCsvDocument,
  formatCsvHeader,
  formatCsvRecords,
  neutraliseFormula,
} from "~/lib/csv";

const readBack = (text: string) => parse(text, { bom: true, relax_column_count: false }) as string[][];

describe("CSV formatting", () => {
  it("ends every record with CRLF and quotes only fields that need it", () => {
    const text = formatCsvRecords([
      ["plain", "with,comma", 'with "quote"', "line\nbreak", "cr\rhere"],
      ["ÄÖÜ ключ 鍵", "", null, undefined, 42],
    ]);
    expect(text).toBe('plain,"with,comma","with ""quote""","line\nbreak","cr\rhere"\r\n' + "ÄÖÜ ключ 鍵,,,,42\r\n");
  });

  it("starts the file with a UTF-8 byte-order mark and the header row", () => {
    const header = formatCsvHeader(["Licence key", "Added at (Europe/Berlin)"]);
    expect(header.startsWith(CSV_BOM)).toBe(true);
    expect(Buffer.from(header, "utf8").subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(header.slice(1)).toBe("Licence key,Added at (Europe/Berlin)\r\n");
  });

  it.each([
    ['=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'],
    ["+1+1", "'+1+1"],
    ["-2+3", "'-2+3"],
    ["@SUM(A1:A9)", "'@SUM(A1:A9)"],
    ["\t=1", "'\t=1"],
    ["\r=1", "'\r=1"],
    ["＝1+1", "'＝1+1"],
  ])("neutralises %j so a spreadsheet shows it as text", (value, shown) => {
    const [[cell]] = readBack(formatCsvRecords([[value]]));
    expect(cell).toBe(shown);
    expect(neutraliseFormula(value)).toBe(shown);
  });

  it.each(["ABCDE-12345", "a=b", "key-with-dash", "email@example.com", "#1001", ""])("leaves %j as it is", (value) => {
    const [[cell]] = readBack(formatCsvRecords([[value, "x"]]));
    expect(cell).toBe(value);
    expect(neutraliseFormula(value)).toBe(value);
  });

  it("reads back to the same values, whatever characters they hold", () => {
    const alphabet = ['"', ",", "\n", "\r", "\t", " ", "a", "Z", "9", "=", "-", "@", "'", ";", "é", "🔑", "\\"];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const rows = Array.from({ length: 300 }, () =>
      Array.from({ length: 4 }, () =>
        Array.from({ length: Math.floor(random() * 12) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(
          "",
        ),
      ),
    );
    const document = formatCsvDocument(["a", "b", "c", "d"], rows);
    const [header, ...back] = readBack(document);
    expect(header).toEqual(["a", "b", "c", "d"]);
    expect(back).toEqual(rows.map((row) => row.map(neutraliseFormula)));
  });

  it("names files safely", () => {
    expect(csvFileName(["keyshelf", "Pro Keys/2026", "", "PENDING"])).toBe("keyshelf-pro-keys-2026-pending.csv");
    expect(csvFileName(["", "!!!"])).toBe("export.csv");
  });
});
