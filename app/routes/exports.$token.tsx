// A finished export behind a signed, expiring link (from the admin or an email). No session: the
// HMAC signature over shop, export and expiry is the credential, checked before anything is read.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { openExportByToken } from "~/models/export-files.server";

const REFUSALS = {
  invalid: {
    status: 404,
    text: "This download link is not valid. Open Keyshelf in your Shopify admin to download your export.",
  },
  expired: {
    status: 410,
    text: "This download link has expired. Open Keyshelf in your Shopify admin for a new link, or start a new export.",
  },
  gone: {
    status: 410,
    text: "This export is no longer available (exports are kept for 7 days). Start a new export in Keyshelf.",
  },
} as const;

export async function loader({ params }: LoaderFunctionArgs) {
  const check = await openExportByToken(params.token ?? "");
  if (!check.ok) {
    const refusal = REFUSALS[check.reason];
    return new Response(refusal.text, {
      status: refusal.status,
      headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
    });
  }
  const file = check.export;
  return new Response(createReadableStreamFromReadable(file.stream()), {
    headers: {
      "Content-Type": file.contentType,
      "Content-Length": String(file.bytes),
      "Content-Disposition": `attachment; filename="${file.fileName}"`,
      "Cache-Control": "private, no-store",
      "X-Content-Type-Options": "nosniff",
      // The token is in the URL: keep it out of Referer headers.
      "Referrer-Policy": "no-referrer",
    },
  });
}
