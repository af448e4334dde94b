// The slice of Shopify's Admin GraphQL schema that the demo's fake Shopify serves, in SDL. Field names,
// types and nullability follow the real Admin API (2026-07), so a query that validates here validates
// there. The `graphql` package parses, validates and executes against it: an unknown field, a wrong
// argument type or a missing selection is refused before anything runs, as Shopify refuses it.
// To fake another Admin API call, add its types here and its resolver in fake-shopify.ts.
import { buildSchema } from "graphql";

export const adminSchema = buildSchema(/* GraphQL */ `
  scalar URL
  scalar Money
  scalar DateTime
  scalar UnsignedInt64

  enum CurrencyCode {
    EUR
    USD
    GBP
  }
  enum CountPrecision {
    EXACT
    AT_LEAST
  }
  enum ProductStatus {
    ACTIVE
    ARCHIVED
    DRAFT
  }
  enum ProductVariantInventoryPolicy {
    CONTINUE
    DENY
  }
  enum ProductSortKeys {
    ID
    TITLE
    CREATED_AT
    UPDATED_AT
    RELEVANCE
  }

  interface Node {
    id: ID!
  }

  type PageInfo {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }

  type Count {
    count: Int!
    precision: CountPrecision!
  }

  type Domain implements Node {
    id: ID!
    host: String!
    url: URL!
  }

  type ShopPlan {
    displayName: String!
    partnerDevelopment: Boolean!
    shopifyPlus: Boolean!
  }

  type Shop implements Node {
    id: ID!
    name: String!
    email: String!
    contactEmail: String!
    myshopifyDomain: String!
    url: URL!
    ianaTimezone: String!
    timezoneAbbreviation: String!
    currencyCode: CurrencyCode!
    primaryDomain: Domain!
    plan: ShopPlan!
  }

  type AccessScope {
    handle: String!
    description: String!
  }

  type AppInstallation implements Node {
    id: ID!
    accessScopes: [AccessScope!]!
  }

  type Image {
    id: ID
    altText: String
    url: URL!
    src: URL!
    originalSrc: URL!
    transformedSrc: URL!
    width: Int
    height: Int
  }

  type ImageEdge {
    cursor: String!
    node: Image!
  }

  type ImageConnection {
    edges: [ImageEdge!]!
    nodes: [Image!]!
    pageInfo: PageInfo!
  }

  type SelectedOption {
    name: String!
    value: String!
  }

  type ProductOption implements Node {
    id: ID!
    name: String!
    position: Int!
    values: [String!]!
  }

  type ProductVariant implements Node {
    id: ID!
    legacyResourceId: UnsignedInt64!
    title: String!
    displayName: String!
    price: Money!
    compareAtPrice: Money
    sku: String
    barcode: String
    position: Int!
    availableForSale: Boolean!
    inventoryQuantity: Int
    inventoryPolicy: ProductVariantInventoryPolicy!
    requiresShipping: Boolean!
    taxable: Boolean!
    createdAt: DateTime!
    updatedAt: DateTime!
    image: Image
    selectedOptions: [SelectedOption!]!
    product: Product!
  }

  type ProductVariantEdge {
    cursor: String!
    node: ProductVariant!
  }

  type ProductVariantConnection {
    edges: [ProductVariantEdge!]!
    nodes: [ProductVariant!]!
    pageInfo: PageInfo!
  }

  type Product implements Node {
    id: ID!
    legacyResourceId: UnsignedInt64!
    title: String!
    handle: String!
    status: ProductStatus!
    vendor: String!
    productType: String!
    tags: [String!]!
    description: String!
    descriptionHtml: String!
    createdAt: DateTime!
    updatedAt: DateTime!
    publishedAt: DateTime
    onlineStoreUrl: URL
    totalInventory: Int!
    tracksInventory: Boolean!
    hasOnlyDefaultVariant: Boolean!
    variantsCount: Count
    featuredImage: Image
    images(first: Int, after: String, last: Int, before: String, reverse: Boolean): ImageConnection!
    variants(first: Int, after: String, last: Int, before: String, reverse: Boolean): ProductVariantConnection!
    options(first: Int): [ProductOption!]!
  }

  type ProductEdge {
    cursor: String!
    node: Product!
  }

  type ProductConnection {
    edges: [ProductEdge!]!
    nodes: [Product!]!
    pageInfo: PageInfo!
  }

  type Order implements Node {
    id: ID!
    name: String!
  }

  type QueryRoot {
    shop: Shop!
    currentAppInstallation: AppInstallation!
    node(id: ID!): Node
    nodes(ids: [ID!]!): [Node]!
    product(id: ID!): Product
    productByHandle(handle: String!): Product
    productVariant(id: ID!): ProductVariant
    products(
      first: Int
      after: String
      last: Int
      before: String
      reverse: Boolean
      sortKey: ProductSortKeys
      query: String
    ): ProductConnection!
    productsCount(query: String, limit: Int): Count
    productVariants(
      first: Int
      after: String
      last: Int
      before: String
      reverse: Boolean
      query: String
    ): ProductVariantConnection!
    "Orders live in Shopify, not in the demo's catalogue: the app must work from webhook payloads."
    order(id: ID!): Order
  }

  schema {
    query: QueryRoot
  }
`);
