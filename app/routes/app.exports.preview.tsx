// What the Export dialog needs before anything starts: how many keys the scope holds, whether they
// can be downloaded at once, where the email goes, and an export of the same scope already running.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { requireAdmin } from "~/admin.server";
import { DIRECT_DOWNLOAD_LIMIT, parseExportScope, type ExportPreview, type ExportScopeErrors } from "~/lib/export";
import { countExportRows, findExportTag } from "~/models/export.server";
import { isMailConfigured, reportAddress } from "~/models/mailer.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const parsed = parseExportScope(new URL(request.url).searchParams);
  if (!parsed.success) {
    return json({ errors: parsed.error.flatten().fieldErrors } satisfies ExportScopeErrors, { status: 422 });
  }
  const scope = parsed.data;
  if (scope.tagId !== null && !(await findExportTag({ shopId: shop.id, tagId: scope.tagId }))) {
    throw new Response("Not found", { status: 404 });
  }
  const count = await countExportRows({ shopId: shop.id, scope });
  return json(
    {
      count,
      directDownload: count <= DIRECT_DOWNLOAD_LIMIT,
      directDownloadLimit: DIRECT_DOWNLOAD_LIMIT,
      mailConfigured: isMailConfigured(),
      reportEmail: reportAddress(shop),
    } satisfies ExportPreview,
    { headers: { "Cache-Control": "no-store" } },
  );
}
