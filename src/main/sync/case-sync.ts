import type { SyncStatus } from '../../shared/cases';
import type { CaseStore } from '../caselog/store';
import type { Logger } from '../log/logger';
import { SyncClient } from './sync-client';

export interface CaseSyncOptions {
  store: CaseStore;
  token: string | undefined;
  log: Logger;
  onStatus(status: SyncStatus): void;
}

/** Keeps one SyncClient running against the backend URL currently configured (restarted when it changes). */
export class CaseSync {
  private client: SyncClient | null = null;
  private url: string | null = null;
  private generation = 0;

  constructor(private readonly options: CaseSyncOptions) {}

  connect(serverUrl: string): void {
    if (!this.options.token || serverUrl === this.url) return;
    const previous = this.client;
    const generation = ++this.generation;
    this.url = serverUrl;
    this.client = new SyncClient({
      store: this.options.store,
      serverUrl,
      token: this.options.token,
      logger: this.options.log,
      // a client being replaced may still report (e.g. 'disabled' as it stops): only the current one speaks
      onStatus: (status) => generation === this.generation && this.options.onStatus(status),
    });
    void previous?.stop();
    this.client.start();
  }

  status(): SyncStatus {
    return this.client?.status() ?? { state: 'disabled', pending: this.options.store.pendingCount(), lastSuccessAt: null, lastError: null, nextAttemptAt: null };
  }

  async stop(): Promise<void> {
    await this.client?.stop();
  }
}
