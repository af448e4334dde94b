// The in-memory session cache in front of the session storage: what the Shopify library gets back
// from it, and when it must go back to the database.
import { Session } from "@shopify/shopify-api";
import type { SessionStorage } from "@shopify/shopify-app-session-storage";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CachedSessionStorage, forgetAllSessions, forgetShopSessions } from "~/session-cache.server";

const SHOP = "cache-test.myshopify.com";

function offlineSession(accessToken: string, extra: Partial<ConstructorParameters<typeof Session>[0]> = {}) {
  return new Session({ id: `offline_${SHOP}`, shop: SHOP, state: "", isOnline: false, accessToken, ...extra });
}

/** A storage that counts its reads; `gate` holds the next read until released. */
function countingStorage() {
  const rows = new Map<string, Session>();
  let gate: Promise<void> | undefined;
  const storage = {
    loads: 0,
    hold() {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return release;
    },
    rows,
    async storeSession(session: Session) {
      rows.set(session.id, new Session(session.toObject()));
      return true;
    },
    async loadSession(id: string) {
      storage.loads++;
      const row = rows.get(id);
      const copy = row ? new Session(row.toObject()) : undefined;
      if (gate) {
        const waiting = gate;
        gate = undefined;
        await waiting;
      }
      return copy;
    },
    async deleteSession(id: string) {
      rows.delete(id);
      return true;
    },
    async deleteSessions(ids: string[]) {
      ids.forEach((id) => rows.delete(id));
      return true;
    },
    async findSessionsByShop(shop: string) {
      return [...rows.values()].filter((s) => s.shop === shop);
    },
  };
  return storage satisfies SessionStorage;
}

describe("session cache", () => {
  beforeEach(() => forgetAllSessions());
  afterEach(() => vi.useRealTimers());

  it("GIVEN a stored session WHEN it is loaded again within seconds THEN the database is read once, and each caller gets its own copy", async () => {
    const storage = countingStorage();
    storage.rows.set(`offline_${SHOP}`, offlineSession("token-1"));
    const cached = new CachedSessionStorage(storage);

    const [a, b] = await Promise.all([cached.loadSession(`offline_${SHOP}`), cached.loadSession(`offline_${SHOP}`)]);
    const c = await cached.loadSession(`offline_${SHOP}`);
    expect(storage.loads).toBe(1);
    expect([a?.accessToken, b?.accessToken, c?.accessToken]).toEqual(["token-1", "token-1", "token-1"]);

    // The library clears a rejected token on its copy before storing it: nobody else sees that.
    a!.accessToken = undefined;
    expect((await cached.loadSession(`offline_${SHOP}`))?.accessToken).toBe("token-1");
  });

  it("GIVEN a cached session WHEN a few seconds pass THEN it is read from the database again", async () => {
    vi.useFakeTimers();
    const storage = countingStorage();
    storage.rows.set(`offline_${SHOP}`, offlineSession("token-1"));
    const cached = new CachedSessionStorage(storage);
    await cached.loadSession(`offline_${SHOP}`);
    storage.rows.set(`offline_${SHOP}`, offlineSession("token-2"));
    vi.advanceTimersByTime(10_000);
    expect((await cached.loadSession(`offline_${SHOP}`))?.accessToken).toBe("token-2");
    expect(storage.loads).toBe(2);
  });

  it("GIVEN a cached session WHEN it is stored, deleted or the shop's rows change THEN the next load sees the database", async () => {
    const storage = countingStorage();
    const cached = new CachedSessionStorage(storage);
    await cached.storeSession(offlineSession("token-1"));
    expect((await cached.loadSession(`offline_${SHOP}`))?.accessToken).toBe("token-1");

    await cached.storeSession(offlineSession("token-2"));
    expect((await cached.loadSession(`offline_${SHOP}`))?.accessToken).toBe("token-2");

    await cached.deleteSession(`offline_${SHOP}`);
    expect(await cached.loadSession(`offline_${SHOP}`)).toBeUndefined();

    // app/uninstalled deletes the rows itself, then tells the cache.
    await cached.storeSession(offlineSession("token-3"));
    await cached.loadSession(`offline_${SHOP}`);
    storage.rows.clear();
    forgetShopSessions(SHOP);
    expect(await cached.loadSession(`offline_${SHOP}`)).toBeUndefined();
  });

  it("GIVEN a load in flight WHEN the session is stored meanwhile THEN the older read is not cached", async () => {
    const storage = countingStorage();
    storage.rows.set(`offline_${SHOP}`, offlineSession("old"));
    const cached = new CachedSessionStorage(storage);
    const release = storage.hold();
    const slow = cached.loadSession(`offline_${SHOP}`);
    await cached.storeSession(offlineSession("new"));
    release();
    expect((await slow)?.accessToken).toBe("old");
    expect((await cached.loadSession(`offline_${SHOP}`))?.accessToken).toBe("new");
  });

  it("never caches a session that carries a refresh token (refreshing rotates it)", async () => {
    const storage = countingStorage();
    storage.rows.set(`offline_${SHOP}`, offlineSession("token-1", { refreshToken: "refresh-1" }));
    const cached = new CachedSessionStorage(storage);
    await cached.loadSession(`offline_${SHOP}`);
    await cached.loadSession(`offline_${SHOP}`);
    expect(storage.loads).toBe(2);
  });
});
