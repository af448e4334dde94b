// The page that stands in for the Shopify admin around the embedded app: top bar, sidebar with the
// app's nav menu, title bar, toasts, and the app in an iframe. Its behaviour is in assets/admin.js.
import type { DemoPage } from "./pages";

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** JSON inside a <script> element: no way to close the element from the data. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

const ADMIN_SECTIONS: Array<{ label: string; icon: string }> = [
  { label: "Home", icon: "M3 10.5 10 4l7 6.5V17h-5v-4H8v4H3z" },
  { label: "Orders", icon: "M4 4h12l-1 12H5zM7 4a3 3 0 0 1 6 0" },
  { label: "Products", icon: "M3 7l7-4 7 4v7l-7 4-7-4zM3 7l7 4 7-4M10 11v7" },
  { label: "Customers", icon: "M10 10a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM4 17a6 6 0 0 1 12 0" },
  { label: "Marketing", icon: "M4 8v4h3l6 4V4L7 8z" },
  { label: "Discounts", icon: "M10 3l7 7-7 7-7-7V3zM7 7h.01" },
  { label: "Content", icon: "M4 4h12v12H4zM4 9h12" },
  { label: "Analytics", icon: "M4 16V9M10 16V4M16 16v-5" },
];

export const APP_ICON_SVG =
  '<svg viewBox="0 0 20 20" aria-hidden="true"><rect width="20" height="20" rx="5" fill="#2c6ecb"/>' +
  '<path d="M12.5 4.5a3 3 0 0 0-2.8 4.1L5 13.3V15.5h2.2v-1.3h1.3v-1.3h1.3l1-1a3 3 0 1 0 1.7-7.4zm.7 2.1a.9.9 0 1 1 0 1.8.9.9 0 0 1 0-1.8z" fill="#fff"/></svg>';

function icon(path: string) {
  return `<svg viewBox="0 0 20 20" aria-hidden="true"><path d="${path}" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linejoin="round" stroke-linecap="round"/></svg>`;
}

export function renderAdminFrame(options: {
  shop: string;
  shopName: string;
  appName: string;
  appHandle: string;
  appPath: string;
  iframeSrc: string;
  pages: DemoPage[];
  bootstrap: Record<string, unknown>;
}) {
  const { shop, shopName, appName, appHandle, pages } = options;
  const initials = shopName
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word[0]!.toUpperCase())
    .join("");
  const adminItems = ADMIN_SECTIONS.map(
    (s) => `<li><button type="button" class="nav-item admin-only" data-admin="${escapeHtml(s.label)}">${icon(s.icon)}<span>${escapeHtml(s.label)}</span></button></li>`,
  ).join("");
  const demoItems = pages
    .map(
      (p) =>
        `<li><a class="nav-item" href="${escapeHtml(p.path)}" target="_blank" rel="noopener" title="${escapeHtml(p.description)}">${icon("M5 5h10v10H5zM8 9h4M8 12h4")}<span>${escapeHtml(p.label)}</span></a></li>`,
    )
    .join("");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(appName)} · ${escapeHtml(shopName)} · Shopify (demo)</title>
<link rel="icon" href="data:image/svg+xml,${encodeURIComponent(APP_ICON_SVG.replace(' aria-hidden="true"', ' xmlns="http://www.w3.org/2000/svg"'))}">
<link rel="stylesheet" href="/demo/admin.css">
<script>
  // The app's iframe may talk before admin.js has loaded: keep its messages until then.
  window.__keyshelfDemoQueue = [];
  addEventListener("message", function (event) { if (window.__keyshelfDemoQueue) window.__keyshelfDemoQueue.push(event); });
</script>
</head>
<body>
<div id="loading-bar" role="progressbar" aria-hidden="true"></div>
<header class="topbar">
  <div class="brand">
    <svg viewBox="0 0 20 20" aria-hidden="true"><path d="M6 6.5V6a4 4 0 0 1 8 0v.5h2.2l.8 11.5H3l.8-11.5zm1.6 0h4.8V6a2.4 2.4 0 0 0-4.8 0z" fill="#95bf47"/></svg>
    <span class="wordmark">shopify</span><span class="demo-badge" title="A stand-in for the Shopify admin: everything runs on this machine">Offline demo</span>
  </div>
  <div class="search" aria-hidden="true"><svg viewBox="0 0 20 20"><circle cx="9" cy="9" r="5" fill="none" stroke="currentColor" stroke-width="1.6"/><path d="m13 13 4 4" stroke="currentColor" stroke-width="1.6"/></svg><span>Search</span><kbd>Ctrl K</kbd></div>
  <div class="savebar" id="savebar" hidden>
    <span class="savebar-message"><svg viewBox="0 0 20 20" aria-hidden="true"><circle cx="10" cy="10" r="7" fill="none" stroke="currentColor" stroke-width="1.6"/><path d="M10 6.5v4M10 13.5h.01" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/></svg>Unsaved changes</span>
    <span class="savebar-actions"><button type="button" class="btn btn-dark-secondary" id="savebar-discard">Discard</button><button type="button" class="btn btn-light" id="savebar-save">Save</button></span>
  </div>
  <div class="store" title="${escapeHtml(shop)}"><span class="avatar">${escapeHtml(initials)}</span><span class="store-name">${escapeHtml(shopName)}</span></div>
</header>
<div class="layout">
  <nav class="sidebar" aria-label="Shopify admin">
    <ul>${adminItems}</ul>
    <div class="section-label">Sales channels</div>
    <ul><li><button type="button" class="nav-item admin-only" data-admin="Online Store">${icon("M3 8l1.5-4h11L17 8M4 8v8h12V8M3 8h14")}<span>Online Store</span></button></li></ul>
    <div class="section-label">Apps</div>
    <ul>
      <li><a class="nav-item app-home" id="app-home" href="/apps/${escapeHtml(appHandle)}/app">${APP_ICON_SVG}<span>${escapeHtml(appName)}</span></a>
        <ul class="app-nav" id="app-nav" aria-label="${escapeHtml(appName)}"></ul>
      </li>
    </ul>
    ${demoItems ? `<div class="section-label">Demo</div><ul>${demoItems}</ul>` : ""}
    <ul class="bottom"><li><button type="button" class="nav-item admin-only" data-admin="Settings">${icon("M10 12.5a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5zM10 2.5v2M10 15.5v2M2.5 10h2M15.5 10h2M4.7 4.7l1.4 1.4M13.9 13.9l1.4 1.4M4.7 15.3l1.4-1.4M13.9 6.1l1.4-1.4")}<span>Settings</span></button></li></ul>
  </nav>
  <main class="main">
    <div class="app-frame">
      <div class="titlebar" id="titlebar">
        <div class="titlebar-heading">
          <span class="titlebar-icon">${APP_ICON_SVG}</span>
          <button type="button" class="titlebar-app" id="titlebar-app">${escapeHtml(appName)}</button>
          <span class="titlebar-crumb" id="titlebar-crumb" hidden></span>
          <h1 class="titlebar-title" id="titlebar-title" hidden></h1>
        </div>
        <div class="titlebar-actions" id="titlebar-actions"></div>
      </div>
      <iframe id="app-iframe" name="app-iframe" title="${escapeHtml(appName)}" src="${escapeHtml(options.iframeSrc)}"></iframe>
    </div>
  </main>
</div>
<div class="chrome-dim" id="chrome-dim" hidden></div>
<div class="toasts" id="toasts" aria-live="polite"></div>
<div id="overlays"></div>
<script id="demo-bootstrap" type="application/json">${scriptJson(options.bootstrap)}</script>
<script src="/demo/admin.js"></script>
</body>
</html>`;
}

/** A product's placeholder image: its initials on a colour of its own. */
export function productImageSvg(title: string, seed: number) {
  const hues = [212, 145, 28, 266, 350, 190];
  const hue = hues[seed % hues.length];
  const initials = title
    .replace(/\(.*?\)/g, "")
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(${hue} 70% 58%)"/><stop offset="1" stop-color="hsl(${hue} 65% 38%)"/></linearGradient></defs>
<rect width="400" height="400" rx="48" fill="url(#g)"/>
<text x="200" y="235" text-anchor="middle" font-family="Helvetica, Arial, sans-serif" font-size="150" font-weight="700" fill="#fff">${escapeHtml(initials)}</text>
</svg>`;
}
