// The app server's background work: job handlers, the loop that runs them, mail delivery and
// housekeeping. Every app instance runs it (started once per process from entry.server.tsx);
// the job table's locking makes that safe. Tests disable the loop (KEYSHELF_DISABLE_WORKERS=1)
// and call runBackgroundTick() to run exactly one round.
import { backgroundWorkDisabled } from "~/config.server";
import { DEFAULT_LEASE_MS, newWorkerId, registerJobHandler, runDueJobs } from "./jobs.server";
import { exportJobHandler } from "./export.server";
import { purgeExpiredExports } from "./export-files.server";
import { deliverDueMail } from "./mailer.server";
import { cleanUpStaleImports } from "./key-import.server";
import { fillStockedWaitingOrders } from "./fulfilment/waiting-orders.server";
import { queueKeyDeliveries } from "./fulfilment/key-delivery.server";

registerJobHandler("EXPORT", exportJobHandler());

const HOUSEKEEPING_EVERY_MS = 10 * 60_000;

export interface TickOptions {
  workerId?: string;
  leaseMs?: number;
  signal?: AbortSignal;
}

/** Keys handed out since the last round get their delivery emails queued, then due mail is sent. */
async function mailRound() {
  const deliveries = await queueKeyDeliveries();
  const mail = await deliverDueMail();
  return { deliveries, ...mail };
}

/** One round: every runnable job, every delivery and due email, and housekeeping. */
export async function runBackgroundTick({
  workerId = newWorkerId(),
  leaseMs = DEFAULT_LEASE_MS,
  signal,
}: TickOptions = {}) {
  const jobs = await runDueJobs({ workerId, leaseMs, signal });
  // Waiting orders first: the keys they receive are mailed in the same round.
  const waitingOrders = await fillStockedWaitingOrders();
  const mail = await mailRound();
  const purged = await purgeExpiredExports();
  const staleImports = await cleanUpStaleImports();
  return { jobs, mail, purged, staleImports, waitingOrders };
}

interface Runner {
  workerId: string;
  stop(): Promise<void>;
}

declare global {
  var __keyshelfBackground: Runner | undefined;
}

/** A loop that keeps running `work` every `intervalMs` until stopped; errors are logged, not fatal. */
function loop(name: string, intervalMs: number, work: (signal: AbortSignal) => Promise<unknown>, signal: AbortSignal) {
  return (async () => {
    while (!signal.aborted) {
      try {
        await work(signal);
      } catch (error) {
        console.error(`Background ${name} failed:`, error);
      }
      // A stop that came while `work` ran has already fired: do not sleep through it.
      if (signal.aborted) break;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", wake);
          resolve();
        };
        const timer = setTimeout(wake, intervalMs);
        timer.unref();
        signal.addEventListener("abort", wake, { once: true });
      });
    }
  })();
}

/**
 * Starts the background loops once per process. Off when KEYSHELF_DISABLE_WORKERS=1 (tests, or
 * a deployment that runs web and worker processes separately).
 */
export function startBackgroundWork({ intervalMs = 1_000 }: { intervalMs?: number } = {}) {
  if (backgroundWorkDisabled()) return null;
  if (globalThis.__keyshelfBackground) return globalThis.__keyshelfBackground;
  const workerId = newWorkerId();
  const controller = new AbortController();
  let lastHousekeeping = 0;
  const loops = [
    // Jobs and mail run in separate loops so a long export does not hold up a stock alert.
    loop("jobs", intervalMs, (signal) => runDueJobs({ workerId, signal }), controller.signal),
    loop("mail", intervalMs * 2, () => mailRound(), controller.signal),
    // Waiting orders are filled when keys arrive; this catches what a crash or a failed transaction missed.
    loop("waiting orders", 30_000, () => fillStockedWaitingOrders(), controller.signal),
    loop(
      "housekeeping",
      60_000,
      async () => {
        if (Date.now() - lastHousekeeping < HOUSEKEEPING_EVERY_MS) return;
        lastHousekeeping = Date.now();
        await purgeExpiredExports();
        await cleanUpStaleImports();
      },
      controller.signal,
    ),
  ];
  const runner: Runner = {
    workerId,
    async stop() {
      controller.abort();
      await Promise.all(loops);
      if (globalThis.__keyshelfBackground === runner) globalThis.__keyshelfBackground = undefined;
    },
  };
  globalThis.__keyshelfBackground = runner;
  // A deploy or restart stops the server with SIGTERM (remix-serve then closes its listener): a
  // running job is handed back at once, so another instance resumes it without waiting out the lease.
  process.once("SIGTERM", () => void runner.stop());
  return runner;
}

