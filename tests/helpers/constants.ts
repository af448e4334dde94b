export const TEST_API_KEY = "keyshelf-test-api-key";
export const TEST_API_SECRET = "keyshelf-test-api-secret";
export const TEST_APP_URL = "https://keyshelf.test";
export const TEST_SHOP = "alpha-test.myshopify.com";
export const OTHER_SHOP = "bravo-test.myshopify.com";
