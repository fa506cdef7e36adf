import type { SyncStatus } from '../../shared/cases';
import { backendOrigin } from '../../shared/settings';
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
 * Keeps one SyncClient running against the backend URL currently configured, while that backend has a token.
 * Changes are applied one at a time, and a replaced client is stopped (its request in flight aborted) before the
 * next one starts: two clients never push at once, and nothing goes to the old backend once connect() resolved.
 */
export class CaseSync {
  private client: SyncClient | null = null;
  private url: string | null = null;
  private generation = 0;
  private closed = false;
  private queue: Promise<void> = Promise.resolve();
  /** Why sync could not even start on the configured URL (a client refused it). */
  private refusal: SyncStatus['lastError'] = null;

  constructor(private readonly options: CaseSyncOptions) {}

  /** Syncs with the backend at `serverUrl` (the same one again: a blocked client tries again). */
  connect(serverUrl: string): Promise<void> {
    return this.enqueue(() => this.apply(serverUrl));
  }

  /** A token was set or cleared: start, retry or stop on the current URL. */
  refresh(): Promise<void> {
    return this.enqueue(() => (this.url === null ? Promise.resolve() : this.apply(this.url)));
  }

  /** The agent pressed retry: a blocked or backing-off client tries now. */
  async retry(): Promise<SyncStatus> {
    await this.enqueue(async () => this.client?.retry());
    return this.status();
  }

  /** Resolves when every connect/refresh asked so far has been applied. */
  settled(): Promise<void> {
    return this.queue;
  }

  status(): SyncStatus {
    if (this.client) return this.client.status();
    const { store } = this.options;
    const last = store.getMeta('sync.last_success_at');
    return {
      state: this.refusal ? 'blocked' : 'disabled',
      pending: store.pendingCount(),
      held: store.heldCount(),
      server: this.url === null ? null : originOrNull(this.url),
      lastSuccessAt: last ? Number(last) : null,
      lastError: this.refusal,
      nextAttemptAt: null,
    };
  }

  async stop(): Promise<void> {
    await this.enqueue(async () => {
      this.closed = true;
      const client = this.client;
      this.client = null;
      this.generation++;
      await client?.stop();
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step).catch((error: unknown) => this.options.log.error({ err: error instanceof Error ? error.message : String(error) }, 'changing the sync backend failed'));
    this.queue = run;
    return run;
  }

  private async apply(serverUrl: string): Promise<void> {
    if (this.closed) return;
    const origin = originOrNull(serverUrl);
    const hasToken = origin !== null && this.options.tokenFor(origin) !== undefined;
    if (serverUrl === this.url && this.client && hasToken) {
      // the same backend, still with a token (perhaps a new one): a stopped client starts asking again
      this.client.retry();
      return;
    }
    if (serverUrl === this.url && !this.client && !hasToken && !this.refusal) return;

    const previous = this.client;
    this.client = null;
    this.url = serverUrl;
    this.refusal = null;
    const generation = ++this.generation;
    // first the old client is gone, request in flight included; only then anything talks to the new backend
    await previous?.stop();
    if (this.closed || generation !== this.generation) return;
    if (!hasToken) {
      this.options.onStatus(this.status());
      return;
    }
    let blocked = false;
    try {
      this.client = new SyncClient({
        ...this.options.client,
        store: this.options.store,
        serverUrl,
        tokenFor: this.options.tokenFor,
        logger: this.options.log,
        onHeld: (held) => generation === this.generation && this.options.onHeld?.(held),
        // a client being replaced may still report (e.g. 'disabled' as it stops): only the current one speaks
        onStatus: (status) => {
          if (generation !== this.generation) return;
          this.options.onStatus(status);
          if (status.state === 'blocked' && !blocked) this.options.onBlocked?.(status);
          blocked = status.state === 'blocked';
        },
      });
    } catch (error) {
      this.refusal = { code: 'INVALID_INPUT', message: error instanceof Error ? error.message : String(error), at: Date.now() };
      this.options.onStatus(this.status());
      return;
    }
    this.client.start();
  }
}

function originOrNull(url: string): string | null {
  try {
    return backendOrigin(url);
  } catch {
    return null;
  }
}
