// Prints a vitest JSON report's totals as one plain line: "584 passed, 0 failed".
// Usage: node .ci/totals.mjs <report.json>. A missing report (vitest died first) says so.
import { readFileSync } from "node:fs";

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (error) {
  console.log(`no test totals: vitest wrote no report (${error.code ?? error.message}); its output above says why`);
  process.exit(0);
}
const unloaded = report.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
const parts = [`${report.numPassedTests} passed`, `${report.numFailedTests} failed`];
if (report.numPendingTests + report.numTodoTests > 0) parts.push(`${report.numPendingTests + report.numTodoTests} skipped`);
if (unloaded > 0) parts.push(`${unloaded} test file${unloaded === 1 ? "" : "s"} failed to load`);
console.log(parts.join(", "));
