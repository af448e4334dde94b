// GIVEN pasted text or a key file, in whatever chunks the network delivers it,
// THEN the parser yields exactly the valid keys with their line numbers, or refuses the lines that are
// wrong, naming them; it never throws and never holds an unbounded line in memory.
import { describe, expect, it } from "vitest";
import {
  KeyFileParser,
  MAX_REPORTED_ISSUES,
  keyFileFormat,
  parseKeyFile,
  type KeyFileFormat,
} from "~/lib/key-import";

const encode = (text: string) => new TextEncoder().encode(text);

function bytes(...parts: Array<string | number[] | Uint8Array>) {
  const arrays = parts.map((part) =>
    typeof part === "string" ? encode(part) : part instanceof Uint8Array ? part : Uint8Array.from(part),
  );
  const out = new Uint8Array(arrays.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of arrays) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Feeds the input in the given chunk sizes (cycled), as a network would. */
function parseChunked(input: Uint8Array, format: KeyFileFormat, sizes: number[]) {
  const keys: Array<{ line: number; value: string }> = [];
  const parser = new KeyFileParser({ format, onKey: (value, line) => keys.push({ line, value }) });
  let offset = 0;
  for (let i = 0; offset < input.length; i++) {
    const size = sizes[i % sizes.length];
    parser.write(input.subarray(offset, offset + size));
    offset += size;
  }
  return { keys, summary: parser.end() };
}

// Deterministic pseudo-random numbers: a failing case can be replayed from its seed.
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("pasted text and .txt files", () => {
  it("trims keys, skips and counts blank lines, and numbers lines across CRLF, LF and CR", () => {
    const { keys, summary } = parseKeyFile("  AAA-1 \r\nBBB-2\rCCC-3\n\n \t \r\nDDD 4\n", "text");
    expect(keys).toEqual([
      { line: 1, value: "AAA-1" },
      { line: 2, value: "BBB-2" },
      { line: 3, value: "CCC-3" },
      { line: 6, value: "DDD 4" },
    ]);
    expect(summary).toMatchObject({ lines: 6, blankLines: 2, keys: 4, issues: [], truncated: false });
  });

  it("strips a byte-order mark and reads UTF-16 files saved by Windows tools", () => {
    expect(parseKeyFile(bytes([0xef, 0xbb, 0xbf], "KEY-1\nKEY-2"), "text").keys.map((k) => k.value)).toEqual([
      "KEY-1",
      "KEY-2",
    ]);
    const utf16 = new Uint8Array([0xff, 0xfe, ...Array.from(Buffer.from("KÉY-1\r\nKEY-2\r\n", "utf16le"))]);
    expect(parseKeyFile(utf16, "text").keys).toEqual([
      { line: 1, value: "KÉY-1" },
      { line: 2, value: "KEY-2" },
    ]);
  });

  it("accepts keys of exactly 255 characters, counting characters rather than bytes", () => {
    const emoji = "🔑".repeat(255);
    const { keys, summary } = parseKeyFile(`${"a".repeat(255)}\n${emoji}\n${"b".repeat(256)}\n`, "text");
    expect(keys.map((k) => k.line)).toEqual([1, 2]);
    expect(summary.issues).toEqual([{ line: 3, message: "Line 3: the key is 256 characters long; the limit is 255." }]);
  });

  it("refuses control and invisible characters inside a key, naming the line", () => {
    const { summary } = parseKeyFile("OK-1\nBAD\u0000KEY\nTAB\tKEY\nZERO\u200bWIDTH\nBELL\u0007\nOK-2\n", "text");
    expect(summary.issues.map((issue) => issue.line)).toEqual([2, 3, 4, 5]);
    expect(summary.issues[0].message).toMatch(/^Line 2: the key contains a NUL character/);
    expect(summary.issues[1].message).toBe("Line 3: the key contains a tab.");
    expect(summary.issues[2].message).toBe("Line 4: the key contains an invisible character (U+200B).");
    expect(summary.issues[3].message).toBe("Line 5: the key contains a control character (U+0007).");
  });

  it("refuses invalid UTF-8 on its line, while a character split between chunks is fine", () => {
    const input = bytes("GOOD-é\n", [0xc3, 0x28], "\n", [0xed, 0xa0, 0x80], "\n", [0xc0, 0x80], "\nLAST-", [0xe2, 0x82]);
    const { summary } = parseKeyFile(input, "text");
    expect(summary.issues.map((issue) => issue.line)).toEqual([2, 3, 4, 5]);
    expect(summary.issues[0].message).toMatch(/not valid UTF-8/);

    const euro = bytes("KEY-€-1\nKEY-€-2\n");
    for (let split = 1; split < euro.length; split++) {
      const { keys, summary: s } = parseChunked(euro, "text", [split, 1, 3]);
      expect(s.issues).toEqual([]);
      expect(keys.map((k) => k.value)).toEqual(["KEY-€-1", "KEY-€-2"]);
    }
  });

  it("counts CRLF split between chunks as one line break", () => {
    const { keys, summary } = parseChunked(encode("A\r\nB\r\nC"), "text", [2]);
    expect(keys).toEqual([
      { line: 1, value: "A" },
      { line: 2, value: "B" },
      { line: 3, value: "C" },
    ]);
    expect(summary.blankLines).toBe(0);
  });

  it("refuses a huge line without buffering it and goes on with the next lines", () => {
    const huge = new Uint8Array(20 * 1024 * 1024).fill(0x41);
    const parser = new KeyFileParser({ format: "text", onKey: () => {} });
    parser.write(encode("FIRST\n"));
    for (let offset = 0; offset < huge.length; offset += 64 * 1024) parser.write(huge.subarray(offset, offset + 64 * 1024));
    parser.write(encode("\nLAST\n"));
    const summary = parser.end();
    expect(summary.keys).toBe(2);
    expect(summary.issues).toEqual([
      { line: 2, message: "Line 2: the line is longer than 64 KB; a licence key has at most 255 characters." },
    ]);
  });

  it("refuses a huge final line with no line break, even handed over in one piece", () => {
    const { summary } = parseKeyFile(bytes("A\n", new Uint8Array(5_000_000).fill(0x42)), "text");
    expect(summary.issues.map((issue) => issue.line)).toEqual([2]);
  });

  it("reads millions of blank lines quickly and counts them", () => {
    const blank = encode("\r\n".repeat(3_000_000));
    const started = performance.now();
    const { keys, summary } = parseChunked(bytes(blank, "ONLY-KEY"), "text", [65536]);
    expect(keys).toEqual([{ line: 3_000_001, value: "ONLY-KEY" }]);
    expect(summary).toMatchObject({ lines: 3_000_001, blankLines: 3_000_000 });
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it("stops after the first refusals: enough for the merchant to fix the file", () => {
    const input = Array.from({ length: 40 }, (_, i) => `BAD\u0001${i}`).join("\n");
    const { summary } = parseKeyFile(input, "text");
    expect(summary.issues).toHaveLength(MAX_REPORTED_ISSUES);
    expect(summary.truncated).toBe(true);
  });

  it("never throws on random bytes", () => {
    const random = mulberry32(7);
    for (let round = 0; round < 200; round++) {
      const input = Uint8Array.from({ length: Math.floor(random() * 2000) }, () => Math.floor(random() * 256));
      for (const format of ["text", "csv"] as const) {
        const { keys, summary } = parseChunked(input, format, [1 + Math.floor(random() * 300)]);
        expect(summary.keys).toBe(keys.length);
        for (const key of keys) expect(key.value.length).toBeGreaterThan(0);
      }
    }
  });
});

describe("CSV files", () => {
  it("picks the key column by its header, whatever its case, spaces or dashes", () => {
    for (const header of ["key", "Code", "LICENCE_KEY", "License Key", "license-key", " Licence-Key "]) {
      const { keys, summary } = parseKeyFile(`order,${header},note\n1001,K-1,x\n1002,K-2,y\n`, "csv");
      expect(keys).toEqual([
        { line: 2, value: "K-1" },
        { line: 3, value: "K-2" },
      ]);
      expect(summary.column).toBe(header.trim());
    }
  });

  it("uses the first column when no header names the keys", () => {
    const { keys, summary } = parseKeyFile("K-1,product a\nK-2,product b\n", "csv");
    expect(keys.map((k) => k.value)).toEqual(["K-1", "K-2"]);
    expect(summary.column).toBeNull();
  });

  it("reads quoted fields with commas, escaped quotes and line breaks, numbering rows by their first line", () => {
    const csv = [
      '\ufeff"Licence key","Note"',
      '"K-1","first, with comma"',
      '"K-""2""","spans',
      'three',
      'lines"',
      'K-3,plain',
      '',
      '"K-4",',
    ].join("\r\n");
    for (const sizes of [[1], [7], [1 << 20]]) {
      const { keys, summary } = parseChunked(encode(csv), "csv", sizes);
      expect(keys).toEqual([
        { line: 2, value: "K-1" },
        { line: 3, value: 'K-"2"' },
        { line: 6, value: "K-3" },
        { line: 8, value: "K-4" },
      ]);
      expect(summary).toMatchObject({ lines: 8, blankLines: 1, column: "Licence key", issues: [] });
    }
  });

  it("refuses a key that itself contains a line break, and an empty key cell", () => {
    const { summary } = parseKeyFile('code,product\n"K-\n1",a\n,b\nK-2,c\n', "csv");
    expect(summary.issues).toEqual([
      { line: 2, message: "Line 2: the key contains a line break." },
      { line: 4, message: 'Line 4: the "code" column is empty.' },
    ]);
  });

  it("refuses a quote left open, naming the line where it opens", () => {
    const { summary } = parseKeyFile('K-1\nK-2\n"K-3,x\nK-4\nK-5\n', "csv");
    expect(summary.issues).toEqual([{ line: 3, message: "Line 3: a quoted field opens here and is never closed." }]);
  });

  it("detects semicolon and tab separated files from their header", () => {
    expect(parseKeyFile("product;code\np;K-1\n", "csv").keys).toEqual([{ line: 2, value: "K-1" }]);
    expect(parseKeyFile("product\tkey\np\tK-1\n", "csv").keys).toEqual([{ line: 2, value: "K-1" }]);
  });

  it("refuses an open quoted field that runs on for megabytes", () => {
    const input = bytes('K-1\n"', encode("x\n".repeat(2_000_000)));
    const { summary } = parseChunked(input, "csv", [65536]);
    expect(summary.issues).toHaveLength(1);
    expect(summary.issues[0].line).toBe(2);
  });
});

describe("generated adversarial files", () => {
  type Kind = "key" | "blank" | "long" | "control" | "utf8";
  const terminators = ["\n", "\r\n", "\r"];

  // Builds a file line by line and records what the parser must report for it.
  function generate(seed: number, format: KeyFileFormat) {
    const random = mulberry32(seed);
    const pick = <T,>(items: T[]) => items[Math.floor(random() * items.length)];
    const parts: Uint8Array[] = [];
    const expectedKeys: Array<{ line: number; value: string }> = [];
    const badLines: number[] = [];
    let blank = 0;
    let line = 0;
    if (random() < 0.5) parts.push(Uint8Array.from([0xef, 0xbb, 0xbf]));
    let previous = "";
    if (format === "csv") {
      previous = pick(terminators);
      parts.push(encode(`${pick(["Key", "licence_key", "License-Key", "code"])},note${previous}`));
      line++;
    }
    const count = 20 + Math.floor(random() * 200);
    for (let i = 0; i < count; i++) {
      const kind = pick<Kind>(["key", "key", "key", "key", "blank", "blank", "long", "control", "utf8"]);
      const value = `K${seed}-${i}-${Math.floor(random() * 1e9).toString(36)}`;
      const start = line + 1;
      let terminator = pick(terminators);
      let body: Uint8Array;
      let lines = 1;
      if (kind === "key") {
        const padded = `${pick(["", " ", "\t", "  "])}${value}${pick(["", " ", "\t"])}`;
        if (format === "csv" && random() < 0.5) {
          // A quoted key with a note spanning lines.
          const breaks = Math.floor(random() * 3);
          body = encode(`"${padded}","note${terminator.repeat(breaks)}with ""quotes"", commas"`);
          lines += breaks;
        } else {
          body = encode(format === "csv" ? `${padded},note` : padded);
        }
        expectedKeys.push({ line: start, value });
      } else if (kind === "blank") {
        body = encode(pick(["", " ", "\t \t"]));
        blank++;
      } else if (kind === "long") {
        body = encode("L".repeat(random() < 0.2 ? 70_000 : 256 + Math.floor(random() * 500)));
        badLines.push(start);
      } else if (kind === "control") {
        body = encode(`${value}${pick(["\u0000", "\u0001", "\u007f", "\u200e", "\u0085"])}X`);
        badLines.push(start);
      } else {
        body = bytes(value, pick([[0xff], [0xc3, 0x28], [0xe2, 0x28, 0xa1], [0xf0, 0x28, 0x8c, 0x28], [0xed, 0xa0, 0x80]]));
        badLines.push(start);
      }
      // "\r" then an empty line ended by "\n" would be one CRLF, not two line breaks.
      if (previous === "\r" && body.length === 0 && terminator === "\n") terminator = "\r";
      previous = terminator;
      line += lines;
      parts.push(body, encode(i === count - 1 && random() < 0.3 ? "" : terminator));
    }
    return { input: bytes(...parts), expectedKeys, badLines, blank };
  }

  for (const format of ["text", "csv"] as const) {
    it(`${format}: exactly the valid keys, or refusals naming exactly the bad lines (200 files)`, () => {
      for (let seed = 1; seed <= 200; seed++) {
        const { input, expectedKeys, badLines, blank } = generate(seed, format);
        const random = mulberry32(seed * 31);
        const sizes = [1 + Math.floor(random() * 5000), 1 + Math.floor(random() * 17)];
        const { keys, summary } = parseChunked(input, format, sizes);
        const context = `seed ${seed}, chunks ${sizes.join("/")}`;
        if (badLines.length === 0) {
          expect(summary.issues, context).toEqual([]);
          expect(keys, context).toEqual(expectedKeys);
          expect(summary.blankLines, context).toBe(blank);
        } else {
          expect(summary.issues.map((issue) => issue.line), context).toEqual(badLines.slice(0, MAX_REPORTED_ISSUES));
          // Whatever keys came out before reading stopped are the right ones, in order (none get imported).
          expect(keys, context).toEqual(expectedKeys.slice(0, keys.length));
        }
      }
    });
  }
});

describe("format", () => {
  it("reads .csv files as CSV and everything else as one key per line", () => {
    expect(keyFileFormat("keys.CSV")).toBe("csv");
    expect(keyFileFormat("export", "text/csv")).toBe("csv");
    expect(keyFileFormat("keys.txt", "text/plain")).toBe("text");
    expect(keyFileFormat("pasted")).toBe("text");
  });
});
