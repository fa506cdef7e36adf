import { createHash } from 'node:crypto';
import { ReviewSchema, SYNC_LIMITS, type ChangesResponse, type SyncBatchResult, type SyncErrorBody, type SyncStatus } from '../../shared/cases';
import type { CaseStore } from '../caselog/store';
import type { Logger } from '../log/logger';
import { silentLogger } from '../log/logger';

export interface SyncClientOptions {
  store: CaseStore;
  /** e.g. http://sync.example:8787 */
  serverUrl: string;
  token: string;
  batchSize?: number;
  fetch?: typeof fetch;
  logger?: Logger;
  onStatus?: (status: SyncStatus) => void;
  /** Exponential backoff with jitter between failed attempts. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** How often an idle client looks for new events and review outcomes. */
  intervalMs?: number;
  requestTimeoutMs?: number;
  random?: () => number;
  /** Test-only fault injection: pause after the server acknowledged, before the outbox is cleared. */
  faults?: { pauseAfterAckMs?: number };
}

export interface SyncRunResult {
  batches: number;
  accepted: number;
  duplicates: number;
  /** Batches the server had already stored under the same idempotency key (a resend after a crash). */
  replayed: number;
  reviews: number;
  pending: number;
}

/** A sync failure with the server's (or the network's) error code. */
export class SyncError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number | null,
    /** False for errors a retry cannot fix without a person (bad token, forged chain). */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'SyncError';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Pushes the case store's outbox to the backend in batches and pulls team-lead review outcomes
 * (DESIGN.md §8). Crash-safe at any point: the outbox row is removed only after the server
 * acknowledged, the idempotency key is derived from the batch content, and the server treats an
 * already-stored identical event as a duplicate, so a resend stores nothing twice.
 */
export class SyncClient {
  private readonly fetchImpl: typeof fetch;
  private readonly log: Logger;
  private readonly batchSize: number;
  private readonly baseUrl: string;
  private current: SyncStatus;
  private failures = 0;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly options: SyncClientOptions) {
    this.fetchImpl = options.fetch ?? fetch;
    this.log = options.logger ?? silentLogger;
    this.batchSize = Math.min(Math.max(options.batchSize ?? 200, 1), SYNC_LIMITS.maxEventsPerBatch);
    this.baseUrl = options.serverUrl.replace(/\/+$/, '');
    const last = options.store.getMeta('sync.last_success_at');
    this.current = { state: 'idle', pending: options.store.pendingCount(), lastSuccessAt: last ? Number(last) : null, lastError: null, nextAttemptAt: null };
  }

  status(): SyncStatus {
    return { ...this.current };
  }

  private setStatus(patch: Partial<SyncStatus>): void {
    this.current = { ...this.current, ...patch, pending: this.options.store.pendingCount() };
    this.options.onStatus?.(this.status());
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.options.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new SyncError('UNAVAILABLE', `backend unreachable: ${error instanceof Error ? error.message : String(error)}`, null, true);
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      let code = 'INTERNAL';
      let message = `HTTP ${response.status}`;
      try {
        const parsed = JSON.parse(text) as Partial<SyncErrorBody>;
        if (parsed.error) ({ code, message } = parsed.error);
      } catch {
        /* not our error body (proxy page) */
      }
      const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
      throw new SyncError(code, message, response.status, retryable);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new SyncError('INTERNAL', 'backend answered with invalid JSON', response.status, true);
    }
  }

  /** Pushes every pending event, then pulls review outcomes. Throws SyncError on the first failure. */
  async syncOnce(): Promise<SyncRunResult> {
    const result: SyncRunResult = { batches: 0, accepted: 0, duplicates: 0, replayed: 0, reviews: 0, pending: 0 };
    this.setStatus({ state: 'syncing' });
    const { store } = this.options;
    await this.pushAll(result);
    result.reviews = await this.pullChanges();
    // Applied reviews are chained as `review.received` events: push those too.
    if (result.reviews > 0) await this.pushAll(result);
    const now = Date.now();
    store.setMeta('sync.last_success_at', String(now));
    result.pending = store.pendingCount();
    return result;
  }

  private async pushAll(result: SyncRunResult): Promise<void> {
    const { store } = this.options;
    for (;;) {
      const batch = store.nextBatch(this.batchSize);
      if (batch.events.length === 0) break;
      const key = `b-${createHash('sha256')
        .update(batch.events.map((e) => `${e.caseId}/${e.seq}/${e.hash}`).join('\n'))
        .digest('hex')
        .slice(0, 48)}`;
      const ack = await this.request<SyncBatchResult & { replayed?: boolean }>('POST', '/api/v1/sync/batches', { workstationId: store.workstationId, events: batch.events }, { 'idempotency-key': key });
      if (this.options.faults?.pauseAfterAckMs) {
        this.log.warn({ fault: 'pause-after-ack', batchId: ack.batchId }, 'fault injection: acknowledged, outbox not yet cleared');
        await sleep(this.options.faults.pauseAfterAckMs);
      }
      store.ack(batch.outboxIds);
      result.batches++;
      result.accepted += ack.accepted;
      result.duplicates += ack.duplicates;
      if (ack.replayed) result.replayed++;
      this.log.info({ batchId: ack.batchId, events: batch.events.length, accepted: ack.accepted, duplicates: ack.duplicates, replayed: ack.replayed ?? false }, 'sync batch acknowledged');
      this.setStatus({});
    }
  }

  private async pullChanges(): Promise<number> {
    const { store } = this.options;
    let applied = 0;
    for (;;) {
      const since = Number(store.getMeta('sync.cursor') ?? 0);
      const changes = await this.request<ChangesResponse>('GET', `/api/v1/sync/changes?since=${since}&limit=500`);
      for (const raw of changes.reviews) {
        const review = ReviewSchema.safeParse(raw);
        if (review.success && store.applyReview(review.data)) applied++;
      }
      if (changes.cursor <= since || changes.reviews.length === 0) break;
      store.setMeta('sync.cursor', String(changes.cursor));
    }
    return applied;
  }

  /** One attempt with status reporting; never throws. */
  async attempt(): Promise<SyncRunResult | null> {
    try {
      const r = await this.syncOnce();
      this.failures = 0;
      this.setStatus({ state: 'idle', lastSuccessAt: Date.now(), lastError: null, nextAttemptAt: null });
      return r;
    } catch (error) {
      const e = error instanceof SyncError ? error : new SyncError('INTERNAL', error instanceof Error ? error.message : String(error), null, true);
      this.failures++;
      const delay = this.backoffDelay();
      this.log.warn({ code: e.code, status: e.status, retryable: e.retryable, failures: this.failures, retryInMs: delay }, `sync failed: ${e.message}`);
      this.setStatus({ state: 'backoff', lastError: { code: e.code, message: e.message, at: Date.now() }, nextAttemptAt: Date.now() + delay });
      return null;
    }
  }

  /** Delay before the next attempt: exponential in the failure count, capped, with jitter. */
  backoffDelay(): number {
    const base = this.options.backoff?.baseMs ?? 1000;
    const max = this.options.backoff?.maxMs ?? 5 * 60_000;
    const cap = Math.min(max, base * 2 ** Math.min(this.failures - 1, 30));
    const random = this.options.random ?? Math.random;
    return Math.round(cap / 2 + (random() * cap) / 2);
  }

  /** Runs until stop(): sync, then wait (interval when healthy, backoff after a failure). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const ok = await this.attempt();
        if (!this.running) break;
        const wait = ok ? (this.options.intervalMs ?? 5000) : Math.max(0, (this.current.nextAttemptAt ?? Date.now()) - Date.now());
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, wait);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = null;
      }
    })();
  }

  /** New events were written: sync now instead of at the next interval (not during backoff). */
  nudge(): void {
    if (this.current.state !== 'backoff') this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = null;
    this.setStatus({ state: 'disabled', nextAttemptAt: null });
  }
}
