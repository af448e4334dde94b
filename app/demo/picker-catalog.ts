// The demo products in the shape App Bridge's resource picker resolves with (Product / ProductVariant
// payloads, ids as GraphQL gids), served to the admin frame as JSON.
import { DEMO_PRODUCTS, type DemoProduct } from "./catalog";
import { productImageUrl } from "./fake-shopify";

const CREATED_AT = "2026-01-05T09:00:00Z";

export function pickerVariant(product: DemoProduct, index: number, assetBaseUrl: string) {
  const variant = product.variants[index];
  const image = pickerImage(product, assetBaseUrl);
  return {
    id: `gid://shopify/ProductVariant/${variant.id}`,
    title: variant.title,
    displayName: variant.title === "Default Title" ? product.title : `${product.title} - ${variant.title}`,
    price: variant.price,
    compareAtPrice: null,
    sku: variant.sku,
    barcode: null,
    position: index + 1,
    availableForSale: true,
    inventoryPolicy: "CONTINUE",
    inventoryManagement: "NOT_MANAGED",
    inventoryQuantity: null,
    inventoryItem: { id: `gid://shopify/InventoryItem/${variant.id}` },
    requiresShipping: product.handle === "printed-manual",
    taxable: true,
    weight: 0,
    weightUnit: "KILOGRAMS",
    selectedOptions: [{ name: "Title", value: variant.title }],
    image: null,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    product: { id: `gid://shopify/Product/${product.id}`, title: product.title, handle: product.handle, images: [image] },
  };
}

function pickerImage(product: DemoProduct, assetBaseUrl: string) {
  return { id: `gid://shopify/ProductImage/${product.id + 1}`, altText: product.title, originalSrc: productImageUrl(assetBaseUrl, product) };
}

export function pickerProduct(product: DemoProduct, assetBaseUrl: string) {
  return {
    id: `gid://shopify/Product/${product.id}`,
    title: product.title,
    handle: product.handle,
    status: "ACTIVE",
    vendor: "Keyshelf Demo",
    productType: product.handle === "printed-manual" ? "Book" : "Software",
    tags: [],
    descriptionHtml: `<p>${product.title}, sold by the Keyshelf demo store.</p>`,
    templateSuffix: null,
    images: [pickerImage(product, assetBaseUrl)],
    options: [
      { id: `gid://shopify/ProductOption/${product.id}`, name: "Title", position: 1, values: product.variants.map((v) => v.title) },
    ],
    hasOnlyDefaultVariant: product.variants.length === 1 && product.variants[0].title === "Default Title",
    totalInventory: 0,
    totalVariants: product.variants.length,
    tracksInventory: false,
    availablePublicationCount: 1,
    publishedAt: CREATED_AT,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    variants: product.variants.map((_, index) => pickerVariant(product, index, assetBaseUrl)),
  };
}

export function pickerCatalog(assetBaseUrl: string) {
  return DEMO_PRODUCTS.map((product) => pickerProduct(product, assetBaseUrl));
}
