// Outside the demo the app points App Bridge at Shopify's CDN and has no route for any stand-in.
import { beforeAll, describe, expect, it } from "vitest";
import { handle } from "tests/helpers/app";
import { BROWSER_UA, installShop, sessionToken, TEST_SHOP } from "tests/helpers/shopify";
import { expectConsoleError } from "tests/setup/guards";

describe("the production app surface", () => {
  beforeAll(async () => {
    await installShop(TEST_SHOP);
  });

  it.each(["/demo/app-bridge.js", "/demo/session-token", "/demo/mail", "/demo/customer"])(
    "has no %s",
    async (path) => {
      // Remix logs every unmatched URL as an error; here that is the point.
      expectConsoleError(/No route(s)? match/);
      const response = await handle(new Request(`https://keyshelf.test${path}`, { headers: { "User-Agent": BROWSER_UA } }));
      expect(response.status).toBe(404);
    },
  );

  it("loads Shopify's App Bridge from its CDN in the embedded document", async () => {
    const token = sessionToken({ shop: TEST_SHOP });
    const host = Buffer.from(`admin.shopify.com/store/alpha-test`).toString("base64url");
    const response = await handle(
      new Request(`https://keyshelf.test/app?embedded=1&shop=${TEST_SHOP}&host=${host}&id_token=${token}`, {
        headers: { "User-Agent": BROWSER_UA },
      }),
    );
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('src="https://cdn.shopify.com/shopifycloud/app-bridge.js"');
    expect(html).not.toContain("/demo/app-bridge.js");
  });
});
