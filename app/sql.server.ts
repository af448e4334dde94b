// Plain SQL for the hot paths (webhooks assigning keys), over node-postgres: a round trip here costs
// a fraction of one through Prisma's client, and an order's whole transaction is a handful of them.
// The same statements also run inside Prisma transactions (fillWaitingOrders inside an import), so
// they are written once as `sql` fragments and executed by either.
import type { Prisma } from "@prisma/client";
import type pg from "pg";
import { pgPool } from "~/pg.server";

export interface Sql {
  readonly text: string;
  readonly values: unknown[];
  /** Set by prepared(): node-postgres then parses and plans the statement once per connection. */
  readonly name?: string;
}

const RAW = Symbol("raw");
export interface Raw {
  [RAW]: string;
}

/** Trusted SQL text spliced into a fragment (never user input). */
export function raw(text: string): Raw {
  return { [RAW]: text };
}

function isSql(value: unknown): value is Sql {
  return typeof value === "object" && value !== null && "text" in value && "values" in value && !(RAW in value);
}

/**
 * sql`SELECT ... WHERE id = ${id}`: values become $n parameters; nested fragments and raw() splice in.
 * BigInts travel as text (node-postgres cannot serialise them); cast in SQL where the type matters.
 */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  let text = strings[0];
  const params: unknown[] = [];
  const add = (value: unknown) => {
    params.push(typeof value === "bigint" ? value.toString() : value);
    return `$${params.length}`;
  };
  values.forEach((value, i) => {
    if (typeof value === "object" && value !== null && RAW in value) {
      text += (value as Raw)[RAW];
    } else if (isSql(value)) {
      // Renumber the fragment's own parameters after ours.
      const offset = params.length;
      text += value.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
      params.push(...value.values);
    } else {
      text += add(value);
    }
    text += strings[i + 1];
  });
  return { text, values: params };
}

/**
 * A statement the hot path runs on every order: named, so each connection parses and plans it once
 * (the claim statement's plan costs more than running it). Its text must never vary.
 */
export function prepared(name: string, statement: Sql): Sql {
  return { ...statement, name };
}

/** Runs statements: a pooled node-postgres client, or a Prisma interactive transaction. */
export interface Db {
  query<T>(statement: Sql): Promise<T[]>;
}

export function pgDb(client: pg.PoolClient | pg.Pool): Db {
  return {
    async query<T>(statement: Sql) {
      const result = statement.name
        ? await client.query({ name: statement.name, text: statement.text, values: statement.values })
        : await client.query(statement.text, statement.values);
      return result.rows as T[];
    },
  };
}

export function prismaDb(tx: Prisma.TransactionClient): Db {
  return {
    query<T>(statement: Sql) {
      return tx.$queryRawUnsafe<T[]>(statement.text, ...statement.values);
    },
  };
}

/** The pool behind webhooks and the library's reads (see app/pg.server.ts). */
export function hotPool(): pg.Pool {
  return pgPool("hot");
}

/** Whether Postgres answered with one of these SQLSTATEs, however Prisma or node-postgres wrapped it. */
function hasSqlState(error: unknown, codes: Set<string>, prismaCodes: Set<string>, message: RegExp, depth = 0): boolean {
  if (!error || typeof error !== "object" || depth > 4) return false;
  const e = error as Record<string, unknown>;
  if (typeof e.code === "string" && prismaCodes.has(e.code)) return true;
  for (const field of ["code", "originalCode"]) {
    if (typeof e[field] === "string" && codes.has(e[field] as string)) return true;
  }
  if (typeof e.message === "string" && message.test(e.message)) return true;
  return ["cause", "meta", "driverAdapterError"].some((field) =>
    hasSqlState(e[field], codes, prismaCodes, message, depth + 1),
  );
}

/** A deadlock or serialisation failure: Postgres rolled the transaction back; running it again is safe. */
export function isTransientError(error: unknown): boolean {
  // Prisma reports these as P2034, or as P2010 carrying Postgres' SQLSTATE in the adapter error.
  return hasSqlState(error, new Set(["40P01", "40001"]), new Set(["P2034"]), /deadlock detected|could not serialize access/i);
}

/** A unique constraint refused a row (23505; Prisma's P2002). */
export function isUniqueViolation(error: unknown): boolean {
  return hasSqlState(error, new Set(["23505"]), new Set(["P2002"]), /duplicate key value violates unique constraint/i);
}

const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));

/** One transaction on the hot pool, retried (whole) after a deadlock or serialisation failure. */
export async function hotTransaction<T>(work: (db: Db) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await hotPool().connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await work(pgDb(client));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch (rollbackError) {
        broken = rollbackError as Error;
      }
      if (attempt >= 5 || !isTransientError(error)) throw error;
    } finally {
      // A client whose connection failed is destroyed rather than handed to the next request.
      client.release(broken);
    }
    await backoff(attempt);
  }
}

/** One Prisma interactive transaction, retried the same way (for work that also uses Prisma models). */
export async function prismaTransaction<T>(
  prisma: {
    $transaction<R>(
      fn: (tx: Prisma.TransactionClient) => Promise<R>,
      options?: { maxWait?: number; timeout?: number },
    ): Promise<R>;
  },
  work: (tx: Prisma.TransactionClient) => Promise<T>,
  { timeout = 30_000 } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await prisma.$transaction(work, { maxWait: 20_000, timeout });
    } catch (error) {
      if (attempt >= 5 || !isTransientError(error)) throw error;
    }
    await backoff(attempt);
  }
}
