// One export's state, polled by the Export button while it runs. Another shop's id is a 404.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { requireAdmin } from "~/admin.server";
import { type ExportPoll } from "~/lib/export";
import { getExport } from "~/models/export.server";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const jobId = Number(params.id);
  if (!Number.isSafeInteger(jobId) || jobId <= 0 || jobId > 2_147_483_647)
    throw new Response("Not found", { status: 404 });
  const view = await getExport({ shopId: shop.id, jobId });
  if (!view) throw new Response("Not found", { status: 404 });
  return json({ export: view } satisfies ExportPoll, { headers: { "Cache-Control": "no-store" } });
}
