// Browser tests drive Debian's Chromium; install it when missing (CI machines start without it).
// Runs as `npm test`'s pretest: every way it cannot get a browser ends in one line naming the fix.
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FIX = "install it (apt-get install -y chromium) or point CHROMIUM_PATH at a Chromium binary";

function stop(cause: string): never {
  console.error(`\nThe browser tests cannot run: ${cause}. To fix: ${FIX}.\n`);
  process.exit(1);
}

if (!existsSync(CHROMIUM)) {
  if (process.env.CHROMIUM_PATH) stop(`CHROMIUM_PATH names ${CHROMIUM}, which does not exist`);
  if (process.getuid?.() !== 0) stop(`Chromium is missing at ${CHROMIUM}, and only root may install it here`);
  console.log("Installing Debian's chromium for the browser tests...");
  try {
    execSync("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium", {
      stdio: "inherit",
    });
  } catch (error) {
    const { status } = error as { status?: number | null };
    stop(`installing Debian's chromium failed (apt-get exited ${status ?? "abnormally"}; its output is above)`);
  }
  if (!existsSync(CHROMIUM)) stop(`apt-get finished but there is still no ${CHROMIUM}`);
}
