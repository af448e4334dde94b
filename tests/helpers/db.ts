import { expect } from "vitest";
import prisma from "~/db.server";
import { forgetAllSessions } from "~/session-cache.server";

/** Empties every application table (between tests that need a clean slate). */
export async function resetDatabase() {
  const tables = await prisma.$queryRaw<Array<{ tablename: string }>>`
    SELECT tablename::text AS tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`;
  if (tables.length === 0) return;
  const list = tables.map(({ tablename }) => `"${tablename}"`).join(", ");
  await prisma.$executeRawUnsafe(`TRUNCATE ${list} RESTART IDENTITY CASCADE`);
  // Sessions the app cached before the wipe are gone with their rows.
  forgetAllSessions();
}

/** Every row of every table, as text: equal before and after means nothing changed. */
export async function wholeDatabase({ except = [] }: { except?: string[] } = {}) {
  const tables = await prisma.$queryRaw<{ table: string }[]>`
    SELECT tablename::text AS table FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY 1`;
  const out: Record<string, string[]> = {};
  for (const { table } of tables) {
    if (except.includes(table)) continue;
    const rows = await prisma.$queryRawUnsafe<{ row: string }[]>(`SELECT to_jsonb(t)::text AS row FROM "${table}" t ORDER BY 1`);
    out[table] = rows.map((r) => r.row);
  }
  return out;
}

/** Runs a request and asserts that not one row of any table changed; the answer, read. */
export async function unchangedBy(run: () => Promise<Response>, options: { except?: string[] } = {}) {
  const before = await wholeDatabase(options);
  const response = await run();
  const body = await response.text();
  expect(await wholeDatabase(options)).toEqual(before);
  return { status: response.status, body, headers: response.headers };
}

export { prisma };
