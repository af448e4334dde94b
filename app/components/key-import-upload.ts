// Sends pasted keys or a key file to the import route with XMLHttpRequest rather than fetch: only
// XHR reports upload progress. The server reads the body as it arrives (straight into COPY), so the
// bytes sent are the keys read. App Bridge adds session tokens to fetch, not to XHR: the token is
// fetched from App Bridge and attached here.
import { useAppBridge } from "@shopify/app-bridge-react";
import { useCallback, useEffect, useRef, useState } from "react";
import type { ImportActionResult } from "~/lib/key-import-page";

export type UploadState =
  | { phase: "idle" }
  | { phase: "uploading"; loaded: number; total: number }
  | { phase: "checking" }
  | { phase: "failed"; errors: Record<string, string[]>; truncated: boolean };

const ACTION_URL = "/app/import?_data=routes%2Fapp.import";

function post(form: FormData, token: string, onProgress: (loaded: number, total: number) => void, onSent: () => void) {
  const xhr = new XMLHttpRequest();
  const done = new Promise<{ status: number; body: string; retry: boolean }>((resolve, reject) => {
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    };
    xhr.upload.onload = onSent;
    xhr.onload = () =>
      resolve({
        status: xhr.status,
        body: xhr.responseText,
        retry: xhr.getResponseHeader("X-Shopify-Retry-Invalid-Session-Request") === "1",
      });
    xhr.onerror = () => reject(new Error("network"));
    xhr.onabort = () => reject(new Error("aborted"));
  });
  xhr.open("POST", ACTION_URL);
  xhr.setRequestHeader("Authorization", `Bearer ${token}`);
  xhr.send(form);
  return { xhr, done };
}

export function useKeyUpload() {
  const shopify = useAppBridge();
  const [state, setState] = useState<UploadState>({ phase: "idle" });
  const current = useRef<XMLHttpRequest | null>(null);

  useEffect(() => () => current.current?.abort(), []);

  const upload = useCallback(
    async (form: FormData): Promise<ImportActionResult | null> => {
      setState({ phase: "uploading", loaded: 0, total: 1 });
      try {
        for (let attempt = 0; ; attempt++) {
          const token = await shopify.idToken();
          const request = post(
            form,
            token,
            (loaded, total) => setState({ phase: "uploading", loaded, total }),
            () => setState({ phase: "checking" }),
          );
          current.current = request.xhr;
          const response = await request.done;
          // An expired session token: App Bridge mints a fresh one; try once more.
          if (response.status === 401 && response.retry && attempt === 0) continue;
          let result: ImportActionResult | null = null;
          try {
            result = JSON.parse(response.body) as ImportActionResult;
          } catch {
            result = null;
          }
          if (result && result.ok) {
            setState({ phase: "idle" });
            return result;
          }
          setState({
            phase: "failed",
            errors: result?.errors ?? { form: [`The upload failed (HTTP ${response.status}). Nothing was saved; try again.`] },
            truncated: Boolean(result?.truncated),
          });
          return result;
        }
      } catch (error) {
        if ((error as Error).message === "aborted") {
          setState({ phase: "idle" });
          return null;
        }
        setState({
          phase: "failed",
          errors: { form: ["The connection dropped during the upload. Nothing was saved; try again."] },
          truncated: false,
        });
        return null;
      } finally {
        current.current = null;
      }
    },
    [shopify],
  );

  const cancel = useCallback(() => current.current?.abort(), []);
  const reset = useCallback(() => setState({ phase: "idle" }), []);
  return { state, upload, cancel, reset };
}
