// Formats of automatically generated licence keys: "XXXXX-XXXXX-XXXXX-XXXXX", each X one random
// character, with an optional prefix. Pure and isomorphic: the products screen previews a format
// with the same code the server generates keys with.
import { z } from "zod";

/**
 * 32 characters: A-Z and 2-9 without I, O, 0 and 1, which customers misread when typing a key.
 * A power of two, so one random byte masked to 5 bits picks a character without bias.
 */
export const KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
export const RANDOM_CHAR = "X";
export const DEFAULT_KEY_PATTERN = "XXXXX-XXXXX-XXXXX-XXXXX";

/**
 * At least 12 random characters (60 bits): a shop can hold tens of millions of generated keys
 * before a repeat becomes even remotely likely, and the rare repeat is caught and redrawn.
 */
export const MIN_RANDOM_CHARS = 12;
export const MAX_PATTERN_LENGTH = 64;
export const MAX_PREFIX_LENGTH = 20;

const PATTERN_SHAPE = /^X+(-X+)*$/;
const PREFIX_SHAPE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export interface KeyFormat {
  pattern: string;
  prefix: string;
}

export const keyPatternSchema = z
  .string()
  .trim()
  .transform((value) => value.toUpperCase())
  .pipe(
    z
      .string()
      .min(1, "Enter a format, for example XXXXX-XXXXX-XXXXX-XXXXX.")
      .max(MAX_PATTERN_LENGTH, `A format has at most ${MAX_PATTERN_LENGTH} characters.`)
      .regex(PATTERN_SHAPE, "Use groups of X separated by single dashes, for example XXXXX-XXXXX-XXXXX.")
      .refine(
        (pattern) => randomCharCount(pattern) >= MIN_RANDOM_CHARS,
        `Use at least ${MIN_RANDOM_CHARS} X characters so keys cannot be guessed.`,
      ),
  );

export const keyPrefixSchema = z
  .string()
  .trim()
  .max(MAX_PREFIX_LENGTH, `A prefix has at most ${MAX_PREFIX_LENGTH} characters.`)
  .refine(
    (prefix) => prefix === "" || PREFIX_SHAPE.test(prefix),
    "A prefix uses letters, digits, dashes and underscores, starting with a letter or digit.",
  );

export const keyFormatSchema = z.object({ pattern: keyPatternSchema, prefix: keyPrefixSchema.default("") });

export function randomCharCount(pattern: string) {
  let count = 0;
  for (const char of pattern) if (char === RANDOM_CHAR) count++;
  return count;
}

/** Web Crypto exists in Node 20 and in browsers; both are cryptographically secure. */
function secureRandomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  globalThis.crypto.getRandomValues(bytes);
  return bytes;
}

/** One key in the given format. `randomBytes` is replaceable for tests only. */
export function generateKey(format: KeyFormat, randomBytes: (length: number) => Uint8Array = secureRandomBytes) {
  const bytes = randomBytes(format.pattern.length);
  let out = format.prefix;
  for (let i = 0; i < format.pattern.length; i++) {
    const char = format.pattern[i];
    out += char === RANDOM_CHAR ? KEY_ALPHABET[bytes[i] & 31] : char;
  }
  return out;
}

/** `count` distinct keys (distinct among themselves; the database checks them against the shop's keys). */
export function generateKeys(format: KeyFormat, count: number, randomBytes?: (length: number) => Uint8Array) {
  const keys = new Set<string>();
  while (keys.size < count) keys.add(generateKey(format, randomBytes));
  return [...keys];
}

/** A deterministic sample for previews (random samples would differ between server and browser render). */
export function sampleKey(format: KeyFormat) {
  let next = 0;
  let out = format.prefix;
  for (const char of format.pattern) {
    out += char === RANDOM_CHAR ? KEY_ALPHABET[(next++ * 7) % KEY_ALPHABET.length] : char;
  }
  return out;
}

/** Normalises stored link values (null prefix, missing pattern) into a usable format. */
export function keyFormatOf(pattern: string | null | undefined, prefix: string | null | undefined): KeyFormat {
  return { pattern: pattern || DEFAULT_KEY_PATTERN, prefix: prefix ?? "" };
}
