// Shopify's Prisma session storage, kept usable across a database outage at start-up.
//
// The library checks for its table once, when the process starts, and keeps that outcome for good:
// an instance started while the database was unreachable (a deploy or an autoscaled instance during a
// failover) held every request for the library's retry interval and then failed all of them, every
// webhook and admin page, until it was restarted; with no request in flight it ended the process
// with an unhandled rejection ("Prisma session table does not exist") instead. Here a failed check is
// made again by the next call that needs the storage: calls fail fast (500, and Shopify redelivers)
// while the database is away and succeed as soon as it is back. A table that is really missing still
// fails each call with the library's own message.
import type { Session } from "@shopify/shopify-api";
import type { SessionStorage } from "@shopify/shopify-app-session-storage";
import {
  MissingSessionStorageError,
  MissingSessionTableError,
  PrismaSessionStorage,
} from "@shopify/shopify-app-session-storage-prisma";
import type { PrismaClient } from "@prisma/client";

export class RecoveringSessionStorage implements SessionStorage {
  private readonly storage: PrismaSessionStorage<PrismaClient>;
  /** One re-check at a time, shared by the calls that wait for it. */
  private recheck?: Promise<boolean>;

  constructor(prisma: PrismaClient) {
    // One attempt, no pause: a failed check is retried by the next call, not by a timer.
    this.storage = new PrismaSessionStorage(prisma, { connectionRetries: 1, connectionRetryIntervalMs: 0 });
    // The start-up check's outcome reaches whoever awaits a call first; this call takes it at once.
    this.call(() => this.storage.findSessionsByShop("")).catch(() => {});
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof MissingSessionTableError || error instanceof MissingSessionStorageError)) throw error;
      this.recheck ??= this.storage.isReady().finally(() => {
        this.recheck = undefined;
      });
      if (!(await this.recheck)) throw error;
      return work();
    }
  }

  storeSession(session: Session) {
    return this.call(() => this.storage.storeSession(session));
  }

  loadSession(id: string) {
    return this.call(() => this.storage.loadSession(id));
  }

  deleteSession(id: string) {
    return this.call(() => this.storage.deleteSession(id));
  }

  deleteSessions(ids: string[]) {
    return this.call(() => this.storage.deleteSessions(ids));
  }

  findSessionsByShop(shop: string) {
    return this.call(() => this.storage.findSessionsByShop(shop));
  }
}
