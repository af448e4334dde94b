// The real Remix request handler over the production build (made by the global setup).
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createRequestHandler, type ServerBuild } from "@remix-run/node";

const buildPath = pathToFileURL(path.resolve("build/index.js")).href;
let handler: ((request: Request) => Promise<Response>) | undefined;

export async function loadBuild(): Promise<ServerBuild> {
  return (await import(/* @vite-ignore */ buildPath)) as ServerBuild;
}

export async function handle(request: Request): Promise<Response> {
  handler ??= createRequestHandler(await loadBuild(), "production");
  return handler(request);
}

/** Remix's data request for a route: `?_data=<routeId>` as the browser's fetch sends it. */
export function dataPath(pathname: string, routeId: string) {
  const url = new URL(pathname, "http://x");
  url.searchParams.set("_data", routeId);
  return `${url.pathname}${url.search}`;
}
