// Prisma CLI configuration: the Rust-free engines (the usual schema engine is a download
// these machines cannot make). Migrations run on the wasm schema engine over node-postgres.
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";
import pg from "pg";

// `prisma generate` reads the schema's env("DATABASE_URL") but never connects: let it run without one.
const configuredUrl = process.env.DATABASE_URL;
process.env.DATABASE_URL ??= "postgresql://unset/unset";

function databaseUrl() {
  if (!configuredUrl) throw new Error("DATABASE_URL is not set: point it at the PostgreSQL database to migrate.");
  return configuredUrl;
}

// adapter-pg 6.19 cannot deserialize catalog columns of type `name` (OID 19) that the schema
// engine reads (prisma/prisma#27403); relabelling them as text (OID 25) is lossless.
function catalogSafePool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<pg.QueryResult | undefined>;
  (pool as unknown as { query: typeof query }).query = async (...args) => {
    const result = await query(...args);
    for (const field of result?.fields ?? []) if (field.dataTypeID === 19) field.dataTypeID = 25;
    return result;
  };
  return pool;
}

// adapter-pg runs a migration script by splitting it on ";", which cuts plpgsql function bodies
// apart; node-postgres runs a whole script as one simple query, as psql would.
type ScriptRunner = { client: pg.Pool; onError(error: unknown): never; executeScript(script: string): Promise<void> };

class MigrationPrismaPg extends PrismaPg {
  async connect() {
    const adapter = await super.connect();
    const runner = adapter as unknown as ScriptRunner;
    runner.executeScript = async (script) => {
      try {
        await runner.client.query(script);
      } catch (error) {
        runner.onError(error);
      }
    };
    return adapter;
  }
}

export default defineConfig({
  schema: "prisma/schema.prisma",
  experimental: { adapter: true },
  engine: "js",
  adapter: async () =>
    new MigrationPrismaPg(catalogSafePool({ connectionString: databaseUrl(), idleTimeoutMillis: 200 }), {
      disposeExternalPool: true,
    }),
});
