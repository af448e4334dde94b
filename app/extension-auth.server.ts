// The first line of every endpoint a customer-facing extension calls: the session token verified by
// shopify-app-remix, the shop it names, and the CORS wrapper for the answer.
import { config } from "./config.server";
import { customerIdFromSub, shopFromDest } from "./lib/extension-requests";
import { isExtensionToken } from "./lib/session-tokens";
import { authenticate } from "./shopify.server";

type Authenticator = typeof authenticate.public.customerAccount | typeof authenticate.public.checkout;

export interface ExtensionContext {
  /** The shop's myshopify domain, from the token's `dest`. */
  shop: string;
  /** The signed-in customer's numeric id (`sub`), or null. */
  customerId: bigint | null;
  cors: (response: Response) => Response;
}

// The library throws its 401 (and 410 for bots) without CORS headers, so a browser extension would
// only see an opaque network error; the extension needs the status to tell "refresh the token" apart.
function withCors(request: Request, response: Response) {
  if (request.headers.get("Origin") && !response.headers.has("Access-Control-Allow-Origin")) {
    const headers = new Headers(response.headers);
    headers.set("Access-Control-Allow-Origin", "*");
    headers.set("Access-Control-Allow-Headers", "Authorization, Content-Type");
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
  return response;
}

function unauthorized(request: Request): Response {
  return withCors(request, new Response(undefined, { status: 401, statusText: "Unauthorized" }));
}

async function authenticateExtension(request: Request, authenticator: Authenticator): Promise<ExtensionContext> {
  let context: Awaited<ReturnType<Authenticator>>;
  try {
    context = await authenticator(request);
  } catch (thrown) {
    if (thrown instanceof Response) throw withCors(request, thrown);
    throw thrown;
  }
  const { sessionToken, cors } = context;
  // The library skips the audience check for extension tokens; a token for another app of the same
  // partner would otherwise pass if it ever shared a secret.
  if (sessionToken.aud !== config.apiKey) throw unauthorized(request);
  // An admin token (same secret, same signature) never opens a customer's keys.
  if (!isExtensionToken({ ...sessionToken })) throw unauthorized(request);
  const shop = shopFromDest(sessionToken.dest);
  if (!shop) throw unauthorized(request);
  return { shop, customerId: customerIdFromSub(sessionToken.sub), cors };
}

export function requireCustomerAccount(request: Request) {
  return authenticateExtension(request, authenticate.public.customerAccount);
}

export function requireCheckout(request: Request) {
  return authenticateExtension(request, authenticate.public.checkout);
}

/** JSON for an extension: never cached (keys change state when first seen), CORS applied. */
export function extensionJson(context: Pick<ExtensionContext, "cors">, body: unknown, status = 200) {
  return context.cors(
    new Response(JSON.stringify(body), {
      status,
      headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" },
    }),
  );
}

/** Preflight (OPTIONS) is answered inside authenticate; any other non-GET method gets 405. */
export async function rejectNonGet(request: Request, authenticator: "customerAccount" | "checkout") {
  const context =
    authenticator === "customerAccount" ? await requireCustomerAccount(request) : await requireCheckout(request);
  return context.cors(new Response(undefined, { status: 405, headers: { Allow: "GET, OPTIONS" } }));
}
