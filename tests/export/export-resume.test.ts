// GIVEN an export running in the background
// WHEN its worker process is killed between two chunks, or stalls past its lease, or several
//      instances compete for the same jobs
// THEN the export is picked up again and resumes after its last committed chunk: the file holds
//      every row exactly once, and no two workers ever run the same job.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { runBackgroundTick, startBackgroundWork } from "~/models/background.server";
import { exportJobHandler, startExport } from "~/models/export.server";
import { openExport } from "~/models/export-files.server";
import { claimNextJob, registerJobHandler, runClaimedJob, runDueJobs } from "~/models/jobs.server";
import { closePgPool } from "~/pg.server";
import { TEST_SHOP } from "tests/helpers/shopify";
import { expectedRows, readCsv, seedLibrary, type SeededLibrary } from "./fixtures";

const WORKER_APP_NAME = "keyshelf-crash-worker";
let library: SeededLibrary;

async function shopRow() {
  return prisma.shop.findUniqueOrThrow({ where: { id: library.shopId } });
}

async function newExport() {
  const { jobId } = await startExport({
    shop: await shopRow(),
    scope: { tagId: null, q: "", status: null },
    actor: "Staff member 1",
  });
  return jobId;
}

async function fileOf(jobId: number) {
  const file = await openExport({ shopId: library.shopId, jobId });
  if (!file) throw new Error(`Export ${jobId} has no file.`);
  const chunks: Buffer[] = [];
  for await (const chunk of file.stream()) chunks.push(chunk as Buffer);
  return readCsv(Buffer.concat(chunks));
}

async function chunkSeqs(jobId: number) {
  const rows = await prisma.exportFile.findMany({ where: { jobId }, orderBy: { seq: "asc" }, select: { seq: true } });
  return rows.map((row) => row.seq);
}

/** Ages a running job's lease past its expiry, as time passing after a crash would. */
async function expireLease(jobId: number) {
  await prisma.$executeRaw`UPDATE "job" SET "locked_at" = "locked_at" - interval '1 hour' WHERE "id" = ${jobId}`;
}

async function until<T>(what: string, probe: () => Promise<T | null | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  library = await seedLibrary(TEST_SHOP, { count: 400, timeZone: "Europe/Berlin" });
});

beforeEach(async () => {
  await prisma.job.deleteMany({});
  registerJobHandler("EXPORT", exportJobHandler());
});

afterAll(async () => {
  registerJobHandler("EXPORT", exportJobHandler());
  await closePgPool();
});

describe("an export whose worker dies", () => {
  it("resumes after the last committed chunk when the worker process is killed mid-export", async () => {
    const jobId = await newExport();

    // Chunk 3 cannot be written while this transaction holds its key: the worker blocks right there.
    const blocker = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await blocker.connect();
    await blocker.query("BEGIN");
    await blocker.query(`INSERT INTO "export_file" ("shop_id", "job_id", "seq", "data") VALUES ($1, $2, 3, '\\x00')`, [
      library.shopId,
      jobId,
    ]);

    let worker: ChildProcess | undefined;
    try {
      // tsx as a loader of this one process (its CLI would run the script in a child we could not kill).
      worker = spawn(process.execPath, ["--import", "tsx", path.resolve("tests/export/crash-worker.ts")], {
        env: { ...process.env, PGAPPNAME: WORKER_APP_NAME },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      worker.stdout!.on("data", (data: Buffer) => (output += data));
      worker.stderr!.on("data", (data: Buffer) => (output += data));
      const exited = new Promise((resolve) => worker!.once("exit", resolve));
      await until("the worker to block on chunk 3", async () => {
        if (worker!.exitCode !== null) throw new Error(`The worker exited early: ${output}`);
        const [{ waiting }] = await prisma.$queryRaw<[{ waiting: number }]>`
          SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE application_name = ${WORKER_APP_NAME} AND wait_event_type = 'Lock'`;
        return waiting > 0;
      });
      expect(await chunkSeqs(jobId)).toEqual([0, 1, 2]);

      worker.kill("SIGKILL");
      await exited;
    } finally {
      await blocker.query("ROLLBACK");
      await blocker.end();
    }
    // PostgreSQL ends a dead client's session when it next reads from it; end it now.
    await prisma.$queryRaw`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${WORKER_APP_NAME}`;
    await until("the dead worker's sessions to end", async () => {
      const [{ n }] = await prisma.$queryRaw<[{ n: number }]>`
        SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = ${WORKER_APP_NAME}`;
      return n === 0;
    });

    const crashed = await prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(crashed).toMatchObject({ state: "RUNNING", lockedBy: "crash-worker", progress: 30, attempts: 1 });
    const committedBefore = await prisma.exportFile.findMany({ where: { jobId }, select: { id: true, seq: true } });

    // While the dead worker's lease runs, nobody takes the job.
    expect(await runDueJobs({ workerId: "instance-b" })).toBe(0);

    await expireLease(jobId);
    await runBackgroundTick({ workerId: "instance-b" });

    const done = await prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(done).toMatchObject({ state: "SUCCEEDED", attempts: 2, progress: 407, total: 407 });
    // Resumed, not restarted: the chunks written before the crash are still the file's beginning.
    const after = await prisma.exportFile.findMany({
      where: { jobId, seq: { lte: 2 } },
      select: { id: true, seq: true },
    });
    expect(after).toEqual(committedBefore);
    const seqs = await chunkSeqs(jobId);
    expect(seqs).toEqual(seqs.map((_, i) => i));

    const [, ...rows] = await fileOf(jobId);
    expect(rows).toEqual(await expectedRows({ shopId: library.shopId, timeZone: "Europe/Berlin" }));
  }, 120_000);

  it("is claimed again only once its lease has run out, then finishes", async () => {
    const jobId = await newExport();
    const claimed = await claimNextJob({ workerId: "instance-a" });
    expect(claimed?.id).toBe(jobId);
    // instance-a "crashes" here: it never runs the job.

    expect(await runDueJobs({ workerId: "instance-b" })).toBe(0);
    await expireLease(jobId);
    expect(await runDueJobs({ workerId: "instance-b" })).toBe(1);

    const job = await prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({ state: "SUCCEEDED", attempts: 2, lockedBy: null });
    expect((await fileOf(jobId)).length).toBe(408);
  });

  it("stops a worker that lost its lease from writing anything more", async () => {
    registerJobHandler("EXPORT", exportJobHandler({ chunkBytes: 1, batchRows: 25 }));
    const jobId = await newExport();
    const stale = await claimNextJob({ workerId: "instance-a" });
    await expireLease(jobId);
    const current = await claimNextJob({ workerId: "instance-b" });
    expect(current?.id).toBe(jobId);

    // instance-a wakes up and works on the job it no longer holds.
    expect(await runClaimedJob(stale!)).toBe("abandoned");
    expect(await chunkSeqs(jobId)).toEqual([]);

    expect(await runClaimedJob(current!)).toBe("done");
    const [, ...rows] = await fileOf(jobId);
    expect(rows).toHaveLength(407);
    expect(new Set(rows.map((row) => row[0])).size).toBe(407);
  });

  it("gives a job to exactly one of several instances claiming at once", async () => {
    const ids = [await newExport()];
    for (const status of ["PENDING", "ASSIGNED", "USED"] as const) {
      const { jobId } = await startExport({ shop: await shopRow(), scope: { tagId: null, q: "", status }, actor: "x" });
      ids.push(jobId);
    }
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => claimNextJob({ workerId: `instance-${i}` })));
    const won = claims.filter((claim) => claim !== null).map((claim) => claim!.id);
    expect(won.sort()).toEqual([...ids].sort());
  });

  it("hands back a job whose claim arrives after the stop began", async () => {
    // The race behind a test that hung 1 run in 8: the claim's UPDATE has committed (the job is
    // RUNNING in the database) when the server stops, and only then does the worker get the row.
    let handlerRan = false;
    registerJobHandler("EXPORT", async () => {
      handlerRan = true;
    });
    const jobId = await newExport();
    const claimed = await claimNextJob({ workerId: "instance-a" });
    const stopping = new AbortController();
    stopping.abort();
    expect(await runClaimedJob(claimed!, { signal: stopping.signal })).toBe("abandoned");
    expect(handlerRan).toBe(false);
    const job = await prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({ state: "QUEUED", lockedBy: null, attempts: 0 });
  });

  it("hands its job back at once when the server stops gracefully", async () => {
    registerJobHandler("EXPORT", async (_job, context) => {
      await new Promise((resolve) => context.signal.addEventListener("abort", resolve, { once: true }));
      throw new Error("stopped");
    });
    const jobId = await newExport();
    const previous = process.env.KEYSHELF_DISABLE_WORKERS;
    delete process.env.KEYSHELF_DISABLE_WORKERS;
    const runner = startBackgroundWork({ intervalMs: 20 });
    try {
      await until(
        "the job to start",
        async () => (await prisma.job.findUnique({ where: { id: jobId } }))?.state === "RUNNING",
      );
    } finally {
      await runner?.stop();
      process.env.KEYSHELF_DISABLE_WORKERS = previous;
    }
    const job = await prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({ state: "QUEUED", lockedBy: null, attempts: 0 });
  });
});
