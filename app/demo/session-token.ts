// Session tokens exactly as the Shopify admin mints them for an embedded app: HS256 JWTs signed
// with the app's API secret. Only the demo server (standing in for the admin) signs them.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

export interface SessionTokenClaims {
  iss: string;
  dest: string;
  aud: string;
  sub: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  sid: string;
  sig?: string;
}

const base64url = (input: Buffer | string) => Buffer.from(input).toString("base64url");

export function signJwt(payload: object, secret: string): string {
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = base64url(JSON.stringify(payload));
  const signature = createHmac("sha256", secret).update(`${header}.${body}`).digest("base64url");
  return `${header}.${body}.${signature}`;
}

export function signSessionToken(options: {
  shop: string;
  apiKey: string;
  apiSecret: string;
  sub: string;
  sid: string;
  ttlSeconds?: number;
  now?: number;
}): string {
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const claims: SessionTokenClaims = {
    iss: `https://${options.shop}/admin`,
    dest: `https://${options.shop}`,
    aud: options.apiKey,
    sub: options.sub,
    exp: now + (options.ttlSeconds ?? 60),
    nbf: now,
    iat: now,
    jti: randomUUID(),
    sid: options.sid,
  };
  return signJwt(claims, options.apiSecret);
}

/** Verifies signature, audience and lifetime (with Shopify's leeway of a few seconds). */
export function verifySessionToken(
  token: string,
  options: { apiKey: string; apiSecret: string; now?: number; leewaySeconds?: number },
): SessionTokenClaims {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("Malformed session token");
  const [header, body, signature] = parts;
  const expected = createHmac("sha256", options.apiSecret).update(`${header}.${body}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error("Bad session token signature");
  const { alg } = JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { alg?: string };
  if (alg !== "HS256") throw new Error(`Unexpected session token algorithm ${alg}`);
  const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as SessionTokenClaims;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const leeway = options.leewaySeconds ?? 5;
  if (claims.aud !== options.apiKey) throw new Error("Session token audience is not this app");
  if (claims.exp + leeway < now) throw new Error("Session token expired");
  if (claims.nbf - leeway > now) throw new Error("Session token not yet valid");
  return claims;
}
