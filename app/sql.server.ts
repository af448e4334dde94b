// The database layer: every raw statement and every transaction of the app goes through here.
// - Raw SQL is written with the `sql` tag (values become parameters; fragments compose) and run by
//   a `Db`: over node-postgres for the hot paths (a round trip costs a fraction of one through
//   Prisma's client) or inside a Prisma transaction, so one fragment serves both. Result rows are
//   checked against a zod schema (`col` has the column types).
// - Prisma's models stay for the schema, migrations, sessions and plain CRUD.
// - transaction() / sqlTransaction() are the only ways to open a transaction; both retry
//   deadlocks and serialisation failures by the one rule in retryTransient(). Lint forbids
//   `$transaction`, `$queryRaw` and friends elsewhere.
import type { Prisma } from "@prisma/client";
import prisma from "~/db.server";
import pg from "pg";
import { from as copyFrom, to as copyTo, type CopyStreamQuery, type CopyToStreamQuery } from "pg-copy-streams";
import { z } from "zod";
import { pgPool } from "~/pg.server";

/** The client of a Prisma interactive transaction. */
export type Tx = Prisma.TransactionClient;

export interface Sql {
  readonly text: string;
  readonly values: unknown[];
  /** Set by prepared(): node-postgres then parses and plans the statement once per connection. */
  readonly name?: string;
  /** Set by binary(): node-postgres returns the result columns in binary format. */
  readonly binary?: boolean;
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

/** Fragments one after another with trusted `separator` text between them: a SET list, AND-ed conditions. */
export function join(fragments: Sql[], separator = ", "): Sql {
  return fragments.reduce<Sql>(
    (joined, fragment, i) => (i === 0 ? fragment : sql`${joined}${raw(separator)}${fragment}`),
    sql``,
  );
}

/**
 * A statement the hot path runs on every order: named, so each connection parses and plans it once
 * (the claim statement's plan costs more than running it). Its text must never vary.
 */
export function prepared(name: string, statement: Sql): Sql {
  return { ...statement, name };
}

/**
 * Results in binary format on node-postgres: bytea arrives as its bytes rather than as hex text to
 * decode. pg-types has no binary parser for bytea, so node-postgres hands it over as a string (the
 * bytes read as UTF-8): right for bytea holding UTF-8 text. (Prisma's path ignores this.)
 */
export function binary(statement: Sql): Sql {
  return { ...statement, binary: true };
}

/**
 * Runs statements: over a pooled node-postgres client (the hot paths), or inside a Prisma
 * transaction. Every result row is checked against a zod schema at this boundary, so a renamed or
 * retyped column fails the first test that runs the statement instead of reading as undefined.
 */
/** A row's columns (`{ id: col.int, ... }`) or any zod schema for it. */
export type RowSpec = z.ZodTypeAny | z.ZodRawShape;
export type RowOf<S extends RowSpec> = S extends z.ZodTypeAny
  ? z.output<S>
  : S extends z.ZodRawShape
    ? z.output<z.ZodObject<S>>
    : never;

export interface Db {
  rows<S extends RowSpec>(row: S, statement: Sql): Promise<Array<RowOf<S>>>;
  /** Runs a statement for its effect; the number of rows it inserted, updated or deleted. */
  run(statement: Sql): Promise<number>;
}

const arraySchemas = new WeakMap<object, z.ZodTypeAny>();

function checked<S extends RowSpec>(row: S, rows: unknown[], statement: Sql): Array<RowOf<S>> {
  let schema = arraySchemas.get(row);
  if (!schema) {
    schema = z.array(row instanceof z.ZodType ? row : z.object(row as z.ZodRawShape));
    arraySchemas.set(row, schema);
  }
  const parsed = schema.safeParse(rows);
  if (!parsed.success) {
    const where = statement.name ?? statement.text.replace(/\s+/g, " ").trim().slice(0, 80);
    throw new Error(`SQL result does not have the expected shape (${where}): ${parsed.error.message}`);
  }
  return parsed.data as Array<RowOf<S>>;
}

/** Statements on a pool (each its own transaction) or on one connection. */
export function pgDb(client: pg.ClientBase | pg.Pool = hotPool()): Db {
  const send = (statement: Sql) =>
    statement.name || statement.binary
      ? // (`binary` is a node-postgres query option its type definitions leave out.)
        client.query({
          name: statement.name,
          text: statement.text,
          values: statement.values,
          binary: statement.binary,
        } as pg.QueryConfig)
      : client.query(statement.text, statement.values);
  return {
    async rows(row, statement) {
      return checked(row, (await send(statement)).rows, statement);
    },
    async run(statement) {
      return (await send(statement)).rowCount ?? 0;
    },
  };
}

/** A Db on one node-postgres connection that also streams COPY (pg-copy-streams). */
export interface CopyDb extends Db {
  /**
   * COPY (statement) TO STDOUT, in COPY's text format. COPY takes no parameters: the statement's
   * values are written in as literals by node-postgres' escapeLiteral.
   */
  copyOut(statement: Sql): CopyToStreamQuery;
  /** A COPY ... FROM STDIN statement (no values): write its rows in COPY's text format, then end(). */
  copyIn(statement: Sql): CopyStreamQuery;
}

export function copyDb(client: pg.ClientBase): CopyDb {
  return {
    ...pgDb(client),
    copyOut: (statement) => client.query(copyTo(`COPY (${withLiterals(statement)}) TO STDOUT`)),
    copyIn(statement) {
      if (statement.values.length > 0) throw new Error("COPY FROM STDIN takes no values.");
      return client.query(copyFrom(statement.text));
    },
  };
}

/** The statement's text with each $n replaced by its value as a literal (escaped by node-postgres). */
function withLiterals(statement: Sql) {
  return statement.text.replace(/\$(\d+)/g, (_, n: string) => {
    const value = statement.values[Number(n) - 1];
    if (value === null || value === undefined) return "NULL";
    if (typeof value === "number" && !Number.isFinite(value)) throw new Error("Refusing a non-finite number in SQL.");
    if (typeof value === "object" || typeof value === "function" || typeof value === "symbol") {
      throw new Error(`Cannot write a ${typeof value} into SQL.`);
    }
    return pg.escapeLiteral(String(value));
  });
}

/**
 * A long read in one REPEATABLE READ, READ ONLY snapshot, on a connection of the "stream" pool:
 * everything `read` runs sees the same data (rows streamed with copyOut and what was read before).
 * A read that does not finish (an error, a consumer that stops, a COPY broken off midway) closes
 * the connection rather than hand it back.
 */
export async function* readSnapshot<T>(read: (db: CopyDb) => AsyncIterable<T>): AsyncGenerator<T> {
  const client = await pgPool("stream").connect();
  let finished = false;
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    yield* read(copyDb(client));
    await client.query("COMMIT");
    finished = true;
  } finally {
    client.release(finished ? undefined : true);
  }
}

/** Statements inside a Prisma interactive transaction (or on the process client). */
export function prismaDb(tx: Prisma.TransactionClient): Db {
  return {
    async rows(row, statement) {
      return checked(row, await tx.$queryRawUnsafe<unknown[]>(statement.text, ...statement.values), statement);
    },
    run(statement) {
      return tx.$executeRawUnsafe(statement.text, ...statement.values);
    },
  };
}

/**
 * Column types as the two drivers return them. node-postgres gives int8 and numeric as text and
 * Prisma as bigint; both give timestamps as Date (node-postgres parses them in the session's UTC).
 */
export const col = {
  int: z.number().int(),
  /** int8 ids (Shopify's): as text, exact. */
  bigint: z.union([z.string(), z.bigint(), z.number()]).transform((value) => String(value)),
  text: z.string(),
  bool: z.boolean(),
  time: z.union([z.date(), z.string()]).transform((value) => (value instanceof Date ? value : new Date(value))),
};

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

// ---------------------------------------------------------------------------------------------
// Transactions: every one in the app starts here, with one retry policy.

const MAX_ATTEMPTS = 5;
const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));

/**
 * The retry rule, decided once: a transaction Postgres rolled back for a deadlock or a
 * serialisation failure runs again, whole, up to five times with a short random backoff.
 * Any other error is the caller's.
 */
async function retryTransient<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (n >= MAX_ATTEMPTS || !isTransientError(error)) throw error;
    }
    await backoff(n);
  }
}

/**
 * Plain SQL in one transaction on a node-postgres pool: "hot" (webhooks, the library) by default,
 * "write" for a stream's commits (see app/pg.server.ts for why streams get pools of their own).
 */
export function sqlTransaction<T>(work: (db: Db) => Promise<T>, { pool = "hot" }: { pool?: "hot" | "write" } = {}) {
  return retryTransient(async () => {
    const client = await pgPool(pool).connect();
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
      throw error;
    } finally {
      // A client whose connection failed is destroyed rather than handed to the next request.
      client.release(broken);
    }
  });
}

/**
 * A Prisma interactive transaction, for work that uses Prisma's models (and `prismaDb(tx)` for its
 * plain SQL). `timeout` bounds how long it may stay open (long fills, big moves).
 */
export function transaction<T>(work: (tx: Tx) => Promise<T>, { timeout = 30_000 }: { timeout?: number } = {}) {
  return retryTransient(() => prisma.$transaction(work, { maxWait: 20_000, timeout }));
}
