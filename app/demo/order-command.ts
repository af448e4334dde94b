// What `npm run demo:order` does, importable by tests: parse the command line, then send signed
// orders/create webhooks to a running demo. Each --product/--variant starts a line item;
// --quantity applies to the line before it.
import { randomUUID } from "node:crypto";
import { DEMO_CUSTOMERS, DEMO_PRODUCTS, DEMO_SHOP, findDemoProduct, findDemoVariant, type DemoCustomer } from "./catalog";
import { buildOrderPayload, customerForEmail, signedWebhookHeaders, type OrderLineInput } from "./order-payload";

export const USAGE = `Usage: npm run demo:order -- [options]

  --product <id|handle>     a demo product (its first variant); repeat for more line items
  --variant <id>            a demo variant; repeat for more line items
  --quantity <n>            quantity of the line item before it (default 1)
  --customer-email <email>  the buyer (a demo customer's email, or any address); default: a demo customer
  --no-customer             an order without customer and email (like a draft order)
  --financial-status <s>    paid (default), pending or authorized
  --count <n>               fire n separate orders
  --duplicate               deliver each webhook twice (same event id), as Shopify's retries do
  --url <url>               the running demo (default http://localhost:$PORT or :3000)

Products:
${DEMO_PRODUCTS.map((p) => `  ${p.handle.padEnd(18)} ${String(p.id).padEnd(15)} ${p.title}\n${p.variants.map((v) => `  ${"".padEnd(18)}   variant ${v.id}  ${v.title} (${v.price})`).join("\n")}`).join("\n")}`;

export class UsageError extends Error {}

export interface OrderCommand {
  lines: OrderLineInput[];
  customer: DemoCustomer | null;
  financialStatus: "paid" | "pending" | "authorized";
  count: number;
  duplicate: boolean;
  url: string;
  help: boolean;
}

export function parseOrderArgs(argv: string[], env: Record<string, string | undefined> = process.env): OrderCommand {
  const command: OrderCommand = {
    lines: [],
    customer: DEMO_CUSTOMERS[Math.floor(Math.random() * DEMO_CUSTOMERS.length)],
    financialStatus: "paid",
    count: 1,
    duplicate: false,
    url: `http://localhost:${env.PORT ?? 3000}`,
    help: false,
  };
  let pendingQuantity: number | undefined;
  const value = (index: number, flag: string) => {
    const next = argv[index + 1];
    if (next === undefined || next.startsWith("--")) throw new UsageError(`${flag} needs a value.`);
    return next;
  };
  const positiveInt = (text: string, flag: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError(`${flag} must be a whole number from 1 to 1000, not "${text}".`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const take = () => {
      if (inline !== undefined) return inline;
      const v = value(i, flag);
      i++;
      return v;
    };
    switch (flag) {
      case "--product": {
        const text = take();
        const product = findDemoProduct(text);
        if (!product) throw new UsageError(`No demo product "${text}". Products: ${DEMO_PRODUCTS.map((p) => p.handle).join(", ")}.`);
        command.lines.push({ product, variant: product.variants[0], quantity: 1 });
        break;
      }
      case "--variant": {
        const text = take();
        const found = findDemoVariant(text);
        if (!found) throw new UsageError(`No demo variant "${text}". Run with --help for the list.`);
        command.lines.push({ ...found, quantity: 1 });
        break;
      }
      case "--quantity": {
        const quantity = positiveInt(take(), "--quantity");
        const last = command.lines[command.lines.length - 1];
        if (last) last.quantity = quantity;
        else pendingQuantity = quantity;
        break;
      }
      case "--customer-email": {
        const email = take();
        if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new UsageError(`"${email}" is not an email address.`);
        command.customer = customerForEmail(email);
        break;
      }
      case "--no-customer":
        command.customer = null;
        break;
      case "--financial-status": {
        const status = take();
        if (status !== "paid" && status !== "pending" && status !== "authorized") {
          throw new UsageError("--financial-status must be paid, pending or authorized.");
        }
        command.financialStatus = status;
        break;
      }
      case "--count":
        command.count = positiveInt(take(), "--count");
        break;
      case "--duplicate":
        command.duplicate = true;
        break;
      case "--url":
        command.url = take().replace(/\/$/, "");
        break;
      case "--help":
      case "-h":
        command.help = true;
        break;
      default:
        throw new UsageError(`Unknown option "${arg}".`);
    }
  }
  if (command.lines.length === 0) {
    const product = DEMO_PRODUCTS[0];
    command.lines.push({ product, variant: product.variants[0], quantity: pendingQuantity ?? 1 });
  }
  return command;
}

async function nextOrderNumber(url: string) {
  const response = await fetch(`${url}/demo/orders/next-number`, { method: "POST" });
  if (!response.ok) throw new Error(`${url} is not a Keyshelf demo (POST /demo/orders/next-number answered ${response.status}).`);
  return ((await response.json()) as { orderNumber: number }).orderNumber;
}

export async function fireOrder(command: OrderCommand, secret: string, log: (line: string) => void = console.log) {
  const results: Array<{ id: number; name: string; status: number; body: string }> = [];
  for (let n = 0; n < command.count; n++) {
    const orderNumber = await nextOrderNumber(command.url);
    const payload = buildOrderPayload({
      lines: command.lines,
      orderNumber,
      customer: command.customer,
      email: command.customer ? undefined : "",
      financialStatus: command.financialStatus,
    });
    const body = JSON.stringify(payload);
    const eventId = randomUUID();
    for (let attempt = 0; attempt < (command.duplicate ? 2 : 1); attempt++) {
      const headers = signedWebhookHeaders({ topic: "orders/create", shop: DEMO_SHOP, body, secret, eventId });
      const response = await fetch(`${command.url}/webhooks/orders/create`, { method: "POST", headers, body });
      const text = await response.text();
      const reason = response.ok
        ? ""
        : response.status === 404
          ? " (the app has no /webhooks/orders/create route)"
          : ` ${/^\s*</.test(text) ? response.statusText : text.slice(0, 200)}`;
      results.push({ id: payload.id, name: payload.name, status: response.status, body: text });
      const items = command.lines.map((l) => `${l.quantity} × ${l.variant.title === "Default Title" ? l.product.title : `${l.product.title} (${l.variant.title})`}`).join(", ");
      log(
        `Order ${payload.name} (id ${payload.id})${attempt ? " redelivered" : ""}: ${items}` +
          `${command.customer ? ` for ${command.customer.email}` : ", no customer"} -> HTTP ${response.status}${reason}`,
      );
    }
  }
  if (results.some((r) => r.status >= 200 && r.status < 300)) log(`See it in the admin: ${command.url}/apps/keyshelf/app/orders`);
  return results;
}
