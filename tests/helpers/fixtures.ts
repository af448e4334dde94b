// Real webhook payloads captured from a Shopify store (copied from the project's shared fixtures).
import { readFileSync } from "node:fs";
import path from "node:path";

export const FIXTURES_DIR = path.resolve(__dirname, "..", "fixtures", "shopify-webhooks");

export function readFixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(path.join(FIXTURES_DIR, name), "utf8")) as T;
}
