// A small node-postgres pool beside Prisma's, for what Prisma cannot do: COPY streams
// (pg-copy-streams) and long reads that must not hold one of Prisma's connections.
// Sessions run in UTC with ISO dates, the convention of every timestamp column (Prisma writes UTC).
import pg from "pg";

declare global {
  var __keyshelfPgPool: pg.Pool | undefined;
}

export function pgPool(): pg.Pool {
  if (globalThis.__keyshelfPgPool) return globalThis.__keyshelfPgPool;
  const connectionString = process.env.DATABASE_URL;
  if (!connectionString) throw new Error("DATABASE_URL is not set.");
  const pool = new pg.Pool({
    connectionString,
    max: Number(process.env.DATABASE_STREAM_POOL_SIZE ?? 4),
    options: "-c TimeZone=UTC -c DateStyle=ISO,YMD",
    idleTimeoutMillis: 10_000,
    // Idle streaming connections must not keep a finished script or test process alive.
    allowExitOnIdle: true,
  });
  // An idle client losing its server (restart, failover) must not crash the process.
  pool.on("error", (error) => console.error("PostgreSQL pool client error:", error.message));
  globalThis.__keyshelfPgPool = pool;
  return pool;
}

export async function closePgPool() {
  const pool = globalThis.__keyshelfPgPool;
  globalThis.__keyshelfPgPool = undefined;
  await pool?.end();
}
