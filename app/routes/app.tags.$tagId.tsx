// A tag's licence keys, and every action on them and on the tag. Previews are actions too (they read
// the selection the merchant made) but never revalidate the list.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import type { ShouldRevalidateFunction } from "@remix-run/react";
import { isRouteErrorResponse, useLoaderData, useRouteError } from "@remix-run/react";
import { Card, EmptyState, Page } from "@shopify/polaris";
import { boundary } from "@shopify/shopify-app-remix/server";
import { requireAdmin } from "~/admin.server";
import { readForm } from "~/request-body.server";
import { TagKeysPage } from "~/components/TagKeysPage";
import { formatCount, LibraryError, parseKeyListParams, parseKeySelection, pluralize } from "~/lib/library";
import type { TagActionResult, TagKeysLoaderData } from "~/lib/tag-keys";
import {
  addTagsToKeys,
  deleteKey,
  deleteKeys,
  listKeys,
  moveKeys,
  previewKeyDelete,
  previewKeySelection,
  type KeyPage,
} from "~/models/keys.server";
import { daysLeft, tagHistory } from "~/models/low-stock.server";
import {
  cleanUpDuplicates,
  deleteTag,
  getTag,
  listTagOptions,
  previewDuplicateCleanup,
  previewTagDelete,
  renameTag,
} from "~/models/tags.server";
import { parseId, requireId } from "~/lib/input";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.tag.name} · Licence keys · Keyshelf` : "Licence keys · Keyshelf" },
];

const EMPTY_KEY_PAGE: KeyPage = { keys: [], matches: 0, matchesCapped: false, previousCursor: null, nextCursor: null };

function notFound(error: unknown): never {
  if (error instanceof LibraryError && error.status === 404) throw new Response(error.message, { status: 404 });
  throw error;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const tagId = requireId(params.tagId);
  const list = parseKeyListParams(new URL(request.url).searchParams);
  const [page, options, history] = await Promise.all([
    // A search the app will not run lists nothing (so no bulk action can reach beyond what is shown):
    // the field shows why, and the answer is a 400.
    (list.searchError
      ? getTag({ shopId: shop.id, tagId }).then((tag) => ({ tag, ...EMPTY_KEY_PAGE }))
      : listKeys({ shopId: shop.id, tagId, ...list })
    ).catch(notFound),
    listTagOptions({ shopId: shop.id }),
    tagHistory({ shopId: shop.id, tagId, timeZone: shop.ianaTimezone }),
  ]);
  const { tag, ...keys } = page;
  return json({
    tag: {
      id: tag.id,
      name: tag.name,
      kind: tag.kind,
      pending: tag.pendingCount,
      assigned: tag.assignedCount,
      used: tag.usedCount,
      retired: tag.retiredCount,
      lastAddedAt: tag.lastAddedAt?.toISOString() ?? null,
      lowStockThreshold: tag.lowStockThreshold,
    },
    // Generated keys never run out: their tag has no stock to chart or forecast.
    history:
      tag.kind === "AUTO_GENERATED"
        ? null
        : { ...history, daysLeft: daysLeft(tag.pendingCount, history.perDay ?? undefined) },
    ...keys,
    keys: keys.keys.map((key) => ({ ...key, createdAt: key.createdAt.toISOString() })),
    params: list,
    timeZone: shop.ianaTimezone,
    // Keys can only be put into the merchant's own tags.
    tagOptions: options
      .filter((option) => option.kind === "USER" && option.id !== tag.id)
      .map(({ id, name }) => ({ id, name })),
  } satisfies TagKeysLoaderData, { status: list.searchError ? 400 : 200 });
}

function answer(result: TagActionResult, status = 200) {
  return json(result, { status });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { shop, actor } = await requireAdmin(request);
  const shopId = shop.id;
  const tagId = requireId(params.tagId);
  const form = await readForm(request);
  const intent = String(form.get("intent") ?? "");

  const selection = () => {
    const parsed = parseKeySelection(form);
    if (!parsed.success) throw new LibraryError(parsed.error.issues[0].message, 422, "selection");
    return parsed.data;
  };
  const formId = (name: string) => {
    const id = parseId(form.get(name));
    if (id === null) throw new LibraryError("Pick a tag.", 422, name);
    return id;
  };

  try {
    // Every intent starts from this shop's tag: another shop's tag id is a 404 before anything else.
    const tag = await getTag({ shopId, tagId });
    switch (intent) {
      case "preview-key": {
        const key = await previewKeyDelete({ shopId, keyId: requireId(form.get("keyId")) });
        return answer({ intent, ok: true, preview: { value: key.value, orderName: key.order?.name ?? null } });
      }
      case "delete-key": {
        const gone = await deleteKey({ shopId, keyId: requireId(form.get("keyId")), actor });
        return answer({ intent, ok: true, message: `Licence key ${gone.value} deleted` });
      }
      case "preview-selection": {
        const preview = await previewKeySelection({ shopId, tagId, selection: selection() });
        return answer({ intent, ok: true, preview: { ...preview } });
      }
      case "delete-keys": {
        const { deleted } = await deleteKeys({ shopId, tagId, selection: selection(), actor });
        return answer({
          intent,
          ok: true,
          message: `${pluralize(deleted, "licence key")} deleted`,
        });
      }
      case "move-keys": {
        const result = await moveKeys({
          shopId,
          tagId,
          selection: selection(),
          destinationTagId: formId("destination"),
          actor,
        });
        return answer({
          intent,
          ok: true,
          message: `${pluralize(result.moved, "licence key")} moved to ${result.destination.name}`,
        });
      }
      case "add-tags": {
        const tagIds = form.getAll("tagId").map((value) => requireId(value));
        const newTagNames = form.getAll("newTag").map(String);
        const result = await addTagsToKeys({ shopId, tagId, selection: selection(), tagIds, newTagNames, actor });
        return answer({
          intent,
          ok: true,
          message: `Tags added to ${pluralize(result.keys, "licence key")}`,
        });
      }
      case "rename": {
        const renamed = await renameTag({ shopId, tagId, name: String(form.get("name") ?? ""), actor });
        return answer({ intent, ok: true, message: `Tag renamed to ${renamed.name}` });
      }
      case "preview-delete-tag": {
        const preview = await previewTagDelete({ shopId, tagId });
        return answer({ intent, ok: true, preview: { ...preview, tag: undefined } });
      }
      case "delete-tag": {
        const result = await deleteTag({ shopId, tagId, actor });
        return answer({
          intent,
          ok: true,
          message: `Tag ${tag.name} and ${result.keys === 1 ? "its licence key" : `its ${formatCount(result.keys)} licence keys`} deleted`,
          redirectTo: "/app",
        });
      }
      case "preview-duplicates": {
        const preview = await previewDuplicateCleanup({ shopId, tagId });
        return answer({ intent, ok: true, preview: { ...preview, tag: undefined } });
      }
      case "clean-up-duplicates": {
        const result = await cleanUpDuplicates({ shopId, tagId, actor });
        return answer({
          intent,
          ok: true,
          message:
            result.removed === 0 ? "No duplicates to remove" : `${pluralize(result.removed, "duplicate")} removed`,
        });
      }
      default:
        return answer({ intent, ok: false, error: "Unknown action." }, 400);
    }
  } catch (error) {
    if (error instanceof LibraryError) {
      return answer({ intent, ok: false, error: error.message, field: error.field }, error.status);
    }
    if (error instanceof Response) throw error;
    throw error;
  }
}

// Previews read; only a change refreshes the list (and the tag's counts).
// A deleted tag is not reloaded either: the page moves on to the overview instead of a 404.
export const shouldRevalidate: ShouldRevalidateFunction = ({ formData, actionResult, defaultShouldRevalidate }) => {
  const intent = formData?.get("intent");
  if (typeof intent === "string" && intent.startsWith("preview-")) return false;
  if (intent === "delete-tag" && (actionResult as TagActionResult | undefined)?.ok) return false;
  return defaultShouldRevalidate;
};

export default function TagKeys() {
  const data = useLoaderData<typeof loader>();
  return <TagKeysPage key={data.tag.id} data={data} />;
}

// A tag that is gone (deleted, or never this shop's) gets a way back instead of an error page.
export function ErrorBoundary() {
  const error = useRouteError();
  if (isRouteErrorResponse(error) && error.status === 404) {
    return (
      <Page title="Tag not found" backAction={{ content: "Licence keys", url: "/app" }}>
        <Card>
          <EmptyState
            heading="This tag doesn't exist"
            action={{ content: "Back to licence keys", url: "/app" }}
            image=""
          >
            <p>It may have been deleted, or the link is wrong.</p>
          </EmptyState>
        </Card>
      </Page>
    );
  }
  return boundary.error(error);
}
