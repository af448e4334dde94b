// Real Chromium (Debian's, driven by playwright-core) against the demo server on loopback,
// over this test file's database.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Frame, type Page } from "playwright-core";
import { freePort } from "~/local/postgres";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export interface DemoApp {
  url: string;
  shop: string;
  close(): Promise<void>;
}

/** The demo (admin frame, App Bridge stand-in, app) on a free port, seeded afresh. */
export async function startDemoApp(): Promise<DemoApp> {
  process.env.KEYSHELF_DEMO = "1";
  const { seedDemo } = await import("~/demo/seed");
  const { startDemoServer } = await import("~/demo/server");
  const { DEMO_SHOP } = await import("~/demo/catalog");
  await seedDemo({ reset: true });
  const server = await startDemoServer({ port: await freePort(), host: "127.0.0.1" });
  return { url: server.url, shop: DEMO_SHOP, close: server.close };
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    // `npm test` installs it first (tests/setup/ensure-chromium.ts); a bare `vitest` does not.
    throw new Error(`Chromium is missing at ${CHROMIUM}: run the tests with npm test, which installs it, or set CHROMIUM_PATH.`);
  }
  const profile = mkdtempSync(path.join(os.tmpdir(), "keyshelf-chromium-"));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
    ].filter((arg) => !arg.startsWith("--user-data-dir")),
  });
  browser.on("disconnected", () => rmSync(profile, { recursive: true, force: true }));
  return browser;
}

/** The app's iframe inside the demo's admin frame, once App Bridge has its configuration. */
export async function waitForAppFrame(page: Page): Promise<Frame> {
  const handle = await page.waitForSelector("#app-iframe");
  const frame = (await handle.contentFrame())!;
  await frame.waitForFunction(() => Boolean(window.shopify?.config?.shop));
  return frame;
}
