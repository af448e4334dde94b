// Adding licence keys: paste or upload, pick the destination, preview, import.
// The upload streams from the request body through the parser into COPY (see key-import.server.ts);
// the preview lives at ?batch=<id> so a refresh keeps it.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { isRouteErrorResponse, useLoaderData, useRouteError } from "@remix-run/react";
import { Banner, Page } from "@shopify/polaris";
import { boundary } from "@shopify/shopify-app-remix/server";
import { z } from "zod";
import { requireAdmin } from "~/admin.server";
import { readForm, readStreamedForm } from "~/request-body.server";
import { KeyImportPage } from "~/components/KeyImportPage";
import type { ImportActionResult, KeyImportLoaderData } from "~/lib/key-import-page";
import { LibraryError } from "~/lib/library";
import { UNTAGGED_TAG } from "~/lib/tags";
import {
  commitKeyImport,
  discardKeyImport,
  getKeyImportPreview,
  IMPORT_LIMITS,
  IMPORT_MAX_BYTES,
  stageKeyImport,
  tooLargeMessage,
  type StageResult,
} from "~/models/key-import.server";
import { listTagOptions } from "~/models/tags.server";
import { idSchema } from "~/lib/input";

export const meta: MetaFunction = () => [{ title: "Add licence keys · Keyshelf" }];

const commitSchema = z.object({
  batchId: idSchema,
  duplicates: z.enum(["skip", "keep"], { errorMap: () => ({ message: "Choose whether to skip or keep duplicates." }) }),
});
// Multipart framing around the file: boundaries, headers and the small fields.
const MULTIPART_SLACK_BYTES = 64 * 1024;
const MAX_FIELD_BYTES = 4 * 1024;

function answer(result: ImportActionResult, status = 200) {
  return json(result, { status });
}

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const url = new URL(request.url);
  const options = await listTagOptions({ shopId: shop.id });
  const tagNames = options.filter((option) => option.kind === "USER").map((option) => option.name);
  // From a tag's page: that tag is the destination. "No tag" means none.
  const fromTag = url.searchParams.get("tag");
  const initialTags = fromTag && tagNames.includes(fromTag) ? [fromTag] : [];
  let preview = null;
  const batch = url.searchParams.get("batch");
  if (batch !== null) {
    const parsed = idSchema.safeParse(batch);
    if (!parsed.success) throw new Response("Not found", { status: 404 });
    preview = await getKeyImportPreview({ shopId: shop.id, batchId: parsed.data }).catch((error: unknown) => {
      if (error instanceof LibraryError && error.status === 404) throw new Response(error.message, { status: 404 });
      throw error;
    });
  }
  const tagIds = Object.fromEntries(options.map((option) => [option.name, option.id]));
  return json({
    tagNames,
    tagIds,
    initialTags,
    preview: preview && {
      ...preview,
      createdAt: preview.createdAt.toISOString(),
      committedAt: preview.committedAt?.toISOString() ?? null,
    },
    limits: IMPORT_LIMITS,
    untaggedName: UNTAGGED_TAG,
  } satisfies KeyImportLoaderData);
}


interface ReadForm {
  fields: Map<string, string[]>;
  /** What became of the file part (only read when the intent is "upload"). */
  upload: StageResult | ImportActionResult | null;
}

/**
 * The form, with the file part (if any) staged as it streams: fields come first (intent, source,
 * tags), then the file. Other forms are small and read whole. Both under app/request-body.server.ts.
 */
async function readImportForm(request: Request, shopId: number): Promise<ReadForm | Response> {
  const fields = new Map<string, string[]>();
  if (!(request.headers.get("Content-Type") ?? "").startsWith("multipart/form-data")) {
    const form = await readForm(request);
    for (const [name, value] of form) fields.set(name, [...(fields.get(name) ?? []), String(value)]);
    return { fields, upload: null };
  }
  if (Number(request.headers.get("Content-Length") ?? NaN) > IMPORT_MAX_BYTES + MULTIPART_SLACK_BYTES) {
    return answer({ intent: "upload", ok: false, errors: { file: [tooLargeMessage()] } }, 413);
  }
  let upload: ReadForm["upload"] = null;
  await readStreamedForm(
    request,
    // One byte past the limit reaches the stage, which tells the merchant the file is too large.
    { fileBytes: IMPORT_MAX_BYTES + 1, fieldBytes: MAX_FIELD_BYTES, fields: 20, files: 1 },
    {
      onField(name, value) {
        fields.set(name, [...(fields.get(name) ?? []), value]);
      },
      async onFile({ name, filename, contentType, data }) {
        if (name !== "file" || upload || fields.get("intent")?.[0] !== "upload") return;
        try {
          upload = await stageKeyImport({
            shopId,
            source: fields.get("source")?.[0] === "paste" ? "paste" : "file",
            fileName: filename,
            contentType,
            tagNames: (fields.get("tags") ?? []).flatMap((value) => value.split(",")),
            body: data,
          });
        } catch (error) {
          if (!(error instanceof LibraryError)) throw error;
          upload = { intent: "upload", ok: false, errors: { [error.field ?? "form"]: [error.message] } };
        }
      },
    },
  );
  return { fields, upload };
}

function uploadAnswer(upload: ReadForm["upload"]) {
  const intent = "upload";
  if (!upload) return answer({ intent, ok: false, errors: { file: ["Paste licence keys or choose a file."] } }, 422);
  if ("intent" in upload) return answer(upload, 422);
  if (upload.ok) return answer({ intent, ok: true, batchId: upload.batchId });
  switch (upload.reason) {
    case "too-large":
      return answer({ intent, ok: false, errors: { file: [tooLargeMessage(upload.maxBytes)] } }, 413);
    case "empty":
      return answer({ intent, ok: false, errors: { file: ["There are no licence keys in it: every line is blank."] } }, 422);
    case "invalid":
      return answer(
        { intent, ok: false, errors: { file: upload.issues.map((issue) => issue.message) }, truncated: upload.truncated },
        422,
      );
  }
}

export async function action({ request }: ActionFunctionArgs) {
  const { shop, actor } = await requireAdmin(request);
  const shopId = shop.id;
  const form = await readImportForm(request, shopId);
  if (form instanceof Response) return form;
  const field = (name: string) => form.fields.get(name)?.[0] ?? null;
  const intent = field("intent") ?? "";
  try {
    switch (intent) {
      case "upload":
        return uploadAnswer(form.upload);
      case "commit": {
        const parsed = commitSchema.safeParse({ batchId: field("batchId"), duplicates: field("duplicates") });
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          if (issue.path[0] === "batchId") throw new Response("Not found", { status: 404 });
          return answer({ intent, ok: false, errors: { duplicates: [issue.message] } }, 422);
        }
        const result = await commitKeyImport({ shopId, ...parsed.data, actor });
        return answer({
          intent,
          ok: true,
          batchId: result.batchId,
          imported: result.imported,
          skipped: result.skipped,
          tags: result.tags,
          ordersFilled: result.filled.ordersFilled,
        });
      }
      case "discard": {
        const parsed = idSchema.safeParse(field("batchId"));
        if (!parsed.success) throw new Response("Not found", { status: 404 });
        await discardKeyImport({ shopId, batchId: parsed.data });
        return answer({ intent, ok: true });
      }
      default:
        return answer({ intent, ok: false, errors: { form: [`Unknown action "${intent}".`] } }, 400);
    }
  } catch (error) {
    if (error instanceof LibraryError) {
      if (error.status === 404) throw new Response(error.message, { status: 404 });
      return answer({ intent, ok: false, errors: { [error.field ?? "form"]: [error.message] } }, error.status);
    }
    throw error;
  }
}

export default function AddKeys() {
  const data = useLoaderData<typeof loader>();
  return <KeyImportPage data={data} />;
}

// An upload that is gone (imported, cancelled, expired, or never this shop's) gets a way back.
export function ErrorBoundary() {
  const error = useRouteError();
  if (isRouteErrorResponse(error) && error.status === 404) {
    return (
      <Page title="Add licence keys" backAction={{ content: "Licence keys", url: "/app" }}>
        <Banner
          tone="warning"
          title="This upload no longer exists"
          action={{ content: "Add keys again", url: "/app/import" }}
        >
          <p>It was imported, cancelled or expired after a day. Nothing from it was saved unless it was imported.</p>
        </Banner>
      </Page>
    );
  }
  return boundary.error(error);
}
