// The embedded admin authenticates every request with a session token; forged, expired or
// foreign tokens get nothing.
import { beforeAll, describe, expect, it } from "vitest";
import { dataPath, handle } from "tests/helpers/app";
import { adminRequest, installShop, sessionToken, TEST_SHOP} from "tests/helpers/shopify";

const home = dataPath("/app", "routes/app._index");

describe("admin session tokens", () => {
  beforeAll(async () => {
    await installShop(TEST_SHOP);
  });

  it("serves the app to a valid session token of an installed shop", async () => {
    const response = await handle(adminRequest(home, { shop: TEST_SHOP }));
    expect(response.status).toBe(200);
  });

  it.each([
    ["signed with another secret", () => sessionToken({ shop: TEST_SHOP, secret: "not-the-app-secret" })],
    ["expired", () => sessionToken({ shop: TEST_SHOP, expiresIn: -120, notBeforeIn: -180 })],
    ["not valid yet", () => sessionToken({ shop: TEST_SHOP, notBeforeIn: 600, expiresIn: 900 })],
    ["for another app", () => sessionToken({ shop: TEST_SHOP, aud: "someone-elses-api-key" })],
    ["malformed", () => "not.a.jwt"],
  ])("refuses a token %s with 401 and a retry hint", async (_label, token) => {
    const response = await handle(adminRequest(home, { shop: TEST_SHOP, token: token() }));
    expect(response.status).toBe(401);
    expect(response.headers.get("X-Shopify-Retry-Invalid-Session-Request")).toBe("1");
  });

  it("sends a document request without a token to the session-token bounce page", async () => {
    const response = await handle(
      new Request(`https://keyshelf.test/app?embedded=1&shop=${TEST_SHOP}&host=YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWxwaGE`, {
        headers: { "User-Agent": "Mozilla/5.0 Chrome/130" },
      }),
    );
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toContain("/auth/session-token");
  });
});
