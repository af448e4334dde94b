// Loaded Shopify sessions, kept in memory for a few seconds in front of the session storage.
// Every webhook and every admin request starts with a session lookup (the offline session
// `offline_<shop>`, or the online one a session token names); through Prisma that lookup was about
// a quarter of the app server's CPU per orders/create delivery. Shops send bursts, so a short
// cache answers most lookups from memory.
//
// Why a few seconds of staleness is harmless, also with several app instances on one database:
// - Writes and deletes through this storage (token exchange, the library invalidating a token)
//   replace or drop the entry at once in this process; the app's own session writes outside it
//   (app/uninstalled, app/scopes_update, shop/redact in privacy.server.ts) call
//   forgetShopSessions() after they commit.
// - Another instance's change is seen here at most TTL_MS later. Until then this instance may use
//   the previous session:
//   * after app/uninstalled: webhooks are verified by their HMAC, not by the session, and the
//     fulfilment work checks the shop's uninstalled_at in the database; Shopify issues no session
//     tokens to an uninstalled app, so no admin request arrives; and the old access token is
//     revoked by Shopify, so an Admin API call made with it fails as it would anyway.
//   * after a reinstall or a new token: an Admin API call with the old token answers 401; the
//     library then invalidates the token through storeSession (which replaces the entry here) and
//     asks App Bridge to retry, which exchanges a fresh token.
//   * after a scopes change: the previous scopes for a few seconds, as if the webhook were late.
// - Sessions with a refresh token (expiring offline tokens) are never cached: refreshing rotates
//   the refresh token, and a stale copy would present one that is already spent.
// - Each caller gets its own copy: the library mutates sessions (invalidating a token) before
//   storing them, and such a change must not leak into a concurrent request.
// The entries live on globalThis, like the database pools, so the tests' database reset and the
// server build share one cache.
import { Session } from "@shopify/shopify-api";
import type { SessionStorage } from "@shopify/shopify-app-session-storage";

const TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  params: ReturnType<Session["toObject"]>;
  shop: string;
  expiresAt: number;
}

interface Cache {
  entries: Map<string, Entry>;
  /** Bumped on every write or delete of an id: a load that started before it must not be cached. */
  generations: Map<string, number>;
  /** Loads in flight, shared by concurrent callers (a burst of deliveries for one shop). */
  loading: Map<string, { generation: number; promise: Promise<Session | undefined> }>;
}

declare global {
  var __keyshelfSessionCache: Cache | undefined;
}

function cache(): Cache {
  return (globalThis.__keyshelfSessionCache ??= { entries: new Map(), generations: new Map(), loading: new Map() });
}

function generationOf(id: string) {
  return cache().generations.get(id) ?? 0;
}

function forget(id: string) {
  const { entries, generations, loading } = cache();
  entries.delete(id);
  loading.delete(id);
  generations.set(id, generationOf(id) + 1);
  // Generations only matter while a load of that id may be in flight; keep the map bounded.
  if (generations.size > MAX_ENTRIES * 2) generations.clear();
}

function remember(session: Session) {
  const { entries } = cache();
  if (session.refreshToken) return;
  entries.delete(session.id);
  entries.set(session.id, { params: session.toObject(), shop: session.shop, expiresAt: Date.now() + TTL_MS });
  // Oldest first in insertion order: drop the oldest when full.
  if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
}

/** Drops every cached session of this shop (after changing its session rows outside the storage). */
export function forgetShopSessions(shop: string) {
  for (const [id, entry] of cache().entries) {
    if (entry.shop === shop) forget(id);
  }
  // Its offline session may be loading right now: that load must not be cached.
  forget(`offline_${shop}`);
}

/** Empties the cache (tests that wipe the database). */
export function forgetAllSessions() {
  globalThis.__keyshelfSessionCache = undefined;
}

/** The storage the library talks to: `storage` behind a short in-memory cache of loaded sessions. */
export class CachedSessionStorage implements SessionStorage {
  constructor(private readonly storage: SessionStorage) {}

  async storeSession(session: Session): Promise<boolean> {
    forget(session.id);
    const stored = await this.storage.storeSession(session);
    // Bumped again: a load that started while the write ran may have read the old row.
    forget(session.id);
    return stored;
  }

  async loadSession(id: string): Promise<Session | undefined> {
    const { entries, loading } = cache();
    const entry = entries.get(id);
    if (entry && entry.expiresAt > Date.now()) return new Session(entry.params);
    if (entry) entries.delete(id);

    const generation = generationOf(id);
    let inFlight = loading.get(id);
    if (!inFlight || inFlight.generation !== generation) {
      const promise = this.storage.loadSession(id).then(
        (session) => {
          if (loading.get(id)?.promise === promise) loading.delete(id);
          if (session && generationOf(id) === generation) remember(session);
          return session;
        },
        (error: unknown) => {
          if (loading.get(id)?.promise === promise) loading.delete(id);
          throw error;
        },
      );
      inFlight = { generation, promise };
      loading.set(id, inFlight);
    }
    const session = await inFlight.promise;
    return session ? new Session(session.toObject()) : undefined;
  }

  async deleteSession(id: string): Promise<boolean> {
    forget(id);
    const deleted = await this.storage.deleteSession(id);
    forget(id);
    return deleted;
  }

  async deleteSessions(ids: string[]): Promise<boolean> {
    ids.forEach(forget);
    const deleted = await this.storage.deleteSessions(ids);
    ids.forEach(forget);
    return deleted;
  }

  findSessionsByShop(shop: string): Promise<Session[]> {
    return this.storage.findSessionsByShop(shop);
  }
}
