// Every admin request body is read here, under the limit of its kind: forms are small and read
// whole; key uploads are large and streamed, part by part, through busboy. One mechanism for both:
// a declared Content-Length over the limit is refused before a byte is read, and the stream is
// counted as it arrives, so a body that lies about its length (or sends none) is cut off at the
// limit. Over the limit is a 413, a body that is not a form is a 400; nothing is buffered beyond it.
// Webhook bodies use the same reader with their own limit (app/webhooks.server.ts, 10 MB).
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import busboy from "busboy";

/** A form post: the largest is a product link of 250 products with their titles (about 150 KB). */
export const FORM_MAX_BYTES = 256 * 1024;

export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The request body is larger than ${Math.round(maxBytes / 1024)} KB.`);
  }
}

function tooLarge(maxBytes: number) {
  return new Response(new BodyTooLargeError(maxBytes).message, { status: 413 });
}

function declaredTooLarge(request: Request, maxBytes: number) {
  const declared = Number(request.headers.get("Content-Length") ?? NaN);
  return Number.isFinite(declared) && declared > maxBytes;
}

/**
 * The body's bytes, at most `maxBytes` of them; past that, the thrown `refusal` (a 413 saying the
 * limit, unless the caller words its own).
 */
export async function readLimited(
  request: Request,
  maxBytes: number,
  refusal: () => Response = () => tooLarge(maxBytes),
): Promise<Buffer> {
  if (declaredTooLarge(request, maxBytes)) throw refusal();
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw refusal();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * A form post (urlencoded or multipart without big files), read whole under `maxBytes`. Throws the
 * route's answer: 413 over the limit, 400 for a body that is not a form.
 */
export async function readForm(request: Request, maxBytes = FORM_MAX_BYTES): Promise<FormData> {
  const body = await readLimited(request, maxBytes);
  const contentType = request.headers.get("Content-Type") ?? "";
  try {
    return await new Response(new Uint8Array(body), { headers: { "Content-Type": contentType } }).formData();
  } catch {
    throw new Response("The request body is not a form.", { status: 400 });
  }
}

export interface StreamedPart {
  name: string;
  filename: string;
  contentType: string;
  data: AsyncIterable<Uint8Array>;
}

export interface StreamedFormLimits {
  /** Bytes in one file part; what is past it is discarded and the part reports `truncated`. */
  fileBytes: number;
  /** Bytes in one text field. */
  fieldBytes: number;
  /** Text fields and files at most (fields past them are refused). */
  fields: number;
  files: number;
}

/**
 * A multipart form with files, streamed: text fields arrive in `onField` in order, each file in
 * `onFile` as a stream that must be read (or left to drain). Resolves once every part was read and
 * every `onFile` settled. A body that is not multipart or breaks off is a 400; a field past its
 * limit a 413.
 */
export async function readStreamedForm(
  request: Request,
  limits: StreamedFormLimits,
  handlers: {
    onField(name: string, value: string): void;
    onFile(part: StreamedPart): Promise<void>;
  },
): Promise<void> {
  const contentType = request.headers.get("Content-Type") ?? "";
  const overall = limits.fileBytes * limits.files + limits.fieldBytes * limits.fields + 64 * 1024;
  if (declaredTooLarge(request, overall)) throw tooLarge(overall);
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": contentType },
      limits: {
        fileSize: limits.fileBytes,
        fieldSize: limits.fieldBytes,
        fields: limits.fields,
        files: limits.files,
        parts: limits.fields + limits.files,
      },
      defParamCharset: "utf8",
    });
  } catch {
    throw new Response("The request body is not a multipart form.", { status: 400 });
  }
  const work: Array<Promise<void>> = [];
  let refusal: Response | null = null;
  const done = new Promise<void>((resolve, reject) => {
    parser.on("field", (name, value, info) => {
      if (info.valueTruncated) refusal ??= new Response("A form field is too long.", { status: 413 });
      else handlers.onField(name, value);
    });
    parser.on("file", (name, stream, info) => {
      // After a refused field nothing of the form is acted on: its files are only drained.
      if (refusal) {
        stream.resume();
        return;
      }
      const part = { name, filename: info.filename ?? "", contentType: info.mimeType, data: stream };
      // Whatever onFile leaves unread is drained, so the parser can go on to the next part.
      work.push(
        handlers.onFile(part).finally(() => {
          stream.resume();
        }),
      );
    });
    parser.on("fieldsLimit", () => (refusal ??= new Response("The form has too many fields.", { status: 413 })));
    parser.on("filesLimit", () => (refusal ??= new Response("The form has too many files.", { status: 413 })));
    parser.on("partsLimit", () => (refusal ??= new Response("The form has too many parts.", { status: 413 })));
    parser.on("close", resolve);
    parser.on("error", () => reject(new Response("The request body is not a valid multipart form.", { status: 400 })));
  });
  const source = request.body ? Readable.fromWeb(request.body as WebReadableStream) : Readable.from([]);
  source.on("error", () => parser.destroy(new Error("The request body broke off.")));
  source.pipe(parser);
  try {
    await done;
  } catch (error) {
    await Promise.allSettled(work);
    throw error;
  }
  await Promise.all(work);
  if (refusal) throw refusal;
}
