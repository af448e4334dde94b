// Durable background work over the `job` table, safe with any number of app instances.
//
// - Claiming is one UPDATE over `SELECT ... FOR UPDATE SKIP LOCKED`: two instances never get the
//   same job, and neither waits for the other.
// - A claim is a lease: `locked_at` is refreshed while the job runs. A job whose lease ran out
//   (its server crashed, was redeployed or lost its database) is claimed again by whoever ticks
//   next, and its handler resumes from what it committed.
// - Every write a handler makes on behalf of a job is fenced on `locked_by`: a worker that lost its
//   lease (paused for minutes, say) cannot write over the worker that took the job over.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { JobKind, JobState, Prisma } from "@prisma/client";
import { z } from "zod";
import prisma from "~/db.server";
import { col, join, prismaDb, sql, sqlTransaction, transaction, type Db } from "~/sql.server";
import type { PrismaLike } from "./audit.server";

/** Timestamps are UTC wall-clock values (Prisma's convention), whatever the session's zone. */
export const NOW_UTC = sql`(now() AT TIME ZONE 'UTC')`;

export const DEFAULT_LEASE_MS = 60_000;
/** Claims of one job (each crash or failure counts) before it is given up as failed. */
export const MAX_JOB_ATTEMPTS = 5;

export interface ClaimedJob {
  id: number;
  shopId: number;
  kind: JobKind;
  payload: Prisma.JsonValue;
  /** What the handler committed so far (a resume point), or its final result. */
  result: Prisma.JsonValue | null;
  progress: number;
  total: number;
  attempts: number;
  lockedBy: string;
}

export class LeaseLostError extends Error {
  constructor(jobId: number) {
    super(`Job ${jobId} was taken over by another worker (its lease ran out).`);
    this.name = "LeaseLostError";
  }
}

/** A failure that retrying cannot fix (bad payload, deleted tag): the job fails at once. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PermanentJobError";
  }
}

export interface JobContext {
  workerId: string;
  /** Aborted when the lease is lost or the runner stops: stop work, commit nothing more. */
  signal: AbortSignal;
  /**
   * Runs `work` in a transaction (sqlTransaction on the write pool: bytea-friendly) that first checks this
   * worker still holds the job, refreshing the lease and recording progress and the resume point.
   * Throws LeaseLostError otherwise, and nothing of `work` is committed.
   */
  commit<T>(
    update: { progress?: number; total?: number; result?: Prisma.InputJsonValue },
    work?: (db: Db) => Promise<T>,
  ): Promise<T | undefined>;
  /** Marks the job succeeded with its result, together with `work` (e.g. queueing an email). */
  complete(result: Prisma.InputJsonValue, work?: (tx: Prisma.TransactionClient) => Promise<void>): Promise<void>;
}

export type JobHandler = (job: ClaimedJob, context: JobContext) => Promise<void>;

declare global {
  var __keyshelfJobHandlers: Map<JobKind, JobHandler> | undefined;
}

const handlers = (globalThis.__keyshelfJobHandlers ??= new Map<JobKind, JobHandler>());

export function registerJobHandler(kind: JobKind, handler: JobHandler) {
  handlers.set(kind, handler);
}

export function newWorkerId() {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

export async function enqueueJob({
  shopId,
  kind,
  payload,
  total = 0,
  tx,
}: {
  shopId: number;
  kind: JobKind;
  payload: Prisma.InputJsonValue;
  total?: number;
  tx?: PrismaLike;
}) {
  const db = tx ?? prisma;
  return db.job.create({ data: { shopId, kind, payload, total }, select: { id: true, createdAt: true } });
}

const json = z.custom<Prisma.JsonValue>((value) => value !== undefined);

const jobRow = {
  id: col.int,
  shop_id: col.int,
  kind: z.enum(["IMPORT", "EXPORT", "FILL_WAITING"]) satisfies z.ZodType<JobKind>,
  payload: json,
  result: json,
  progress: col.int,
  total: col.int,
  attempts: col.int,
  locked_by: col.text,
};

/**
 * Claims the oldest runnable job of the given kinds: queued and due, or running on a lease that
 * ran out. Null when there is none.
 */
export async function claimNextJob({
  workerId,
  kinds = [...handlers.keys()],
  leaseMs = DEFAULT_LEASE_MS,
}: {
  workerId: string;
  kinds?: JobKind[];
  leaseMs?: number;
}): Promise<ClaimedJob | null> {
  if (kinds.length === 0) return null;
  const expired = sql`${NOW_UTC} - make_interval(secs => ${leaseMs / 1000})`;
  const rows = await prismaDb(prisma).rows(
    jobRow,
    sql`
    UPDATE "job" j SET
      "state" = 'RUNNING', "locked_at" = ${NOW_UTC}, "locked_by" = ${workerId},
      "attempts" = j."attempts" + 1, "updated_at" = ${NOW_UTC}
    WHERE j."id" = (
      SELECT c."id" FROM "job" c
      WHERE c."kind" = ANY(${kinds}::"JobKind"[])
        AND ((c."state" = 'QUEUED' AND c."run_after" <= ${NOW_UTC})
          OR (c."state" = 'RUNNING' AND c."locked_at" < ${expired} AND c."attempts" < ${MAX_JOB_ATTEMPTS}))
      ORDER BY c."run_after", c."id"
      -- NO KEY UPDATE: the key-share locks taken by export_file rows (their foreign key to the job)
      -- must not hide a job from claims.
      FOR NO KEY UPDATE SKIP LOCKED
      LIMIT 1
    )
    RETURNING j."id", j."shop_id", j."kind", j."payload", j."result", j."progress", j."total", j."attempts", j."locked_by"`,
  );
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.id,
    shopId: row.shop_id,
    kind: row.kind,
    payload: row.payload,
    result: row.result,
    progress: row.progress,
    total: row.total,
    attempts: row.attempts,
    lockedBy: row.locked_by,
  };
}

/** Refreshes the lease; false when another worker holds the job now (or it finished). */
export async function heartbeat({ jobId, workerId }: { jobId: number; workerId: string }) {
  const updated = await prismaDb(prisma).run(sql`
    UPDATE "job" SET "locked_at" = ${NOW_UTC}
    WHERE "id" = ${jobId} AND "locked_by" = ${workerId} AND "state" = 'RUNNING'`);
  return updated === 1;
}

async function fence(
  tx: Prisma.TransactionClient,
  job: ClaimedJob,
  set: { state?: JobState; progress?: number; total?: number; result?: Prisma.InputJsonValue; error?: string | null },
) {
  const assignments = [sql`"locked_at" = ${NOW_UTC}`, sql`"updated_at" = ${NOW_UTC}`];
  if (set.progress !== undefined) assignments.push(sql`"progress" = ${set.progress}`);
  if (set.total !== undefined) assignments.push(sql`"total" = ${set.total}`);
  if (set.result !== undefined) assignments.push(sql`"result" = ${JSON.stringify(set.result)}::jsonb`);
  if (set.state) {
    assignments.push(sql`"state" = ${set.state}::"JobState"`);
    if (set.state !== "RUNNING") assignments.push(sql`"finished_at" = ${NOW_UTC}`, sql`"locked_by" = NULL`);
  }
  if (set.error !== undefined) assignments.push(sql`"error" = ${set.error}`);
  const updated = await prismaDb(tx).run(sql`
    UPDATE "job" SET ${join(assignments)}
    WHERE "id" = ${job.id} AND "locked_by" = ${job.lockedBy} AND "state" = 'RUNNING'`);
  if (updated !== 1) throw new LeaseLostError(job.id);
}

function backoffMs(attempts: number) {
  return Math.min(30_000 * 2 ** (attempts - 1), 15 * 60_000);
}

function errorText(error: unknown) {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, 2000);
}

/**
 * This process is stopping (deploy, restart): give the job back at once instead of making the next
 * instance wait for the lease to run out. The stop does not count as an attempt.
 */
async function handBack(job: ClaimedJob) {
  await prismaDb(prisma)
    .run(
      sql`
    UPDATE "job" SET "state" = 'QUEUED', "locked_by" = NULL, "locked_at" = NULL,
      "attempts" = GREATEST("attempts" - 1, 0), "updated_at" = ${NOW_UTC}
    WHERE "id" = ${job.id} AND "locked_by" = ${job.lockedBy} AND "state" = 'RUNNING'`,
    )
    .catch(() => undefined);
}

/** Runs one claimed job to its end: success, retry later, or failure. */
export async function runClaimedJob(
  job: ClaimedJob,
  { leaseMs = DEFAULT_LEASE_MS, signal }: { leaseMs?: number; signal?: AbortSignal } = {},
) {
  const handler = handlers.get(job.kind);
  // The stop may have come while the claim was on its way back from the database: the job is
  // already RUNNING there, but an aborted signal never fires "abort" again, so hand it back now.
  if (signal?.aborted) {
    await handBack(job);
    return "abandoned" as const;
  }
  const controller = new AbortController();
  const onStop = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onStop, { once: true });

  // The heartbeat keeps the lease while the handler works between commits (a long query, say).
  const beat = setInterval(
    () => {
      heartbeat({ jobId: job.id, workerId: job.lockedBy })
        .then((held) => {
          if (!held) controller.abort(new LeaseLostError(job.id));
        })
        .catch(() => {
          // A database hiccup: the next beat or commit tells whether the lease is still ours.
        });
    },
    Math.max(1_000, Math.floor(leaseMs / 4)),
  );

  const context: JobContext = {
    workerId: job.lockedBy,
    signal: controller.signal,
    async commit(update, work) {
      return sqlTransaction(
        async (db) => {
          const sets = [sql`"locked_at" = ${NOW_UTC}`, sql`"updated_at" = ${NOW_UTC}`];
          if (update.progress !== undefined) sets.push(sql`"progress" = ${update.progress}`);
          if (update.total !== undefined) sets.push(sql`"total" = ${update.total}`);
          if (update.result !== undefined) sets.push(sql`"result" = ${JSON.stringify(update.result)}::jsonb`);
          const fenced = await db.run(sql`
            UPDATE "job" SET ${join(sets)} WHERE "id" = ${job.id} AND "locked_by" = ${job.lockedBy} AND "state" = 'RUNNING'`);
          if (fenced !== 1) throw new LeaseLostError(job.id);
          return work ? work(db) : undefined;
        },
        { pool: "write" },
      );
    },
    async complete(result, work) {
      await transaction(
        async (tx) => {
          await fence(tx, job, { state: "SUCCEEDED", result, error: null });
          await work?.(tx);
        },
        { timeout: 60_000 },
      );
    },
  };

  try {
    if (!handler) throw new PermanentJobError(`No handler for ${job.kind} jobs.`);
    await handler(job, context);
    return "done" as const;
  } catch (error) {
    if (error instanceof LeaseLostError || controller.signal.aborted) {
      if (signal?.aborted && !(controller.signal.reason instanceof LeaseLostError)) {
        await handBack(job);
      }
      // Otherwise another worker owns the job now: leave it alone.
      return "abandoned" as const;
    }
    const permanent = error instanceof PermanentJobError || job.attempts >= MAX_JOB_ATTEMPTS;
    await transaction(async (tx) => {
      if (permanent) {
        await fence(tx, job, { state: "FAILED", error: errorText(error) });
      } else {
        await fence(tx, job, { state: "QUEUED", error: errorText(error) });
        await prismaDb(tx).run(sql`
          UPDATE "job" SET "run_after" = ${NOW_UTC} + make_interval(secs => ${backoffMs(job.attempts) / 1000})
          WHERE "id" = ${job.id}`);
      }
    }).catch((fenceError: unknown) => {
      if (!(fenceError instanceof LeaseLostError)) throw fenceError;
    });
    if (!permanent) return "retry" as const;
    console.error(`Job ${job.id} (${job.kind}) failed:`, error);
    return "failed" as const;
  } finally {
    clearInterval(beat);
    signal?.removeEventListener("abort", onStop);
  }
}

/**
 * Jobs whose claims ran out more often than allowed (a job that crashes its server every time)
 * are failed instead of being claimed forever.
 */
async function failExhaustedJobs(leaseMs: number) {
  await prismaDb(prisma).run(sql`
    UPDATE "job" SET "state" = 'FAILED', "finished_at" = ${NOW_UTC}, "updated_at" = ${NOW_UTC}, "locked_by" = NULL,
      "error" = 'Stopped after ' || "attempts" || ' attempts: the server restarted each time while it ran.'
    WHERE "state" = 'RUNNING' AND "attempts" >= ${MAX_JOB_ATTEMPTS}
      AND "locked_at" < ${NOW_UTC} - make_interval(secs => ${leaseMs / 1000})`);
}

/** Claims and runs jobs until none is runnable (or `maxJobs` ran). Returns how many ran. */
export async function runDueJobs({
  workerId = newWorkerId(),
  leaseMs = DEFAULT_LEASE_MS,
  maxJobs = Infinity,
  signal,
}: { workerId?: string; leaseMs?: number; maxJobs?: number; signal?: AbortSignal } = {}) {
  await failExhaustedJobs(leaseMs);
  let ran = 0;
  while (ran < maxJobs && !signal?.aborted) {
    const job = await claimNextJob({ workerId, leaseMs });
    if (!job) break;
    await runClaimedJob(job, { leaseMs, signal });
    ran += 1;
  }
  return ran;
}
