// A production app server process (remix-serve over build/, as `npm start` runs it) on a free port,
// for tests and benchmarks that need several app instances on one database. Started with node
// directly (not npx, whose wrapper would outlive a kill) and stopped by its own pid.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { freePort } from "./postgres";

/** The production build that app servers run (`remix build` into build/), as `npm run build` makes it. */
export function buildApp() {
  try {
    execFileSync(process.execPath, [path.resolve("node_modules/@remix-run/dev/dist/cli.js"), "build"], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, NODE_ENV: "production" },
    });
  } catch (error) {
    const { status } = error as { status?: number | null };
    throw new Error(`The production build (remix build) failed with exit ${status ?? "unknown"}: its errors are printed above. Reproduce it alone with: npm run build`);
  }
}

/**
 * `npm start`'s arguments to node (package.json's start script: node's flags, remix-serve, the build),
 * so that every app server started here runs as production does.
 */
export function startArguments(): string[] {
  const { scripts } = JSON.parse(readFileSync(path.resolve("package.json"), "utf8")) as { scripts: { start: string } };
  const [program, ...args] = scripts.start.trim().split(/\s+/);
  if (program !== "node") throw new Error(`package.json's start script must run node itself: ${scripts.start}`);
  return args;
}

export interface AppServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startAppServer({
  databaseUrl,
  env = {},
  poolSize = 10,
  onStderr,
  nodeArgs = [],
}: {
  databaseUrl: string;
  env?: Record<string, string>;
  poolSize?: number;
  /** Receives the server's error output after start-up (errors of requests). */
  onStderr?: (text: string) => void;
  /** Extra node flags, e.g. ["--cpu-prof"] to profile the server. */
  nodeArgs?: string[];
}): Promise<AppServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, ...startArguments()], {
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: String(poolSize),
      KEYSHELF_DISABLE_WORKERS: "1",
      SHOPIFY_LOG_LEVEL: "error",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      // Keep only the start-up output; the request log is drained and dropped so the pipe never fills.
      if (output.length < 20_000) output += chunk.toString();
      if (output.includes("[remix-serve]")) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`App server exited with code ${code} before listening:\n${output}`)));
    child.once("error", reject);
  });
  const timeout = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    await ready;
  } finally {
    clearTimeout(timeout);
  }
  if (onStderr) child.stderr?.on("data", (chunk: Buffer) => onStderr(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(force);
    },
  };
}
