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

export { prisma };
