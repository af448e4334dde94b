// `npm run demo`: everything a newcomer needs to see Keyshelf working, offline, on one machine.
// PostgreSQL (embedded unless DATABASE_URL is set; data kept in .data/demo between runs), migrations,
// the demo shop's data on first run (or with --reset), extra services, and the demo server.
// Modules that read the environment at import time are imported only once it is set up.
import { parseArgs } from "node:util";
import type { LocalPostgres } from "~/local/postgres";
import type { RunningDemoService } from "./services";

const DATABASE = "keyshelf_demo";

function fail(message: string): never {
  console.error(`\n${message}\n`);
  process.exit(1);
}

/** Why the demo could not start, in a line or two a newcomer can act on; a stack only for the unexpected. */
function startupFailure(error: unknown, port: number) {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "EADDRINUSE") {
    return `The demo cannot start: port ${port} is taken by another program. Stop it, or choose another port: PORT=${port + 1} npm run demo`;
  }
  if (error instanceof Error && error.name === "LocalPostgresError") return `The demo cannot start: ${error.message}`;
  return `The demo cannot start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}

async function main() {
  const { values } = parseArgs({
    options: { reset: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } },
    allowPositionals: false,
  });
  if (values.help) {
    console.log("Usage: npm run demo [-- --reset]\n  --reset  wipe the demo shop's data and seed it again");
    return;
  }
  const { assertNotProduction, DemoRefusedError } = await import("./server");
  try {
    assertNotProduction();
  } catch (error) {
    if (error instanceof DemoRefusedError) fail(error.message);
    throw error;
  }

  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) fail(`PORT must be a port number, not "${process.env.PORT}".`);
  const host = process.env.HOST ?? "localhost";
  const url = `http://localhost:${port}`;

  process.env.KEYSHELF_DEMO = "1";
  process.env.SHOPIFY_APP_URL ??= url;
  // Keeps the banner readable: the library logs every authenticated request at "info".
  process.env.SHOPIFY_LOG_LEVEL ??= "warning";

  const cleanups: Array<() => Promise<void>> = [];
  let stopping = false;
  async function stop(code: number) {
    if (stopping) return;
    stopping = true;
    console.log("\nStopping the demo...");
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error(error);
      }
    }
    process.exit(code);
  }
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  try {
    const { projectDataDir, startLocalPostgres } = await import("~/local/postgres");
    const { migrateDatabase } = await import("~/local/migrate");
    let databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) {
      console.log("Starting PostgreSQL...");
      const postgres: LocalPostgres = await startLocalPostgres({ dir: projectDataDir("demo", "postgres") });
      console.log(`PostgreSQL is up (data in ${postgres.dir}, log ${postgres.logFile}).`);
      cleanups.push(() => postgres.stop());
      databaseUrl = await postgres.createDatabase(DATABASE);
      process.env.DATABASE_URL = databaseUrl;
    }
    console.log("Applying migrations...");
    await migrateDatabase(databaseUrl, { quiet: true });

    const { DEMO_SERVICES } = await import("./services");
    const banners: string[] = [];
    for (const service of DEMO_SERVICES) {
      const { projectDataDir } = await import("~/local/postgres");
      const running: RunningDemoService = await service.start({ dataDir: projectDataDir("demo", service.name) });
      cleanups.push(() => running.stop());
      banners.push(...(running.banner ?? []));
    }

    const { seedDemo } = await import("./seed");
    const summary = await seedDemo({ reset: values.reset });
    cleanups.push(async () => {
      const prisma = globalThis.__keyshelfPrisma;
      await prisma?.$disconnect();
    });
    console.log(
      summary.seeded
        ? `Seeded ${summary.shop}: ${summary.keys} licence keys, ${summary.orders} orders.`
        : `Using the existing demo data (${summary.keys} keys, ${summary.orders} orders). Reseed with: npm run demo -- --reset`,
    );

    const { startDemoServer, demoCredentials } = await import("./server");
    const server = await startDemoServer({ port, host });
    cleanups.push(() => server.close());
    // First to stop (cleanups run in reverse): the app's background loops, before their database goes.
    cleanups.push(async () => {
      await globalThis.__keyshelfBackground?.stop();
    });
    const { apiKey, apiSecret } = await demoCredentials();
    const { DEMO_PRODUCTS } = await import("./catalog");

    const line = "─".repeat(72);
    console.log(`
${line}
  Keyshelf demo is running:  ${url}
${line}
  Shop         ${summary.shop}
  API key      ${apiKey}
  API secret   ${apiSecret}
  Database     ${databaseUrl.replace(/:[^:@/]+@/, ":****@")}
${banners.map((b) => `  ${b}`).join("\n")}${banners.length ? "\n" : ""}
  Fire an order (another terminal${port === 3000 ? "" : `, with PORT=${port} set`}):
    npm run demo:order                                   one unit of ${DEMO_PRODUCTS[0].title}
    npm run demo:order -- --product codevault-ide --quantity 2
    npm run demo:order -- --variant ${DEMO_PRODUCTS[0].variants[1].id}       the 5-seat variant

  Ctrl-C stops the demo; its data is kept for next time.
${line}
`);
  } catch (error) {
    console.error(`\n${startupFailure(error, port)}\n`);
    await stop(1);
  }
}

await main();
