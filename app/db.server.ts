// The one Prisma client of the process, over node-postgres (Prisma's Rust-free mode).
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";

function createClient() {
  const connectionString = process.env.DATABASE_URL;
  if (!connectionString) {
    throw new Error("DATABASE_URL is not set. In production point it at PostgreSQL; locally use npm run demo / dev / test.");
  }
  const max = Number(process.env.DATABASE_POOL_SIZE ?? 10);
  return new PrismaClient({ adapter: new PrismaPg({ connectionString, max }) });
}

declare global {
  // Survives module reloads in development so connections are not leaked.
  var __keyshelfPrisma: PrismaClient | undefined;
}

const prisma = (globalThis.__keyshelfPrisma ??= createClient());

export default prisma;
