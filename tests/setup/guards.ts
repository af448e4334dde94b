// What every test must not do unnoticed, checked after each test from the per-file setup
// (tests/setup/per-file.ts): call Shopify's Admin API where no test answered (tests/helpers/shopify.ts
// records such calls), or log an error (console.error) that the test did not announce.
import { format } from "node:util";

/** Outbound calls to Shopify that no mock answered, during the current test. */
export const unexpectedCalls: string[] = [];

const consoleErrors: string[] = [];
let expectedErrors: RegExp[] = [];

/** The current test logs errors matching `pattern` on purpose (a failing job, a dropped connection). */
export function expectConsoleError(pattern: RegExp) {
  expectedErrors.push(pattern);
}

export function recordConsoleError(args: unknown[]) {
  consoleErrors.push(format(...args));
}

export function resetGuards() {
  unexpectedCalls.length = 0;
  consoleErrors.length = 0;
  expectedErrors = [];
}

/** Throws (failing the test that just ran) when it broke a guard. */
export function checkGuards() {
  const problems: string[] = [];
  if (unexpectedCalls.length) problems.push(`Admin API calls no test expected: ${unexpectedCalls.join(", ")}`);
  const unannounced = consoleErrors.filter((text) => !expectedErrors.some((pattern) => pattern.test(text)));
  if (unannounced.length) {
    problems.push(
      `console.error during the test (announce it with expectConsoleError(/.../) if it is meant):\n` +
        unannounced.map((text) => `  ${text.split("\n").slice(0, 6).join("\n  ")}`).join("\n"),
    );
  }
  resetGuards();
  if (problems.length) throw new Error(problems.join("\n"));
}
