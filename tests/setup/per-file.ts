// Before each test file: its own database cloned from the migrated template, and the app's
// environment, set before the file imports any app module.
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeEach, inject } from "vitest";
import pg from "pg";
import { TEST_API_KEY, TEST_API_SECRET, TEST_APP_URL } from "../helpers/constants";
import { checkGuards, recordConsoleError, resetGuards } from "./guards";

const adminUrl = inject("postgresAdminUrl");
const template = inject("templateDatabase");
const database = `keyshelf_test_${process.pid}_${randomBytes(4).toString("hex")}`;

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

await admin(`CREATE DATABASE ${database} TEMPLATE ${template}`);
const url = new URL(adminUrl);
url.pathname = `/${database}`;

process.env.DATABASE_URL = url.toString();
process.env.DATABASE_POOL_SIZE ??= "5";
process.env.SHOPIFY_API_KEY = TEST_API_KEY;
process.env.SHOPIFY_API_SECRET = TEST_API_SECRET;
process.env.SHOPIFY_APP_URL = TEST_APP_URL;
process.env.KEYSHELF_DISABLE_WORKERS = "1";
process.env.SHOPIFY_LOG_LEVEL ??= "error";

// The global guards (tests/setup/guards.ts): an unexpected Admin API call or console.error fails
// the test during which it happened.
const consoleError = console.error.bind(console);
console.error = (...args: unknown[]) => {
  recordConsoleError(args);
  consoleError(...args);
};
beforeEach(resetGuards);
afterEach(checkGuards);

afterAll(async () => {
  const prisma = globalThis.__keyshelfPrisma;
  if (prisma) await prisma.$disconnect();
  globalThis.__keyshelfPrisma = undefined;
  // node-postgres pools (hot paths, export streams) end before their database is dropped.
  await (await import("~/pg.server")).closePgPool();
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
});
