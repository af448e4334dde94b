// Client-side helpers of the licence key library screens: search-as-you-type kept in the URL, and
// feedback through App Bridge toasts.
import { useNavigation, useSearchParams } from "@remix-run/react";
import { useAppBridge } from "@shopify/app-bridge-react";
import { useCallback, useEffect, useRef, useState } from "react";

export const SEARCH_DEBOUNCE_MS = 300;

/**
 * Search text that follows typing at once and reaches the URL (so refresh and back keep it) after a
 * pause. Changing the search drops the listed params (page, cursors): page 3 of old results means
 * nothing for new ones.
 */
export function useUrlSearch(param: string, resetParams: string[]) {
  const [searchParams, setSearchParams] = useSearchParams();
  const urlValue = searchParams.get(param) ?? "";
  const [value, setValue] = useState(urlValue);
  const lastPushed = useRef(urlValue);

  // Back/forward or a link changed the URL: show what it says.
  useEffect(() => {
    if (urlValue !== lastPushed.current) {
      lastPushed.current = urlValue;
      setValue(urlValue);
    }
  }, [urlValue]);

  useEffect(() => {
    if (value === lastPushed.current) return;
    const timer = setTimeout(() => {
      lastPushed.current = value;
      setSearchParams(
        (previous) => {
          const next = new URLSearchParams(previous);
          if (value) next.set(param, value);
          else next.delete(param);
          for (const name of resetParams) next.delete(name);
          return next;
        },
        { replace: true, preventScrollReset: true },
      );
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
    // resetParams is a literal at every call site.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value, param, setSearchParams]);

  return [value, setValue] as const;
}

/** Replaces some URL params (sort, page, filter) and drops others, keeping the rest. */
export function useUrlParams() {
  const [searchParams, setSearchParams] = useSearchParams();
  const update = useCallback(
    (changes: Record<string, string | null>, { replace = false } = {}) => {
      setSearchParams(
        (previous) => {
          const next = new URLSearchParams(previous);
          for (const [name, value] of Object.entries(changes)) {
            if (value === null || value === "") next.delete(name);
            else next.set(name, value);
          }
          return next;
        },
        { replace, preventScrollReset: true },
      );
    },
    [setSearchParams],
  );
  return [searchParams, update] as const;
}

/** True while the page's own data reloads (search, sort, paging), not while leaving for another page. */
export function useListLoading() {
  const navigation = useNavigation();
  if (navigation.state !== "loading" || !navigation.location) return false;
  return typeof window !== "undefined" && navigation.location.pathname === window.location.pathname;
}

export function useToast() {
  const shopify = useAppBridge();
  return useCallback(
    (message: string, { isError = false } = {}) => {
      shopify.toast.show(message, { isError, duration: isError ? 8000 : 5000 });
    },
    [shopify],
  );
}

/** Copies text; the admin's iframe may refuse the async clipboard, so a selection copy backs it up. */
export async function copyText(text: string) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}
