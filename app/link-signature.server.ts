// Links that carry their own credential (an export download, a delivery email's keys): an
// HMAC-SHA256 under the app's secret over what the link names, compared in constant time. Each kind
// of link prefixes its message with its own purpose, so one kind's signature never opens another.
import { createHmac, timingSafeEqual } from "node:crypto";
import { config } from "./config.server";

/** The signature part of a link (43 base64url characters). */
export function signLink(message: string) {
  return createHmac("sha256", config.apiSecret).update(message).digest("base64url");
}

/** Whether `given` is the signature of `message`. */
export function linkSignatureMatches(message: string, given: string) {
  const expected = Buffer.from(signLink(message));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
