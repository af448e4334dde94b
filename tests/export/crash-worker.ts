// A separate app worker process for the crash test: runs due jobs with tiny export chunks (one
// per 10 rows) so the test can kill it, for real, between two chunks of one export.
import { registerJobHandler, runDueJobs } from "~/models/jobs.server";
import { exportJobHandler } from "~/models/export.server";

registerJobHandler("EXPORT", exportJobHandler({ chunkBytes: 1, batchRows: 10 }));
await runDueJobs({ workerId: "crash-worker" });
process.stdout.write("finished\n");
process.exit(0);
