// The demo's Shopify: the app's own Shopify code (library, Admin API client, token exchange) runs
// unchanged against it, and anything it has no stand-in for fails loudly.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ACCESS_TOKEN, DEMO_PRODUCTS, DEMO_SHOP, DEMO_SHOP_EMAIL, DEMO_SHOP_NAME, DEMO_TIMEZONE } from "~/demo/catalog";
import { createFakeShopifyFetch, installFakeShopify } from "~/demo/fake-shopify";
import prisma from "~/db.server";
import { handle, loadBuild } from "tests/helpers/app";
import { BROWSER_UA, sessionToken, TEST_API_KEY, TEST_API_SECRET } from "tests/helpers/shopify";

const options = { apiKey: TEST_API_KEY, apiSecret: TEST_API_SECRET, scopes: ["read_orders", "read_products"], assetBaseUrl: "http://demo.test" };
const shopify = createFakeShopifyFetch(options);

async function graphql(query: string, variables?: Record<string, unknown>, token = DEMO_ACCESS_TOKEN) {
  const response = await shopify(`https://${DEMO_SHOP}/admin/api/2026-07/graphql.json`, {
    method: "POST",
    headers: { "X-Shopify-Access-Token": token, "Content-Type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  // GraphQL answers are as deep as the query: typed loosely, checked by the assertions.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: response.status, body: (await response.json()) as { data?: Record<string, any>; errors?: Array<{ message: string }> } };
}

describe("Admin GraphQL of the demo shop", () => {
  it("answers the shop's details with exactly the fields asked for", async () => {
    const { status, body } = await graphql(`#graphql
      query ShopDetails { shop { name email ianaTimezone } }`);
    expect(status).toBe(200);
    expect(body.data).toEqual({ shop: { name: DEMO_SHOP_NAME, email: DEMO_SHOP_EMAIL, ianaTimezone: DEMO_TIMEZONE } });
  });

  it("pages through products with variants, aliases, fragments and variables", async () => {
    const query = `
      query Products($first: Int!, $after: String) {
        list: products(first: $first, after: $after) {
          edges { cursor node { ...P } }
          pageInfo { hasNextPage endCursor }
        }
      }
      fragment P on Product { id title handle variants(first: 10) { nodes { id title price sku } } }`;
    const first = await graphql(query, { first: 2 });
    expect(first.body.data!.list.edges.map((e: { node: { title: string } }) => e.node.title)).toEqual([DEMO_PRODUCTS[0].title, DEMO_PRODUCTS[1].title]);
    expect(first.body.data!.list.edges[0].node.variants.nodes[1]).toEqual({
      id: `gid://shopify/ProductVariant/${DEMO_PRODUCTS[0].variants[1].id}`,
      title: "5 seats",
      price: "199.00",
      sku: "PFP-5",
    });
    expect(first.body.data!.list.pageInfo.hasNextPage).toBe(true);
    const rest = await graphql(query, { first: 10, after: first.body.data!.list.pageInfo.endCursor });
    expect(rest.body.data!.list.edges.map((e: { node: { handle: string } }) => e.node.handle)).toEqual(DEMO_PRODUCTS.slice(2).map((p) => p.handle));
    expect(rest.body.data!.list.pageInfo.hasNextPage).toBe(false);
  });

  it("finds products by search and nodes by id", async () => {
    const { body } = await graphql(`{
      products(first: 5, query: "title:*vpn*") { nodes { title } }
      nodes(ids: ["gid://shopify/ProductVariant/4510000000031", "gid://shopify/Product/1"]) {
        __typename ... on ProductVariant { displayName product { title } }
      }
    }`);
    expect(body.data!.products.nodes).toEqual([{ title: "SecureNet VPN" }]);
    expect(body.data!.nodes).toEqual([{ __typename: "ProductVariant", displayName: "Stellar Quest (Steam key)", product: { title: "Stellar Quest (Steam key)" } }, null]);
  });

  it("refuses unknown fields the way Shopify does, with no data", async () => {
    const { status, body } = await graphql(`{ shop { name favouriteColour } }`);
    expect(status).toBe(200);
    expect(body.data).toBeUndefined();
    expect(body.errors![0].message).toBe("Field 'favouriteColour' doesn't exist on type 'Shop'");
  });

  it("refuses mutations it has no stand-in for, and arguments of the wrong type, with no data", async () => {
    const mutation = await graphql(`mutation { orderUpdate(input: {id: "gid://shopify/Order/1"}) { order { id } } }`);
    expect(mutation.body.data ?? null).toBeNull();
    expect(mutation.body.errors![0].message).toBe("Schema is not configured to execute mutation operation.");
    const wrongType = await graphql(`{ products(first: "two") { nodes { title } } }`);
    expect(wrongType.body.data ?? null).toBeNull();
    expect(wrongType.body.errors![0].message).toMatch(/Int cannot represent non-integer value: "two"/);
  });

  it("answers 401 to a wrong access token", async () => {
    const { status } = await graphql(`{ shop { name } }`, undefined, "shpat_wrong");
    expect(status).toBe(401);
  });

  it("refuses any other host or endpoint with a clear error", async () => {
    await expect(shopify("https://example.com/anything")).rejects.toThrow(/no stand-in for GET https:\/\/example.com\/anything/);
    const rest = await shopify(`https://${DEMO_SHOP}/admin/api/2026-07/products.json`);
    expect(rest.status).toBe(404);
  });
});

describe("token exchange with the demo's Shopify", () => {
  const exchange = (body: Record<string, string>) =>
    shopify(`https://${DEMO_SHOP}/admin/oauth/access_token`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const grant = {
    client_id: TEST_API_KEY,
    client_secret: TEST_API_SECRET,
    grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
    subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
    requested_token_type: "urn:shopify:params:oauth:token-type:offline-access-token",
  };

  it("gives the demo's offline token for a valid session token", async () => {
    const response = await exchange({ ...grant, subject_token: sessionToken({ shop: DEMO_SHOP }) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ access_token: DEMO_ACCESS_TOKEN, scope: "read_orders,read_products" });
  });

  it("refuses a session token signed with another secret, and wrong client credentials", async () => {
    const forged = await exchange({ ...grant, subject_token: sessionToken({ shop: DEMO_SHOP, secret: "another-secret" }) });
    expect(forged.status).toBe(400);
    const wrongClient = await exchange({ ...grant, client_secret: "nope", subject_token: sessionToken({ shop: DEMO_SHOP }) });
    expect(wrongClient.status).toBe(401);
  });
});

describe("the app installing itself on the demo shop, offline", () => {
  let uninstall: () => void;
  beforeAll(async () => {
    await loadBuild(); // its import installs the library's real fetch, which the fake replaces
    uninstall = installFakeShopify({ ...options, scopes: ["read_orders", "read_products", "read_customers"] });
  });
  afterAll(() => uninstall());

  it("exchanges the first session token for an offline token and stores the shop's details from GraphQL", async () => {
    const host = Buffer.from("admin.shopify.com/store/keyshelf-demo").toString("base64url");
    const token = sessionToken({ shop: DEMO_SHOP });
    const response = await handle(
      new Request(`https://keyshelf.test/app?embedded=1&shop=${DEMO_SHOP}&host=${host}&id_token=${token}`, { headers: { "User-Agent": BROWSER_UA } }),
    );
    expect(response.status).toBe(200);
    const session = await prisma.session.findUniqueOrThrow({ where: { id: `offline_${DEMO_SHOP}` } });
    expect(session.accessToken).toBe(DEMO_ACCESS_TOKEN);
    const shop = await prisma.shop.findUniqueOrThrow({ where: { domain: DEMO_SHOP } });
    expect({ name: shop.name, email: shop.email, ianaTimezone: shop.ianaTimezone }).toEqual({
      name: DEMO_SHOP_NAME,
      email: DEMO_SHOP_EMAIL,
      ianaTimezone: DEMO_TIMEZONE,
    });
  });
});
