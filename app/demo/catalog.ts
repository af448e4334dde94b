// The demo shop and its products. Ids are stable (README lists them) so that
// `npm run demo:order` and the tests can name them.
export const DEMO_SHOP = "keyshelf-demo.myshopify.com";
export const DEMO_SHOP_NAME = "Keyshelf Demo Store";
export const DEMO_SHOP_EMAIL = "owner@keyshelf-demo.test";
export const DEMO_TIMEZONE = "Europe/Berlin";

export interface DemoVariant {
  id: number;
  title: string;
  price: string;
  sku: string;
}

export interface DemoProduct {
  id: number;
  title: string;
  handle: string;
  variants: DemoVariant[];
}

export const DEMO_PRODUCTS: DemoProduct[] = [
  {
    id: 8100000000001,
    title: "PhotoForge Pro",
    handle: "photoforge-pro",
    variants: [
      { id: 4510000000011, title: "Single seat", price: "49.00", sku: "PFP-1" },
      { id: 4510000000012, title: "5 seats", price: "199.00", sku: "PFP-5" },
    ],
  },
  {
    id: 8100000000002,
    title: "CodeVault IDE",
    handle: "codevault-ide",
    variants: [{ id: 4510000000021, title: "Default Title", price: "89.00", sku: "CVI-1" }],
  },
  {
    id: 8100000000003,
    title: "Stellar Quest (Steam key)",
    handle: "stellar-quest",
    variants: [{ id: 4510000000031, title: "Default Title", price: "24.99", sku: "SQ-STEAM" }],
  },
  {
    id: 8100000000004,
    title: "SecureNet VPN",
    handle: "securenet-vpn",
    variants: [
      { id: 4510000000041, title: "1 year", price: "39.00", sku: "SNV-1Y" },
      { id: 4510000000042, title: "2 years", price: "69.00", sku: "SNV-2Y" },
    ],
  },
  {
    id: 8100000000005,
    title: "Printed user manual",
    handle: "printed-manual",
    variants: [{ id: 4510000000051, title: "Default Title", price: "12.00", sku: "MANUAL" }],
  },
];

/** The staff member the demo admin is logged in as (the session token's `sub`). */
export const DEMO_STAFF = {
  id: 71820000001,
  firstName: "Robin",
  lastName: "Keyshelf",
  email: DEMO_SHOP_EMAIL,
  accountOwner: true,
  locale: "en",
} as const;

/** The offline Admin API token the demo shop's session holds; the fake Shopify accepts only this one. */
export const DEMO_ACCESS_TOKEN = "shpat_keyshelfdemo0000000000000000000";

export const DEMO_CURRENCY = "EUR";

/** Customers the seeded orders and `npm run demo:order` use (stable ids for the customer view). */
export interface DemoCustomer {
  id: number;
  firstName: string;
  lastName: string;
  email: string;
}

export const DEMO_CUSTOMERS: DemoCustomer[] = [
  { id: 7300000000001, firstName: "Ada", lastName: "Lovelace", email: "ada@example.com" },
  { id: 7300000000002, firstName: "Grace", lastName: "Hopper", email: "grace@example.com" },
  { id: 7300000000003, firstName: "Alan", lastName: "Turing", email: "alan@example.com" },
  { id: 7300000000004, firstName: "Katherine", lastName: "Johnson", email: "katherine@example.com" },
  { id: 7300000000005, firstName: "Linus", lastName: "Torvalds", email: "linus@example.com" },
];

export function findDemoProduct(idOrHandle: string | number) {
  const text = String(idOrHandle).replace(/^gid:\/\/shopify\/Product\//, "");
  return DEMO_PRODUCTS.find((p) => String(p.id) === text || p.handle === text);
}

export function findDemoVariant(id: string | number) {
  const text = String(id).replace(/^gid:\/\/shopify\/ProductVariant\//, "");
  for (const product of DEMO_PRODUCTS) {
    const variant = product.variants.find((v) => String(v.id) === text);
    if (variant) return { product, variant };
  }
  return undefined;
}
