// Generated licence key formats: what the merchant can choose, and what customers receive.
import { describe, expect, it } from "vitest";
import {
  DEFAULT_KEY_PATTERN,
  generateKey,
  generateKeys,
  KEY_ALPHABET,
  keyFormatSchema,
  sampleKey,
} from "~/lib/key-format";

describe("key formats", () => {
  it("accepts groups of X separated by dashes, upper-casing what was typed", () => {
    expect(keyFormatSchema.parse({ pattern: " xxxx-xxxx-xxxx ", prefix: "PF-" })).toEqual({
      pattern: "XXXX-XXXX-XXXX",
      prefix: "PF-",
    });
    expect(keyFormatSchema.parse({ pattern: DEFAULT_KEY_PATTERN })).toEqual({
      pattern: DEFAULT_KEY_PATTERN,
      prefix: "",
    });
  });

  it.each([
    ["XXXX-XXXX", "at least 12"],
    ["XXXXX--XXXXX-XXXXX", "groups of X"],
    ["XXXX-XXXX-XXXX-", "groups of X"],
    ["XXXX XXXX XXXX", "groups of X"],
    ["ABCD-XXXX-XXXX-XXXX", "groups of X"],
    ["X".repeat(65), "at most 64"],
    ["", "Enter a format"],
  ])("refuses the pattern %j", (pattern, message) => {
    const result = keyFormatSchema.safeParse({ pattern });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(message);
  });

  it.each(["-PF", "P F", "PF<script>", "X".repeat(21)])("refuses the prefix %j", (prefix) => {
    expect(keyFormatSchema.safeParse({ pattern: DEFAULT_KEY_PATTERN, prefix }).success).toBe(false);
  });
});

describe("generated keys", () => {
  it("fill each X from the alphabet without look-alikes, keeping dashes and the prefix", () => {
    const key = generateKey({ pattern: DEFAULT_KEY_PATTERN, prefix: "SNV-" });
    expect(key).toMatch(new RegExp(`^SNV-([${KEY_ALPHABET}]{5}-){3}[${KEY_ALPHABET}]{5}$`));
    expect(KEY_ALPHABET).not.toMatch(/[01IO]/);
    expect(new Set(KEY_ALPHABET).size).toBe(32);
  });

  it("use every character of the alphabet evenly (no modulo bias)", () => {
    const counts = new Map<string, number>();
    for (const key of generateKeys({ pattern: "X".repeat(64), prefix: "" }, 500)) {
      for (const char of key) counts.set(char, (counts.get(char) ?? 0) + 1);
    }
    expect(counts.size).toBe(32);
    const expected = (500 * 64) / 32;
    for (const count of counts.values()) expect(Math.abs(count - expected) / expected).toBeLessThan(0.15);
  });

  it("draw from the random source given, one byte per character", () => {
    const bytes = (length: number) => Uint8Array.from({ length }, (_, i) => i);
    expect(generateKey({ pattern: "XXX-XX", prefix: "" }, bytes)).toBe("ABC-EF");
  });

  it("are distinct within one batch", () => {
    expect(new Set(generateKeys({ pattern: "XXXXXXXXXXXX", prefix: "" }, 2000)).size).toBe(2000);
  });

  it("preview deterministically", () => {
    expect(sampleKey({ pattern: "XXXX-XXXX-XXXX", prefix: "PF-" })).toBe(
      sampleKey({ pattern: "XXXX-XXXX-XXXX", prefix: "PF-" }),
    );
    expect(sampleKey({ pattern: "XXXX-XXXX-XXXX", prefix: "PF-" })).toMatch(/^PF-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  });
});
