// Reading licence keys out of pasted text or an uploaded .txt/.csv file, fed as a stream of byte chunks.
//
// Pure (no I/O): the caller pushes chunks and receives each valid key with its line number through
// `onKey`, so a million-key upload never sits in memory. Whatever the input, the result is either
// every valid key, or a list of refusals naming their lines; nothing here throws on bad input.
// CSV goes through csv-parse (its Node build): this module is for the server and tests; the admin UI
// receives the limits it shows from its loader.
import { type CsvError } from "csv-parse";
import { parse as parseCsv } from "csv-parse/sync";

export const MAX_KEY_LENGTH = 255;
/** A physical line longer than this can only be refused; it is never held in memory whole. */
export const MAX_LINE_BYTES = 64 * 1024;
/** A file with this many refused lines is not read further: the merchant has enough to fix. */
export const MAX_REPORTED_ISSUES = 10;
export const KEY_FILE_EXTENSIONS = [".txt", ".csv"] as const;

export type KeyFileFormat = "text" | "csv";

export interface KeyFileIssue {
  line: number;
  message: string;
}

export interface KeyFileSummary {
  /** Physical lines read (CRLF, LF and lone CR each end one line). */
  lines: number;
  /** Lines (CSV: rows) with nothing but whitespace: skipped, not refused. */
  blankLines: number;
  /** Valid keys handed to onKey. */
  keys: number;
  /** CSV only: the header whose column held the keys; null when the first column was used. */
  column: string | null;
  issues: KeyFileIssue[];
  /** True when reading stopped after MAX_REPORTED_ISSUES refusals: more lines may be bad. */
  truncated: boolean;
}

export function keyFileFormat(fileName: string, contentType = ""): KeyFileFormat {
  if (/\.csv$/i.test(fileName) || /(^|\/)csv\b/i.test(contentType)) return "csv";
  return "text";
}

/** Only plain text files: a spreadsheet (.xlsx) or PDF would read as garbage. */
export function isAcceptedKeyFileName(fileName: string) {
  const lower = fileName.toLowerCase();
  return KEY_FILE_EXTENSIONS.some((extension) => lower.endsWith(extension));
}

// C0/C1 controls, and characters that are invisible or reorder text (zero-width, bidi overrides, BOM,
// line/paragraph separators): a key carrying one looks identical to a different key on screen.
// U+FFFD only appears when a file was already damaged by a wrong encoding.
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ufffd]/;

function codePoint(char: string) {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

function describeForbidden(char: string) {
  const code = char.codePointAt(0)!;
  if (code === 10 || code === 13) return "a line break";
  if (code === 9) return "a tab";
  if (code === 0) return "a NUL character (U+0000); is the file saved as UTF-16? Save it as UTF-8";
  if (code === 0xfffd) return "the replacement character U+FFFD, left by a wrong text encoding";
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return `a control character (${codePoint(char)})`;
  return `an invisible character (${codePoint(char)})`;
}

function codePointLength(value: string) {
  let count = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) count++;
  }
  return count;
}

/** Why a trimmed, non-empty key is refused, or null when it is fine. */
export function keyProblem(key: string): string | null {
  if (key.length > MAX_KEY_LENGTH) {
    const length = codePointLength(key);
    if (length > MAX_KEY_LENGTH) return `the key is ${length.toLocaleString("en")} characters long; the limit is ${MAX_KEY_LENGTH}`;
  }
  const match = FORBIDDEN.exec(key);
  if (match) return `the key contains ${describeForbidden(match[0])}`;
  return null;
}

// Header cells, compared without case, spaces, dashes and underscores (not tabs: "product<TAB>key"
// is two cells of a tab-separated header, not one called "productkey"). Earlier entries win when
// several columns match ("order code" and "licence key": the licence key column).
const KEY_HEADERS = [
  "licencekey",
  "licensekey",
  "licencekeys",
  "licensekeys",
  "licencecode",
  "licensecode",
  "licence",
  "license",
  "serialkey",
  "serialnumber",
  "serial",
  "productkey",
  "activationkey",
  "activationcode",
  "key",
  "keys",
  "code",
  "codes",
];

function headerRank(cell: string) {
  return KEY_HEADERS.indexOf(cell.trim().toLowerCase().replace(/[ _-]+/g, ""));
}

function keyColumn(cells: string[]): number {
  let best = -1;
  let bestRank = Infinity;
  cells.forEach((cell, index) => {
    const rank = headerRank(cell);
    if (rank >= 0 && rank < bestRank) {
      best = index;
      bestRank = rank;
    }
  });
  return best;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
// Bytes are handed to the decoder in slices of this size, so memory stays bounded whatever the caller passes.
const SLICE_BYTES = 1 << 20;

function concat(parts: Uint8Array[], total: number) {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function indexOfTerminator(bytes: Uint8Array, from: number) {
  const lf = bytes.indexOf(10, from);
  const cr = bytes.indexOf(13, from);
  if (lf === -1) return cr;
  if (cr === -1) return lf;
  return Math.min(lf, cr);
}

function lastIndexOfTerminator(bytes: Uint8Array) {
  return Math.max(bytes.lastIndexOf(10), bytes.lastIndexOf(13));
}

interface LineSink {
  line(text: string, lineNo: number): void;
  bad(lineNo: number, message: string): void;
}

const TOO_LONG = `the line is longer than ${MAX_LINE_BYTES / 1024} KB; a licence key has at most ${MAX_KEY_LENGTH} characters`;
const NOT_UTF8 = "the line is not valid UTF-8 text; save the file as UTF-8 (CSV UTF-8 in Excel)";

/**
 * Bytes in, numbered lines out. Handles a UTF-8 byte-order mark, UTF-16 files (transcoded), any mix of
 * CRLF/LF/CR, invalid UTF-8 (reported on its line) and unbounded lines (never buffered past MAX_LINE_BYTES).
 */
class LineReader {
  lineNo = 0;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private overlong = false;
  private skipLF = false;
  private head: Uint8Array | null = new Uint8Array(0);
  private utf16: TextDecoder | null = null;
  private readonly encoder = new TextEncoder();
  broken = false;

  constructor(private readonly sink: LineSink) {}

  write(chunk: Uint8Array) {
    if (this.broken || chunk.length === 0) return;
    if (this.head) {
      // The first bytes decide the encoding; wait for three of them (or the end).
      const head = concat([this.head, chunk], this.head.length + chunk.length);
      if (head.length < 3) {
        this.head = head;
        return;
      }
      this.head = null;
      this.start(head);
      return;
    }
    this.feed(chunk);
  }

  end() {
    if (this.head) {
      const head = this.head;
      this.head = null;
      if (head.length) this.start(head);
    }
    if (this.utf16 && !this.broken) {
      try {
        this.decodedUtf8(this.utf16.decode());
      } catch {
        this.brokenUtf16();
      }
    }
    if (this.broken) return;
    if (this.overlong) {
      this.overlong = false;
      this.sink.bad(++this.lineNo, TOO_LONG);
    } else if (this.pendingBytes > 0) {
      const bytes = concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      this.decodeLine(bytes, ++this.lineNo);
    }
  }

  private start(head: Uint8Array) {
    if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
      this.feed(head.subarray(3));
    } else if (head[0] === 0xff && head[1] === 0xfe) {
      this.utf16 = new TextDecoder("utf-16le", { fatal: true, ignoreBOM: false });
      this.feed(head);
    } else if (head[0] === 0xfe && head[1] === 0xff) {
      this.utf16 = new TextDecoder("utf-16be", { fatal: true, ignoreBOM: false });
      this.feed(head);
    } else {
      this.feed(head);
    }
  }

  private feed(bytes: Uint8Array) {
    if (this.utf16) {
      for (let offset = 0; offset < bytes.length && !this.broken; offset += SLICE_BYTES) {
        let text: string;
        try {
          text = this.utf16.decode(bytes.subarray(offset, offset + SLICE_BYTES), { stream: true });
        } catch {
          this.brokenUtf16();
          return;
        }
        this.decodedUtf8(text);
      }
      return;
    }
    for (let offset = 0; offset < bytes.length; offset += SLICE_BYTES) {
      this.slice(bytes.subarray(offset, offset + SLICE_BYTES));
    }
  }

  private decodedUtf8(text: string) {
    if (!text) return;
    const bytes = this.encoder.encode(text);
    for (let offset = 0; offset < bytes.length; offset += SLICE_BYTES) {
      this.slice(bytes.subarray(offset, offset + SLICE_BYTES));
    }
  }

  private brokenUtf16() {
    // A UTF-16 stream cannot be re-synchronised after a bad code unit; stop at that line.
    this.broken = true;
    this.sink.bad(this.lineNo + 1, "the file starts like UTF-16 text but is not valid UTF-16; save it as UTF-8");
  }

  private hold(part: Uint8Array) {
    if (part.length === 0 || this.overlong) return;
    if (this.pendingBytes + part.length > MAX_LINE_BYTES) {
      this.overlong = true;
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    this.pending.push(part);
    this.pendingBytes += part.length;
  }

  private slice(bytes: Uint8Array) {
    let pos = 0;
    if (this.skipLF) {
      this.skipLF = false;
      if (bytes[0] === 10) pos = 1;
    }
    const first = indexOfTerminator(bytes, pos);
    if (first === -1) {
      this.hold(bytes.subarray(pos));
      return;
    }
    const last = lastIndexOfTerminator(bytes);
    if (this.overlong) {
      // The line that grew too long ends here; it is refused without ever being read whole.
      this.overlong = false;
      this.pending = [];
      this.pendingBytes = 0;
      this.sink.bad(++this.lineNo, TOO_LONG);
      pos = first + 1;
      if (bytes[first] === 13 && bytes[pos] === 10) pos++;
    }
    if (pos <= last) {
      const block = concat([...this.pending, bytes.subarray(pos, last + 1)], this.pendingBytes + last + 1 - pos);
      this.pending = [];
      this.pendingBytes = 0;
      this.block(block);
    }
    if (bytes[last] === 13 && last === bytes.length - 1) this.skipLF = true;
    this.hold(bytes.subarray(last + 1));
  }

  /** Complete lines, the last one ending with its terminator. */
  private block(bytes: Uint8Array) {
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      this.blockLineByLine(bytes);
      return;
    }
    const sink = this.sink;
    const n = text.length;
    let start = 0;
    while (start < n) {
      let i = start;
      let c = 0;
      for (; i < n; i++) {
        c = text.charCodeAt(i);
        if (c === 10 || c === 13) break;
      }
      sink.line(text.slice(start, i), ++this.lineNo);
      start = c === 13 && text.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
    }
  }

  // Slow path, only for a block with invalid UTF-8: find which lines are bad.
  private blockLineByLine(bytes: Uint8Array) {
    let start = 0;
    while (start < bytes.length) {
      let end = indexOfTerminator(bytes, start);
      if (end === -1) end = bytes.length;
      this.decodeLine(bytes.subarray(start, end), ++this.lineNo);
      start = bytes[end] === 13 && bytes[end + 1] === 10 ? end + 2 : end + 1;
    }
  }

  private decodeLine(bytes: Uint8Array, lineNo: number) {
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      this.sink.bad(lineNo, NOT_UTF8);
      return;
    }
    this.sink.line(text, lineNo);
  }
}

export interface KeyFileParserOptions {
  format: KeyFileFormat;
  /** Each valid key, trimmed, with its line (CSV: the line its row starts on), in file order. */
  onKey(value: string, lineNo: number): void;
  maxIssues?: number;
}

/**
 * Incremental parser: `write` byte chunks as they arrive, then `end()` for the summary.
 * Once `failed` is true the upload will be refused; reading goes on only to report more bad lines.
 */
export class KeyFileParser {
  private readonly reader: LineReader;
  private readonly maxIssues: number;
  private readonly onKey: (value: string, lineNo: number) => void;
  private readonly issues: KeyFileIssue[] = [];
  private blankLines = 0;
  private keys = 0;
  private stopped = false;
  private ended = false;
  private readonly csv: CsvKeys | null;

  constructor({ format, onKey, maxIssues = MAX_REPORTED_ISSUES }: KeyFileParserOptions) {
    this.onKey = onKey;
    this.maxIssues = maxIssues;
    this.csv = format === "csv" ? new CsvKeys(this) : null;
    const sink: LineSink = this.csv ?? {
      line: (text, lineNo) => {
        const key = text.trim();
        if (key === "") this.blankLines++;
        else this.acceptKey(key, lineNo);
      },
      bad: (lineNo, message) => this.refuse(lineNo, message),
    };
    this.reader = new LineReader(sink);
  }

  get failed() {
    return this.issues.length > 0;
  }

  /** True once the parser has seen enough refusals and ignores further input. */
  get done() {
    return this.stopped;
  }

  write(chunk: Uint8Array) {
    if (this.stopped || this.ended) return;
    this.reader.write(chunk);
  }

  end(): KeyFileSummary {
    if (!this.ended) {
      this.ended = true;
      if (!this.stopped) {
        this.reader.end();
        this.csv?.end();
      }
    }
    return {
      lines: this.reader.lineNo,
      blankLines: this.blankLines,
      keys: this.keys,
      column: this.csv?.header ?? null,
      issues: [...this.issues],
      truncated: this.stopped,
    };
  }

  /** @internal used by the CSV reader */
  blank() {
    this.blankLines++;
  }

  /** @internal */
  acceptKey(key: string, lineNo: number) {
    const problem = keyProblem(key);
    if (problem) {
      this.refuse(lineNo, problem);
      return;
    }
    this.keys++;
    this.onKey(key, lineNo);
  }

  /** @internal */
  refuse(lineNo: number, message: string) {
    if (this.stopped) return;
    this.issues.push({ line: lineNo, message: `Line ${lineNo.toLocaleString("en")}: ${message}.` });
    if (this.issues.length >= this.maxIssues) this.stopped = true;
  }

  /** @internal */
  stop() {
    this.stopped = true;
  }
}

const CSV_DELIMITERS = [",", ";", "\t", "|"];
// Lines with quotes are handed to csv-parse in batches of about this many characters.
const CSV_BATCH_CHARS = 1 << 16;

/**
 * CSV rows. A line without a quote character, read while no quoted field is open, is exactly its cells
 * split on the delimiter: that covers nearly every line of a key file and is ten times faster than
 * csv-parse's byte-by-byte machine. Lines with quotes gather into a "region" that csv-parse reads;
 * whatever it leaves open (a quoted field spanning lines) waits for the next lines. A row's number is
 * the line it starts on.
 */
class CsvKeys implements LineSink {
  header: string | null = null;
  private delimiter: string | null = null;
  private column = -1;
  private region: string[] = [];
  private regionStart = 0;
  private regionChars = 0;
  private regionQuotes = 0;
  private nextAttempt = CSV_BATCH_CHARS;

  constructor(private readonly owner: KeyFileParser) {}

  line(text: string, lineNo: number) {
    if (this.owner.done) return;
    if (this.delimiter === null) {
      if (text.trim() === "") {
        this.owner.blank();
        return;
      }
      this.delimiter = detectDelimiter(text);
    }
    const quotes = countQuotes(text);
    // An even count of quotes so far means no field is open (csv-parse has the last word): read the
    // region before a plain line so the plain line can take the fast path.
    if (this.region.length > 0 && quotes === 0 && this.regionQuotes % 2 === 0) this.readRegion(false);
    if (this.owner.done) return;
    if (this.region.length === 0 && quotes === 0) {
      this.record(text.split(this.delimiter), lineNo);
      return;
    }
    if (this.region.length === 0) this.regionStart = lineNo;
    this.region.push(text);
    this.regionChars += text.length + 1;
    this.regionQuotes += quotes;
    if (this.regionChars >= this.nextAttempt) this.readRegion(false);
  }

  bad(lineNo: number, message: string) {
    this.owner.refuse(lineNo, message);
    // An empty line in its place keeps the following line numbers right.
    if (this.region.length > 0) {
      this.region.push("");
      this.regionChars += 1;
    }
  }

  end() {
    if (this.region.length > 0 && !this.owner.done) this.readRegion(true);
  }

  private readRegion(final: boolean) {
    const rows: Array<{ record: string[]; lines: number }> = [];
    let failure: CsvError | null = null;
    try {
      parseCsv(`${this.region.join("\n")}\n`, {
        delimiter: this.delimiter ?? ",",
        record_delimiter: "\n",
        relax_column_count: true,
        relax_quotes: true,
        skip_empty_lines: false,
        max_record_size: MAX_LINE_BYTES,
        on_record: (record: string[], info: { lines: number }) => {
          rows.push({ record, lines: info.lines });
          return null;
        },
      });
    } catch (error) {
      failure = error as CsvError;
    }
    let previousEnd = this.regionStart - 1;
    for (const row of rows) {
      const start = previousEnd + 1;
      previousEnd = this.regionStart - 1 + row.lines;
      this.record(row.record, start);
    }
    if (!failure) {
      this.resetRegion([]);
      return;
    }
    const openAt = previousEnd + 1;
    if (!final && failure.code === "CSV_QUOTE_NOT_CLOSED") {
      // The rows before the open field are done; keep only the open row's lines.
      this.resetRegion(this.region.slice(openAt - this.regionStart));
      this.regionStart = openAt;
      return;
    }
    const message =
      failure.code === "CSV_QUOTE_NOT_CLOSED"
        ? "a quoted field opens here and is never closed"
        : failure.code === "CSV_MAX_RECORD_SIZE"
          ? `the row starting here is longer than ${MAX_LINE_BYTES / 1024} KB (is a quote left open?)`
          : `the row is not valid CSV (${String(failure.message).replace(/\s+at line \d+.*$/s, "")})`;
    this.owner.refuse(openAt, message);
    this.owner.stop();
  }

  private resetRegion(lines: string[]) {
    this.region = lines;
    this.regionChars = 0;
    this.regionQuotes = 0;
    for (const line of lines) {
      this.regionChars += line.length + 1;
      this.regionQuotes += countQuotes(line);
    }
    this.nextAttempt = this.regionChars + CSV_BATCH_CHARS;
  }

  private record(record: string[], lineNo: number) {
    if (this.column < 0) {
      const column = keyColumn(record);
      if (column >= 0) {
        this.column = column;
        this.header = record[column].trim();
        return;
      }
      this.column = 0;
    }
    const key = (record[this.column] ?? "").trim();
    if (key !== "") {
      this.owner.acceptKey(key, lineNo);
    } else if (record.every((value) => value.trim() === "")) {
      this.owner.blank();
    } else {
      this.owner.refuse(lineNo, this.header ? `the "${this.header}" column is empty` : "the first column (the key) is empty");
    }
  }
}

function countQuotes(text: string) {
  let count = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) count++;
  return count;
}

// The delimiter is the one that makes a recognised header out of the first line; otherwise a comma.
function detectDelimiter(firstLine: string) {
  for (const candidate of CSV_DELIMITERS) {
    if (keyColumn(firstLine.split(candidate).map((cell) => cell.replace(/^\s*"|"\s*$/g, ""))) >= 0) return candidate;
  }
  return ",";
}

/** Whole input at once (pasted text, tests): every key in order with its line, and the summary. */
export function parseKeyFile(
  input: string | Uint8Array | Iterable<Uint8Array>,
  format: KeyFileFormat,
): { keys: Array<{ line: number; value: string }>; summary: KeyFileSummary } {
  const keys: Array<{ line: number; value: string }> = [];
  const parser = new KeyFileParser({ format, onKey: (value, line) => keys.push({ line, value }) });
  if (typeof input === "string") parser.write(new TextEncoder().encode(input));
  else if (input instanceof Uint8Array) parser.write(input);
  else for (const chunk of input) parser.write(chunk);
  return { keys, summary: parser.end() };
}
