// node-postgres pools beside Prisma's, for what Prisma cannot do well: the hot paths' plain SQL
// (app/sql.server.ts), COPY streams (pg-copy-streams) and bytea (Prisma's driver-adapter path takes
// seconds per megabyte of Bytes).
//
// "hot" serves webhooks and the library's reads, sized like Prisma's pool (DATABASE_POOL_SIZE).
// Streams get two pools of their own, so that a stream holding a connection can never wait for another
// stream's: "stream" for long COPY reads, "write" for short transactions (an export's chunk commits).
// A stream that needs to commit takes its second connection from the other pool: no deadlock however
// many run.
// Sessions run in UTC with ISO dates, the convention of every timestamp column (Prisma writes UTC).
import pg from "pg";
import { databaseSettings } from "~/config.server";

type PoolKind = "hot" | "stream" | "write";

const SESSION_OPTIONS = "-c TimeZone=UTC -c DateStyle=ISO,YMD";

declare global {
  var __keyshelfPgPools: Partial<Record<PoolKind, pg.Pool>> | undefined;
}

export function pgPool(kind: PoolKind = "stream"): pg.Pool {
  const pools = (globalThis.__keyshelfPgPools ??= {});
  const existing = pools[kind];
  if (existing) return existing;
  const { url, poolSize, streamPoolSize } = databaseSettings();
  const pool = new pg.Pool({
    connectionString: url,
    max: kind === "hot" ? poolSize : streamPoolSize,
    options: SESSION_OPTIONS,
    idleTimeoutMillis: 10_000,
    // Idle connections must not keep a finished script or test process alive.
    allowExitOnIdle: true,
  });
  // An idle client losing its server (restart, failover) must not crash the process; the pool
  // drops it and connects afresh. A session ended by an administrator (57P01) is expected then.
  pool.on("error", (error: Error & { code?: string }) => {
    if (error.code !== "57P01") console.error("PostgreSQL pool client error:", error.message);
  });
  // A client checked out when the server goes away emits "error" with no pool listener attached: without
  // this one the whole process dies (seen under load with a database restart). Its query rejects anyway.
  pool.on("connect", (client) =>
    client.on("error", (error) => console.error("PostgreSQL client error:", error.message)),
  );
  pools[kind] = pool;
  return pool;
}

/**
 * A connection outside the pools, for work paced by the other end rather than by the database: a
 * key import streams its upload into COPY FROM STDIN for as long as the upload takes (minutes for a
 * big file on a slow line). A pooled connection held that long would keep exports, or the chunk
 * commits they wait on, waiting; its own costs one server connection per upload. The caller
 * connects it, listens for its "error" events (the pools' listeners are not on it) and ends it.
 */
export function unpooledClient(): pg.Client {
  return new pg.Client({ connectionString: databaseSettings().url, options: SESSION_OPTIONS });
}

export async function closePgPool() {
  const pools = globalThis.__keyshelfPgPools ?? {};
  globalThis.__keyshelfPgPools = undefined;
  await Promise.all(Object.values(pools).map((pool) => pool?.end()));
}
