// "Download now": the CSV of a small list streamed in the response, no background job. Larger lists
// are refused with 413 and go through a background export (the dialog offers only that for them).
import type { LoaderFunctionArgs } from "@remix-run/node";
import { createReadableStreamFromReadable, json } from "@remix-run/node";
import { requireAdmin } from "~/admin.server";
import { CSV_CONTENT_TYPE, csvFileName } from "~/lib/csv";
import { DIRECT_DOWNLOAD_LIMIT, formatCount, parseExportScope } from "~/lib/export";
import { countExportRows, findExportTag, streamExportCsv } from "~/models/export.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const parsed = parseExportScope(new URL(request.url).searchParams);
  if (!parsed.success) return json({ errors: parsed.error.flatten().fieldErrors }, { status: 422 });
  const scope = parsed.data;
  const tag = scope.tagId === null ? null : await findExportTag({ shopId: shop.id, tagId: scope.tagId });
  if (scope.tagId !== null && !tag) throw new Response("Not found", { status: 404 });

  const count = await countExportRows({ shopId: shop.id, scope });
  if (count > DIRECT_DOWNLOAD_LIMIT) {
    return json(
      {
        error: `This list has ${formatCount(count)} licence keys: export it in the background (up to ${formatCount(DIRECT_DOWNLOAD_LIMIT)} download at once).`,
      },
      { status: 413 },
    );
  }
  const fileName = csvFileName(["keyshelf", tag?.name ?? "all-licence-keys", scope.status ?? ""]);
  const body = streamExportCsv({ shopId: shop.id, scope, timeZone: shop.ianaTimezone, expectedRows: count });
  return new Response(createReadableStreamFromReadable(body), {
    headers: {
      "Content-Type": CSV_CONTENT_TYPE,
      "Content-Disposition": `attachment; filename="${fileName}"`,
      "Cache-Control": "private, no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
