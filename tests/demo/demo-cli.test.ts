// The demo's commands as a newcomer runs them: `npm run demo` refuses production, and
// `npm run demo:order` fires a signed orders/create at a running demo whose app assigns the keys.
import { execFile } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PRODUCTS, DEMO_SHOP } from "~/demo/catalog";
import { DemoRefusedError, startDemoServer } from "~/demo/server";
import prisma from "~/db.server";
import { freePort } from "~/local/postgres";
import { startDemoApp, type DemoApp } from "tests/helpers/browser";

const TSX = path.resolve("node_modules/tsx/dist/cli.mjs");

function run(script: string, args: string[], env: Record<string, string | undefined> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [TSX, script, ...args], { env: { ...process.env, ...env }, timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("npm run demo in production", () => {
  it("refuses to start, saying why", async () => {
    const { code, stderr } = await run("app/demo/main.ts", [], { NODE_ENV: "production", DATABASE_URL: undefined, PORT: String(await freePort()) });
    expect(code).toBe(1);
    expect(stderr).toContain("refuses to run with NODE_ENV=production");
  });

  it("refuses in-process too: the server never starts", async () => {
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    try {
      await expect(startDemoServer({ port: await freePort() })).rejects.toThrow(DemoRefusedError);
    } finally {
      process.env.NODE_ENV = previous;
    }
  });

  it("has demo:order refuse too", async () => {
    const { code, stderr } = await run("app/demo/order.ts", [], { NODE_ENV: "production" });
    expect(code).toBe(1);
    expect(stderr).toContain("refuses NODE_ENV=production");
  });
});

describe("npm run demo:order", () => {
  let demo: DemoApp;
  beforeAll(async () => {
    demo = await startDemoApp();
  });
  afterAll(async () => {
    await demo?.close();
  });

  async function pendingIn(tag: string) {
    return prisma.keyTag.count({ where: { tag: { name: tag, shop: { domain: DEMO_SHOP } }, status: "PENDING" } });
  }

  it("fires a signed orders/create the app accepts, and the order gets its keys", async () => {
    const before = await pendingIn("codevault");
    const { code, stdout, stderr } = await run("app/demo/order.ts", [
      "--url", demo.url, "--product", "codevault-ide", "--quantity", "2", "--customer-email", "grace@example.com",
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const match = /^Order (#\d+) \(id (\d+)\): 2 × CodeVault IDE for grace@example.com -> HTTP 200$/m.exec(stdout);
    expect(match, stdout).not.toBeNull();
    const [, name, id] = match!;

    const order = await prisma.order.findFirstOrThrow({ where: { shopifyId: BigInt(id), shop: { domain: DEMO_SHOP } }, include: { keys: true, lines: true } });
    expect(order.name).toBe(name);
    expect(order.email).toBe("grace@example.com");
    expect(order.lines.map((l) => [l.productId, l.quantity])).toEqual([[BigInt(DEMO_PRODUCTS[1].id), 2]]);
    expect(order.keys).toHaveLength(2);
    expect(order.keys.every((k) => k.status === "ASSIGNED")).toBe(true);
    expect(await pendingIn("codevault")).toBe(before - 2);
    expect(await prisma.webhookEvent.count({ where: { shopDomain: DEMO_SHOP, topic: { in: ["orders/create", "ORDERS_CREATE"] } } })).toBeGreaterThan(0);
  });

  it("numbers orders one after the other, and a redelivered event assigns nothing twice", async () => {
    const { code, stdout } = await run("app/demo/order.ts", ["--url", demo.url, "--variant", String(DEMO_PRODUCTS[0].variants[1].id), "--duplicate"]);
    expect(code).toBe(0);
    const deliveries = [...stdout.matchAll(/^Order (#\d+) \(id (\d+)\)(?: redelivered)?: .* -> HTTP (\d+)$/gm)];
    expect(deliveries.map((d) => d[3])).toEqual(["200", "200"]);
    expect(deliveries[0][1]).toBe(deliveries[1][1]);
    const order = await prisma.order.findFirstOrThrow({ where: { shopifyId: BigInt(deliveries[0][2]) }, include: { keys: true } });
    // One unit of the 5-seat variant: five keys, once.
    expect(order.keys).toHaveLength(5);
    const names = (await prisma.order.findMany({ where: { shop: { domain: DEMO_SHOP } }, select: { name: true } })).map((o) => Number(o.name.slice(1)));
    expect(Number(deliveries[0][1].slice(1))).toBe(Math.max(...names));
  });

  it("is refused by the app when signed with another secret", async () => {
    const { code, stdout } = await run("app/demo/order.ts", ["--url", demo.url], { SHOPIFY_API_SECRET: "not-the-app-secret" });
    expect(code).toBe(1);
    expect(stdout).toMatch(/-> HTTP 401/);
  });

  it("says so when the demo is not running", async () => {
    const { code, stderr } = await run("app/demo/order.ts", ["--url", `http://127.0.0.1:${await freePort()}`]);
    expect(code).toBe(1);
    expect(stderr).toContain("The demo is not running at");
  });
});
