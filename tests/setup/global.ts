// Once per test run: a PostgreSQL server (DATABASE_URL's, or a throwaway embedded one), a migrated
// template database that every test file clones, and a fresh Remix build for route and browser tests.
import type { TestProject } from "vitest/node";
import pg from "pg";
import { buildApp } from "../../app/local/app-server";
import { migrateDatabase } from "../../app/local/migrate";
import { projectDataDir, startLocalPostgres, type LocalPostgres } from "../../app/local/postgres";

const TEMPLATE = "keyshelf_test_template";

declare module "vitest" {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    templateDatabase: string;
  }
}

let local: LocalPostgres | undefined;

export default async function setup(project: TestProject) {
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    // An existing server (CI with managed Postgres, say): test databases are created beside it.
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = "/postgres";
    adminUrl = url.toString();
  } else {
    local = await startLocalPostgres({ dir: projectDataDir("test", `postgres-${process.pid}`), throwaway: true });
    adminUrl = local.url("postgres");
  }

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEMPLATE}`);
  await admin.end();
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE}`;
  await migrateDatabase(templateUrl.toString(), { quiet: true });

  if (!process.env.KEYSHELF_TEST_SKIP_BUILD) {
    buildApp();
  }

  project.provide("postgresAdminUrl", adminUrl);
  project.provide("templateDatabase", TEMPLATE);

  return async () => {
    await local?.stop();
  };
}
