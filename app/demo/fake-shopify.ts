// The demo's Shopify, faked at its network boundary: the app's own code (shopify-app-remix, the Admin
// API client) runs unchanged and its outbound HTTP lands here instead of on the internet.
// Answers the Admin GraphQL API for the demo shop from app/demo/catalog.ts and the token-exchange
// endpoint; refuses everything else loudly so a missing stand-in is obvious, never silently empty.
import { abstractFetch, setAbstractFetchFunc } from "@shopify/shopify-api/runtime";
import {
  DEMO_ACCESS_TOKEN,
  DEMO_CURRENCY,
  DEMO_PRODUCTS,
  DEMO_SHOP,
  DEMO_SHOP_EMAIL,
  DEMO_SHOP_NAME,
  DEMO_STAFF,
  DEMO_TIMEZONE,
  type DemoProduct,
  type DemoVariant,
} from "./catalog";
import { execute, type GraphQLError, parse, validate, type ExecutionResult } from "graphql";
import { adminSchema } from "./admin-schema";
import { verifySessionToken } from "./session-token";

export interface FakeShopifyOptions {
  apiKey: string;
  apiSecret: string;
  scopes: string[];
  shop?: string;
  accessToken?: string;
  /** Base URL for product images (the demo server serves them), e.g. http://localhost:3000. */
  assetBaseUrl: string;
  log?: (line: string) => void;
}

type FetchInit = { method?: string; headers?: unknown; body?: unknown };

/** A resolved Admin API object: plain values, or functions of the field's arguments (graphql's default resolver). */
type GqlObject = { __typename: string; [field: string]: unknown };

const CREATED_AT = "2026-01-05T09:00:00Z";

const gid = (type: string, id: number | string) => `gid://shopify/${type}/${id}`;

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", ...headers },
  });
}

function headerValue(headers: unknown, name: string): string | null {
  if (!headers) return null;
  if (headers instanceof Headers) return headers.get(name);
  const wanted = name.toLowerCase();
  const entries = Array.isArray(headers) ? headers : Object.entries(headers as Record<string, unknown>);
  for (const [key, value] of entries as [string, unknown][]) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? String(value[0]) : String(value);
  }
  return null;
}

async function bodyText(body: unknown): Promise<string> {
  if (body == null) return "";
  if (typeof body === "string") return body;
  if (body instanceof URLSearchParams) return body.toString();
  return new Response(body as BodyInit).text();
}

/** Shopify's product search syntax, the parts a picker or an app uses: words, title:, sku:, id:. */
function matchesSearch(product: DemoProduct, query: string) {
  const terms = query.match(/(\w+:)?("[^"]*"|\S+)/g) ?? [];
  return terms.every((term) => {
    const [, field, raw] = /^(?:(\w+):)?(.*)$/.exec(term) ?? [];
    const value = raw.replace(/^"|"$/g, "").replace(/\*/g, "").toLowerCase();
    const haystacks: Record<string, string[]> = {
      title: [product.title],
      handle: [product.handle],
      sku: product.variants.map((v) => v.sku),
      id: [String(product.id)],
      product_id: [String(product.id)],
      status: ["active"],
      vendor: ["keyshelf demo"],
    };
    const fields = field ? haystacks[field] ?? [] : [product.title, product.handle, ...product.variants.map((v) => v.sku)];
    return fields.some((text) => (field === "id" ? text === value : text.toLowerCase().includes(value)));
  });
}

function connection<T>(items: T[], args: Record<string, unknown>, toNode: (item: T) => GqlObject, typename: string) {
  const first = typeof args.first === "number" ? args.first : undefined;
  const last = typeof args.last === "number" ? args.last : undefined;
  if (first === undefined && last === undefined) throw new Error("you must provide one of first or last");
  if ((first ?? last ?? 0) > 250) throw new Error("The first/last argument must be at most 250");
  const decode = (cursor: unknown) => Number(Buffer.from(String(cursor), "base64url").toString("utf8").replace("i:", ""));
  const encode = (index: number) => Buffer.from(`i:${index}`).toString("base64url");
  let start = 0;
  let end = items.length;
  if (args.after) start = decode(args.after) + 1;
  if (args.before) end = decode(args.before);
  if (args.reverse) items = [...items].reverse();
  let slice = items.map((item, index) => ({ item, index })).slice(start, end);
  const total = slice.length;
  if (first !== undefined) slice = slice.slice(0, first);
  if (last !== undefined) slice = slice.slice(Math.max(0, slice.length - last));
  const edges = slice.map(({ item, index }) => ({ __typename: `${typename}Edge`, cursor: encode(index), node: toNode(item) }));
  return {
    __typename: `${typename}Connection`,
    edges,
    nodes: edges.map((edge) => edge.node),
    pageInfo: {
      __typename: "PageInfo",
      hasNextPage: first !== undefined ? total > first : end < items.length,
      hasPreviousPage: last !== undefined ? total > last : start > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}

export function productImageUrl(assetBaseUrl: string, product: DemoProduct) {
  return `${assetBaseUrl.replace(/\/$/, "")}/demo/images/${product.handle}.svg`;
}

/** The Admin API's view of the demo catalogue, as resolvable objects. */
export function createAdminSchema(options: { shop: string; assetBaseUrl: string }) {
  const { shop } = options;
  const image = (product: DemoProduct): GqlObject => {
    const url = productImageUrl(options.assetBaseUrl, product);
    return {
      __typename: "Image",
      id: gid("ProductImage", product.id + 1),
      altText: product.title,
      url: () => url,
      src: url,
      originalSrc: url,
      transformedSrc: () => url,
      width: 400,
      height: 400,
    };
  };

  const variantNode = (product: DemoProduct, variant: DemoVariant, index: number): GqlObject => ({
    __typename: "ProductVariant",
    id: gid("ProductVariant", variant.id),
    legacyResourceId: String(variant.id),
    title: variant.title,
    displayName: variant.title === "Default Title" ? product.title : `${product.title} - ${variant.title}`,
    price: variant.price,
    compareAtPrice: null,
    sku: variant.sku,
    barcode: null,
    position: index + 1,
    availableForSale: true,
    inventoryQuantity: null,
    inventoryPolicy: "CONTINUE",
    requiresShipping: product.handle === "printed-manual",
    taxable: true,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    image: null,
    selectedOptions: [{ __typename: "SelectedOption", name: "Title", value: variant.title }],
    product: () => productNode(product),
  });

  const productNode = (product: DemoProduct): GqlObject => ({
    __typename: "Product",
    id: gid("Product", product.id),
    legacyResourceId: String(product.id),
    title: product.title,
    handle: product.handle,
    status: "ACTIVE",
    vendor: "Keyshelf Demo",
    productType: product.handle === "printed-manual" ? "Book" : "Software",
    tags: [],
    description: `${product.title}, sold by the Keyshelf demo store.`,
    descriptionHtml: `<p>${product.title}, sold by the Keyshelf demo store.</p>`,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    publishedAt: CREATED_AT,
    onlineStoreUrl: `https://${shop}/products/${product.handle}`,
    totalInventory: 0,
    tracksInventory: false,
    hasOnlyDefaultVariant: product.variants.length === 1 && product.variants[0].title === "Default Title",
    variantsCount: { __typename: "Count", count: product.variants.length, precision: "EXACT" },
    featuredImage: image(product),
    images: (args: Record<string, unknown>) => connection([product], args, image, "Image"),
    variants: (args: Record<string, unknown>) =>
      connection(product.variants, args, (v) => variantNode(product, v, product.variants.indexOf(v)), "ProductVariant"),
    options: [{ __typename: "ProductOption", id: gid("ProductOption", product.id), name: "Title", position: 1, values: product.variants.map((v) => v.title) }],
  });

  const findNode = (id: unknown): GqlObject | null => {
    const text = String(id ?? "");
    const [, type, raw] = /^gid:\/\/shopify\/(\w+)\/(\d+)$/.exec(text) ?? [];
    if (type === "Product") {
      const product = DEMO_PRODUCTS.find((p) => String(p.id) === raw);
      return product ? productNode(product) : null;
    }
    if (type === "ProductVariant") {
      for (const product of DEMO_PRODUCTS) {
        const index = product.variants.findIndex((v) => String(v.id) === raw);
        if (index >= 0) return variantNode(product, product.variants[index], index);
      }
    }
    return null;
  };

  const allVariants = () => DEMO_PRODUCTS.flatMap((p) => p.variants.map((v, i) => ({ p, v, i })));

  const query: GqlObject = {
    __typename: "QueryRoot",
    shop: {
      __typename: "Shop",
      id: gid("Shop", 91000000001),
      name: DEMO_SHOP_NAME,
      email: DEMO_SHOP_EMAIL,
      contactEmail: DEMO_SHOP_EMAIL,
      myshopifyDomain: shop,
      url: `https://${shop}`,
      ianaTimezone: DEMO_TIMEZONE,
      timezoneAbbreviation: "CET",
      currencyCode: DEMO_CURRENCY,
      primaryDomain: { __typename: "Domain", id: gid("Domain", 1), host: shop, url: `https://${shop}` },
      plan: { __typename: "ShopPlan", displayName: "Development", partnerDevelopment: true, shopifyPlus: false },
    },
    currentAppInstallation: {
      __typename: "AppInstallation",
      id: gid("AppInstallation", 1),
      accessScopes: [] as GqlObject[],
    },
    product: ({ id }: Record<string, unknown>) => (String(id).startsWith("gid://shopify/Product/") ? findNode(id) : null),
    productVariant: ({ id }: Record<string, unknown>) =>
      String(id).startsWith("gid://shopify/ProductVariant/") ? findNode(id) : null,
    productByHandle: ({ handle }: Record<string, unknown>) => {
      const product = DEMO_PRODUCTS.find((p) => p.handle === handle);
      return product ? productNode(product) : null;
    },
    products: (args: Record<string, unknown>) => {
      const search = typeof args.query === "string" ? args.query : "";
      const products = DEMO_PRODUCTS.filter((p) => matchesSearch(p, search));
      return connection(products, args, productNode, "Product");
    },
    productsCount: (args: Record<string, unknown>) => ({
      __typename: "Count",
      count: DEMO_PRODUCTS.filter((p) => matchesSearch(p, typeof args.query === "string" ? args.query : "")).length,
      precision: "EXACT",
    }),
    productVariants: (args: Record<string, unknown>) => {
      const search = typeof args.query === "string" ? args.query.toLowerCase() : "";
      const variants = allVariants().filter(
        ({ p, v }) => !search || `${p.title} ${v.title} ${v.sku}`.toLowerCase().includes(search.replace(/^\w+:/, "")),
      );
      return connection(variants, args, ({ p, v, i }) => variantNode(p, v, i), "ProductVariant");
    },
    node: ({ id }: Record<string, unknown>) => findNode(id),
    nodes: ({ ids }: Record<string, unknown>) => (Array.isArray(ids) ? ids.map(findNode) : []),
    order: () => null,
  };
  return query;
}

/** Shopify's wording for a field its schema lacks (graphql-js says "Cannot query field ..."). */
function asShopifyError(error: GraphQLError) {
  const unknown = /^Cannot query field "(\w+)" on type "(\w+)"/.exec(error.message);
  if (!unknown) return error.toJSON();
  const [, fieldName, typeName] = unknown;
  return {
    message: `Field '${fieldName}' doesn't exist on type '${typeName}'`,
    locations: error.locations,
    extensions: { code: "undefinedField", typeName, fieldName },
  };
}

/** Parses, validates and runs one request; like Shopify, an invalid document gets errors and no data. */
async function runAdminGraphql(
  request: { query: string; variables?: Record<string, unknown>; operationName?: string },
  rootValue: GqlObject,
): Promise<ExecutionResult | { errors: unknown[] }> {
  let document;
  try {
    document = parse(request.query);
  } catch (error) {
    return { errors: [(error as GraphQLError).toJSON()] };
  }
  const invalid = validate(adminSchema, document);
  if (invalid.length) return { errors: invalid.map(asShopifyError) };
  const result = await execute({
    schema: adminSchema,
    document,
    rootValue,
    variableValues: request.variables,
    operationName: request.operationName,
  });
  return result.errors ? { ...result, errors: result.errors.map((error) => error.toJSON()) } : result;
}

/** A fetch that is Shopify for the demo shop and refuses every other host. */
export function createFakeShopifyFetch(options: FakeShopifyOptions) {
  const shop = options.shop ?? DEMO_SHOP;
  const accessToken = options.accessToken ?? DEMO_ACCESS_TOKEN;
  const log = options.log ?? (() => {});
  // Read lazily: the demo server knows its URL only once it listens.
  const schema = createAdminSchema({
    shop,
    get assetBaseUrl() {
      return options.assetBaseUrl;
    },
  });

  async function tokenExchange(init: FetchInit) {
    const raw = await bodyText(init.body);
    let body: Record<string, string>;
    try {
      body = raw.trim().startsWith("{") ? JSON.parse(raw) : Object.fromEntries(new URLSearchParams(raw));
    } catch {
      return json(400, { error: "invalid_request", error_description: "Body is not JSON or form data" });
    }
    if (body.client_id !== options.apiKey || body.client_secret !== options.apiSecret) {
      return json(401, { error: "invalid_client", error_description: "Client credentials are invalid" });
    }
    if (body.grant_type === "urn:ietf:params:oauth:grant-type:token-exchange") {
      try {
        verifySessionToken(body.subject_token ?? "", { apiKey: options.apiKey, apiSecret: options.apiSecret });
      } catch (error) {
        return json(400, { error: "invalid_subject_token", error_description: (error as Error).message });
      }
      const scope = options.scopes.join(",");
      if (body.requested_token_type === "urn:shopify:params:oauth:token-type:online-access-token") {
        return json(200, {
          access_token: `${accessToken}_online`,
          scope,
          expires_in: 86399,
          associated_user_scope: scope,
          associated_user: {
            id: DEMO_STAFF.id,
            first_name: DEMO_STAFF.firstName,
            last_name: DEMO_STAFF.lastName,
            email: DEMO_STAFF.email,
            account_owner: DEMO_STAFF.accountOwner,
            locale: DEMO_STAFF.locale,
            collaborator: false,
            email_verified: true,
          },
        });
      }
      return json(200, { access_token: accessToken, scope });
    }
    return json(400, { error: "unsupported_grant_type", error_description: `The demo does not support ${body.grant_type}` });
  }

  async function adminGraphql(init: FetchInit) {
    const given = headerValue(init.headers, "X-Shopify-Access-Token");
    if (given !== accessToken && given !== `${accessToken}_online`) {
      return json(401, { errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" });
    }
    let request: { query?: string; variables?: Record<string, unknown>; operationName?: string };
    try {
      request = JSON.parse(await bodyText(init.body));
    } catch {
      return json(400, { errors: { query: "Required parameter missing or invalid" } });
    }
    if (!request.query) return json(400, { errors: { query: "Required parameter missing or invalid" } });
    const result = await runAdminGraphql({ ...request, query: request.query }, schema);
    if (result.errors?.length)
      log(`[fake shopify] GraphQL errors: ${result.errors.map((e) => (e as { message: string }).message).join("; ")}`);
    return json(200, {
      ...result,
      extensions: {
        cost: {
          requestedQueryCost: 10,
          actualQueryCost: 10,
          throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 1990, restoreRate: 100 },
        },
      },
    });
  }

  return async function fakeShopifyFetch(input: string | URL | Request, init: FetchInit = {}): Promise<Response> {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    if (input instanceof Request) {
      init = { method: input.method, headers: input.headers, body: init.body ?? (await input.text()), ...init };
    }
    const method = (init.method ?? "GET").toUpperCase();
    if (url.hostname === shop) {
      if (method === "POST" && url.pathname === "/admin/oauth/access_token") return tokenExchange(init);
      if (method === "POST" && /^\/admin\/api\/[\w-]+\/graphql\.json$/.test(url.pathname)) return adminGraphql(init);
    }
    const message = `The demo's fake Shopify has no stand-in for ${method} ${url.href}. Add one to app/demo/fake-shopify.ts.`;
    log(`[fake shopify] refused ${method} ${url.href}`);
    if (url.hostname === shop || url.hostname.endsWith(".myshopify.com")) {
      return json(404, { errors: message });
    }
    throw new Error(message);
  };
}

/**
 * Routes shopify-api's outbound HTTP to the fake. Call it after the app's server build has been
 * imported: the library's node adapter installs the real fetch when it loads.
 */
export function installFakeShopify(options: FakeShopifyOptions): () => void {
  const previous = abstractFetch;
  setAbstractFetchFunc(createFakeShopifyFetch(options) as typeof fetch);
  return () => setAbstractFetchFunc(previous);
}
