import type { SyncStatus } from '../../shared/cases';
import { BackendSwitch, originOrNull } from '../backend/backend-switch';
import type { Logger } from '../log/logger';
import type { TokenFor } from '../settings/backend-tokens';
import { SyncClient, type HeldNotice, type SyncClientOptions, type SyncStore } from './sync-client';

export interface CaseSyncOptions {
  store: SyncStore;
  /** The token for a backend origin, asked by the client at every request (src/main/settings/backend-tokens.ts). */
  tokenFor: TokenFor;
  log: Logger;
  onStatus(status: SyncStatus): void;
  /** The backend refused one case and it was set aside (the workstation shows a notice). */
  onHeld?(held: HeldNotice): void;
  /** Sync stopped on a refusal a retry cannot fix (state 'blocked'); once per stop. */
  onBlocked?(status: SyncStatus): void;
  /** Tuning of each client (tests shorten the interval and backoff). */
  client?: Pick<SyncClientOptions, 'intervalMs' | 'backoff' | 'requestTimeoutMs' | 'batchSize' | 'fetch' | 'random'>;
}

/**
 * Keeps one SyncClient running against the backend URL currently configured, while that backend has a token
 * (src/main/backend/backend-switch.ts: one change at a time, the old client stopped — its request in flight
 * aborted — before the next starts, so nothing goes to the old backend once connect() resolved).
 */
export class CaseSync {
  private readonly backends: BackendSwitch<SyncClient>;

  constructor(private readonly options: CaseSyncOptions) {
    this.backends = new BackendSwitch<SyncClient>({
      tokenFor: options.tokenFor,
      log: options.log,
      what: 'sync',
      onIdle: () => options.onStatus(this.status()),
      create: (serverUrl, isCurrent) => {
        let blocked = false;
        return new SyncClient({
          ...options.client,
          store: options.store,
          serverUrl,
          tokenFor: options.tokenFor,
          logger: options.log,
          onHeld: (held) => isCurrent() && options.onHeld?.(held),
          // a client being replaced may still report (e.g. 'disabled' as it stops): only the current one speaks
          onStatus: (status) => {
            if (!isCurrent()) return;
            options.onStatus(status);
            if (status.state === 'blocked' && !blocked) options.onBlocked?.(status);
            blocked = status.state === 'blocked';
          },
        });
      },
    });
  }

  /** Syncs with the backend at `serverUrl` (the same one again: a blocked client tries again). */
  connect(serverUrl: string): Promise<void> {
    return this.backends.connect(serverUrl);
  }

  /** A token was set or cleared: start, retry or stop on the current URL. */
  refresh(): Promise<void> {
    return this.backends.refresh();
  }

  /** The agent pressed retry: a blocked or backing-off client tries now. */
  async retry(): Promise<SyncStatus> {
    await this.backends.then((client) => client?.retry());
    return this.status();
  }

  /** Resolves when every connect/refresh asked so far has been applied. */
  settled(): Promise<void> {
    return this.backends.settled();
  }

  status(): SyncStatus {
    const client = this.backends.worker;
    if (client) return client.status();
    const { store } = this.options;
    const last = store.getMeta('sync.last_success_at');
    const url = this.backends.url;
    const refusal = this.backends.refusal;
    return {
      state: refusal ? 'blocked' : 'disabled',
      pending: store.pendingCount(),
      held: store.heldCount(),
      server: url === null ? null : originOrNull(url),
      lastSuccessAt: last ? Number(last) : null,
      // why sync could not even start on the configured URL (the client refused it)
      lastError: refusal ? { code: 'INVALID_INPUT', ...refusal } : null,
      nextAttemptAt: null,
    };
  }

  stop(): Promise<void> {
    return this.backends.stop();
  }
}
