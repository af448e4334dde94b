// Products and variants linked to licence keys: list, link (resource picker), edit, remove.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { requireAdmin } from "~/admin.server";
import { readForm } from "~/request-body.server";
import { ProductLinksPage, type ProductLinkActionResult } from "~/components/ProductLinksPage";
import { linkItemSchema, parseLinkSettings } from "~/lib/product-links";
import { LibraryError } from "~/lib/library";
import { UNTAGGED_TAG } from "~/lib/tags";
import { listLowStockTags } from "~/models/low-stock.server";
import {
  linkProducts,
  listLinkableTags,
  listProductLinks,
  removeProductLink,
  updateProductLink,
} from "~/models/product-links.server";
import { idSchema } from "~/lib/input";

export const meta: MetaFunction = () => [{ title: "Products · Keyshelf" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const [links, tags, lowStock] = await Promise.all([
    listProductLinks({ shopId: shop.id }),
    listLinkableTags({ shopId: shop.id }),
    listLowStockTags({ shopId: shop.id }),
  ]);
  return json({
    links,
    tags: tags.map((tag) => ({
      id: tag.id,
      label: tag.kind === "UNTAGGED" ? `${UNTAGGED_TAG} (keys without a tag)` : tag.name,
      pending: tag.pendingCount,
    })),
    lowStock,
  });
}

const itemsSchema = z
  .array(linkItemSchema)
  .min(1, "Pick at least one product.")
  .max(250, "Link at most 250 products at a time.");

function answer(result: ProductLinkActionResult, status = 200) {
  return json(result, { status });
}

export async function action({ request }: ActionFunctionArgs) {
  const { shop, actor } = await requireAdmin(request);
  const form = await readForm(request);
  const intent = String(form.get("intent") ?? "");
  const linkId = () => {
    const parsed = idSchema.safeParse(form.get("linkId"));
    if (!parsed.success) throw new LibraryError("This product link no longer exists.", 404);
    return parsed.data;
  };
  try {
    switch (intent) {
      case "link": {
        let raw: unknown;
        try {
          raw = JSON.parse(String(form.get("items") ?? "[]"));
        } catch {
          raw = null;
        }
        const items = itemsSchema.safeParse(raw);
        if (!items.success) return answer({ ok: false, intent, errors: { form: items.error.issues[0].message } }, 422);
        const settings = parseLinkSettings(form);
        if (!settings.ok) return answer({ ok: false, intent, errors: settings.errors }, 422);
        const { linked } = await linkProducts({
          shopId: shop.id,
          actor,
          items: items.data,
          settings: settings.settings,
        });
        return answer({ ok: true, intent, message: linked === 1 ? "Product linked" : `${linked} products linked` });
      }
      case "update": {
        const id = linkId();
        const settings = parseLinkSettings(form);
        if (!settings.ok) return answer({ ok: false, intent, errors: settings.errors }, 422);
        await updateProductLink({ shopId: shop.id, actor, linkId: id, settings: settings.settings });
        return answer({ ok: true, intent, message: "Link saved" });
      }
      case "remove": {
        await removeProductLink({ shopId: shop.id, actor, linkId: linkId() });
        return answer({ ok: true, intent, message: "Link removed" });
      }
      default:
        return answer({ ok: false, intent, errors: { form: "Unknown action." } }, 400);
    }
  } catch (error) {
    if (error instanceof LibraryError)
      return answer({ ok: false, intent, errors: { [error.field ?? "form"]: error.message } }, error.status);
    throw error;
  }
}

export default function Products() {
  const data = useLoaderData<typeof loader>();
  return <ProductLinksPage links={data.links} tags={data.tags} lowStock={data.lowStock} />;
}
