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
