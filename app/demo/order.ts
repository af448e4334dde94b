// `npm run demo:order`: a customer buys demo products. Sends a correctly signed orders/create webhook
// (shaped like Shopify's) to the running demo's real webhook route and prints what happened.
//
//   npm run demo:order                                       one unit of the first product
//   npm run demo:order -- --product codevault-ide --quantity 2
//   npm run demo:order -- --variant 4510000000012 --product stellar-quest --quantity 3
//   npm run demo:order -- --customer-email ada@example.com --count 5
import { fireOrder, parseOrderArgs, USAGE, UsageError, type OrderCommand } from "./order-command";

async function main() {
  let command: OrderCommand;
  try {
    command = parseOrderArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    throw error;
  }
  if (command.help) {
    console.log(USAGE);
    return;
  }
  if (process.env.NODE_ENV === "production") {
    console.error("demo:order refuses NODE_ENV=production: it forges webhooks with the demo's secret.");
    process.exit(1);
  }
  // The same secret the demo signs with: its documented default unless SHOPIFY_API_SECRET is set.
  process.env.KEYSHELF_DEMO = "1";
  const { DEMO_DEFAULTS } = await import("~/config.server");
  const secret = process.env.SHOPIFY_API_SECRET || DEMO_DEFAULTS.apiSecret;
  try {
    const results = await fireOrder(command, secret);
    if (results.some((r) => r.status < 200 || r.status >= 300)) process.exit(1);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    if (cause?.code === "ECONNREFUSED" || cause?.code === "ENOTFOUND") {
      console.error(`The demo is not running at ${command.url}. Start it with: npm run demo`);
    } else {
      console.error((error as Error).message);
    }
    process.exit(1);
  }
}

await main();
