// The one Prisma client of the process, over node-postgres (Prisma's Rust-free mode).
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import { databaseSettings } from "~/config.server";

function createClient() {
  const { url, poolSize } = databaseSettings();
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: poolSize }) });
}

declare global {
  // Survives module reloads in development so connections are not leaked.
  var __keyshelfPrisma: PrismaClient | undefined;
}

const prisma = (globalThis.__keyshelfPrisma ??= createClient());

export default prisma;
