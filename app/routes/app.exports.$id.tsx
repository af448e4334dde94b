// One export's state, polled by the Export button while it runs. Another shop's id is a 404.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { requireAdmin } from "~/admin.server";
import { type ExportPoll } from "~/lib/export";
import { getExport } from "~/models/export.server";
import { requireId } from "~/lib/input";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const jobId = requireId(params.id);
  const view = await getExport({ shopId: shop.id, jobId });
  if (!view) throw new Response("Not found", { status: 404 });
  return json({ export: view } satisfies ExportPoll, { headers: { "Cache-Control": "no-store" } });
}
