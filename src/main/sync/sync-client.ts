import { createHash } from 'node:crypto';
import {
  ReviewSchema,
  SYNC_LIMITS,
  type CaseEvent,
  type ChangesResponse,
  type Checkpoint,
  type Review,
  type SyncBatchResult,
  type SyncErrorBody,
  type SyncStatus,
} from '../../shared/cases';
import { AppFailure } from '../../shared/errors';
import { backendOrigin, HTTPS_REQUIRED_MESSAGE, isSecureBackendUrl } from '../../shared/settings';
import type { Logger } from '../log/logger';
import { silentLogger } from '../log/logger';
import type { TokenFor } from '../settings/backend-tokens';
import { backoffDelay, WorkLoop } from '../backend/work-loop';

/** What sync needs of the case store (src/main/caselog/store.ts CaseStore). */
export interface SyncStore {
  readonly workstationId: string;
  getMeta(key: string): string | null;
  setMeta(key: string, value: string): void;
  /** Events waiting to go up, held cases excluded. */
  pendingCount(): number;
  heldCount(): number;
  /** The oldest pending events of cases not held, and the signed ledger state to send with them to `server`. */
  nextBatch(limit: number, server?: string): { outboxIds: number[]; events: CaseEvent[]; checkpoint: Checkpoint | null };
  /** Removes the batch's outbox rows and keeps the server's checkpoint, in one transaction. */
  acknowledgeBatch(outboxIds: readonly number[], server: string, checkpoint: { gseq: number; ledgerHash: string } | null | undefined): void;
  holdCase(caseId: string, why: { server: string; code: string; message: string; seq?: number }): void;
  applyReview(review: Review): boolean;
}

/** A case the backend refused on its own and sync set aside (the others went on). */
export interface HeldNotice {
  caseId: string;
  server: string;
  code: string;
  message: string;
  seq: number | null;
}

export interface SyncClientOptions {
  store: SyncStore;
  /** e.g. https://sync.example or http://127.0.0.1:8787 (http only on loopback). */
  serverUrl: string;
  /** A fixed token (the CLI's --token)… */
  token?: string;
  /** …or the token for this client's origin, asked before every request (the workstation). One of the two. */
  tokenFor?: TokenFor;
  batchSize?: number;
  fetch?: typeof fetch;
  logger?: Logger;
  onStatus?: (status: SyncStatus) => void;
  /** A case was set aside after the backend refused it (the workstation shows a notice). */
  onHeld?: (held: HeldNotice) => void;
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
  /** Cases set aside in this run (the backend refused them one by one). */
  held: number;
}

/** A sync failure with the server's (or the network's) error code. */
export class SyncError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number | null,
    /** False for errors a retry cannot fix without a person (bad token, forged chain). */
    readonly retryable: boolean,
    /** The case (and event) the server named, for refusals of one case. */
    readonly where: { caseId?: string; seq?: number } = {},
  ) {
    super(message);
    this.name = 'SyncError';
  }
}

/**
 * Refusals about one case (its chain, its owner, its size): that case is set aside and the rest of the outbox goes
 * on. Only when the server names the case: without a caseId the whole batch is the problem.
 */
const CASE_REFUSALS = new Set(['CHAIN_FORK', 'CHAIN_GAP', 'CHAIN_HASH_MISMATCH', 'CHAIN_PREV_MISMATCH', 'CASE_OWNED_ELSEWHERE', 'PAYLOAD_TOO_LARGE']);

/** Meta key of the review cursor for one backend: review ids are the server's own sequence, so each backend has its own. */
export const cursorKey = (origin: string): string => `sync.cursor.${origin}`;
/** The single cursor of versions before per-server cursors; migrated once, to the first backend that runs. */
const LEGACY_CURSOR = 'sync.cursor';
const LEGACY_CURSOR_MIGRATED = 'sync.cursor.migrated';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Pushes the case store's outbox to the backend in batches and pulls team-lead review outcomes
 * (DESIGN.md §8). Crash-safe at any point: the outbox row is removed only after the server
 * acknowledged, the idempotency key is derived from the batch content, and the server treats an
 * already-stored identical event as a duplicate, so a resend stores nothing twice.
 *
 * Bound to one backend origin for its whole life: the token is asked for that origin at every request, and
 * redirects are never followed, so the token cannot reach another host.
 */
export class SyncClient {
  private readonly fetchImpl: typeof fetch;
  private readonly log: Logger;
  private readonly batchSize: number;
  private readonly baseUrl: string;
  /** The backend's origin: the token, the checkpoints and the review cursor belong to it. */
  readonly origin: string;
  private current: SyncStatus;
  /** When the pending count was last counted in full (performance.now()). */
  private countedAt = 0;
  private failures = 0;
  /** Attempt, then wait: the interval when healthy, the backoff after a failure, until retry() when blocked. */
  private readonly loop = new WorkLoop({
    attempt: async () => (await this.attempt()) !== null,
    waitMs: (ok) => (this.current.state === 'blocked' ? null : ok ? (this.options.intervalMs ?? 5000) : Math.max(0, (this.current.nextAttemptAt ?? Date.now()) - Date.now())),
  });
  /** Cases set aside during the current syncOnce. */
  private readonly heldThisRun = new Set<string>();
  /** Aborted by stop(): the request in flight ends at once, so a replaced client pushes nothing more. */
  private readonly stopping = new AbortController();

  constructor(private readonly options: SyncClientOptions) {
    if (!isSecureBackendUrl(options.serverUrl)) throw new AppFailure('INVALID_INPUT', `${HTTPS_REQUIRED_MESSAGE}: ${options.serverUrl}`);
    if (!options.token && !options.tokenFor) throw new AppFailure('INVALID_INPUT', 'a sync client needs a backend token');
    this.fetchImpl = options.fetch ?? fetch;
    this.log = options.logger ?? silentLogger;
    // the protocol's largest batch by default: each batch is one durable commit and one request on the server
    this.batchSize = Math.min(Math.max(options.batchSize ?? SYNC_LIMITS.maxEventsPerBatch, 1), SYNC_LIMITS.maxEventsPerBatch);
    this.baseUrl = options.serverUrl.replace(/\/+$/, '');
    this.origin = backendOrigin(options.serverUrl);
    const last = options.store.getMeta('sync.last_success_at');
    this.current = {
      state: 'idle',
      pending: options.store.pendingCount(),
      held: options.store.heldCount(),
      server: this.origin,
      lastSuccessAt: last ? Number(last) : null,
      lastError: null,
      nextAttemptAt: null,
    };
  }

  status(): SyncStatus {
    return { ...this.current };
  }

  /**
   * `sent`: events just acknowledged. While a drain runs, the pending count is estimated from what was sent and
   * recounted at most twice a second: counting the whole outbox after every batch made a long drain quadratic.
   */
  private setStatus(patch: Partial<SyncStatus>, sent?: number): void {
    const { store } = this.options;
    const now = performance.now();
    let pending: number;
    if (sent !== undefined && now - this.countedAt < 500) pending = Math.max(0, this.current.pending - sent);
    else {
      pending = store.pendingCount();
      this.countedAt = now;
    }
    this.current = { ...this.current, ...patch, pending, held: store.heldCount() };
    this.options.onStatus?.(this.status());
  }

  private token(): string {
    const token = this.options.tokenFor ? this.options.tokenFor(this.origin) : this.options.token;
    // cleared in 设置 while running: nothing to send, and a person has to enter one
    if (!token) throw new SyncError('NO_TOKEN', `no backend token for ${this.origin}: enter one in 设置 (Settings)`, null, false);
    return token;
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    if (this.stopping.signal.aborted) throw new SyncError('STOPPED', 'sync client stopped', null, false);
    const token = this.token();
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        // a 3xx comes back as it is and is refused below: following it would hand the token to wherever it points
        redirect: 'manual',
        signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000)]),
      });
    } catch (error) {
      if (this.stopping.signal.aborted) throw new SyncError('STOPPED', 'sync client stopped', null, false);
      throw new SyncError('UNAVAILABLE', `backend unreachable: ${error instanceof Error ? error.message : String(error)}`, null, true);
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      const location = response.headers.get('location');
      throw new SyncError(
        'REDIRECT_REFUSED',
        `the backend answered with a redirect (HTTP ${response.status}${location ? ` to ${location.slice(0, 200)}` : ''}); the token is never sent on: set the final URL in 设置 (Settings)`,
        response.status,
        false,
      );
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      let code = 'INTERNAL';
      let message = `HTTP ${response.status}`;
      let where: SyncError['where'] = {};
      try {
        const parsed = JSON.parse(text) as Partial<SyncErrorBody>;
        if (parsed.error) {
          ({ code, message } = parsed.error);
          where = { caseId: typeof parsed.error.caseId === 'string' ? parsed.error.caseId : undefined, seq: typeof parsed.error.seq === 'number' ? parsed.error.seq : undefined };
        }
      } catch {
        /* not our error body (proxy page) */
      }
      const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
      throw new SyncError(code, message, response.status, retryable, where);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new SyncError('INTERNAL', 'backend answered with invalid JSON', response.status, true);
    }
  }

  /** Pushes every pending event, then pulls review outcomes. Throws SyncError on the first failure that is not one case's. */
  async syncOnce(): Promise<SyncRunResult> {
    const result: SyncRunResult = { batches: 0, accepted: 0, duplicates: 0, replayed: 0, reviews: 0, pending: 0, held: 0 };
    this.heldThisRun.clear();
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
    // shrinks when the backend finds a whole batch too large (a proxy's smaller body limit)
    let limit = this.batchSize;
    for (;;) {
      const batch = store.nextBatch(limit, this.origin);
      if (batch.events.length === 0) break;
      const key = `b-${createHash('sha256')
        .update(batch.events.map((e) => `${e.caseId}/${e.seq}/${e.hash}`).join('\n'))
        .digest('hex')
        .slice(0, 48)}`;
      // deterministic (the store signs the event's own time): a resend after a crash is the same body
      const { checkpoint } = batch;
      const body = { workstationId: store.workstationId, events: batch.events, ...(checkpoint ? { checkpoint } : {}) };
      let ack: SyncBatchResult & { replayed?: boolean };
      try {
        ack = await this.request<SyncBatchResult & { replayed?: boolean }>('POST', '/api/v1/sync/batches', body, { 'idempotency-key': key });
      } catch (error) {
        const next = this.setAside(error, batch.events, result);
        if (next === 'held') continue;
        if (next === 'smaller') {
          limit = Math.max(1, Math.floor(batch.events.length / 2));
          continue;
        }
        throw error;
      }
      if (this.options.faults?.pauseAfterAckMs) {
        this.log.warn({ fault: 'pause-after-ack', batchId: ack.batchId }, 'fault injection: acknowledged, outbox not yet cleared');
        await sleep(this.options.faults.pauseAfterAckMs);
      }
      // the server's head for this workstation: the store refuses to go behind it from now on
      store.acknowledgeBatch(batch.outboxIds, this.origin, ack.checkpoint);
      result.batches++;
      result.accepted += ack.accepted;
      result.duplicates += ack.duplicates;
      if (ack.replayed) result.replayed++;
      this.log.info({ batchId: ack.batchId, events: batch.events.length, accepted: ack.accepted, duplicates: ack.duplicates, replayed: ack.replayed ?? false }, 'sync batch acknowledged');
      this.setStatus({}, batch.events.length);
    }
  }

  /**
   * A refused batch: when the server named one case of it, that case is held and the batch is sent again without
   * it (the server stored nothing of a refused batch). 'smaller': the body was too large as a whole.
   */
  private setAside(error: unknown, events: readonly CaseEvent[], result: SyncRunResult): 'held' | 'smaller' | null {
    if (!(error instanceof SyncError) || !CASE_REFUSALS.has(error.code)) return null;
    let { caseId } = error.where;
    let { seq } = error.where;
    if (caseId === undefined && error.code === 'PAYLOAD_TOO_LARGE') {
      if (events.length > 1) return 'smaller';
      // one event that alone is too large: it is that case's
      caseId = events[0]?.caseId;
      seq = events[0]?.seq;
    }
    // a case the batch does not hold cannot be set aside: holding it would not change the next batch; one held
    // already in this run and named again means holding did not take it out, and resending would loop
    if (caseId === undefined || !events.some((e) => e.caseId === caseId) || this.heldThisRun.has(caseId)) return null;
    this.heldThisRun.add(caseId);
    const held: HeldNotice = { caseId, server: this.origin, code: error.code, message: error.message, seq: seq ?? null };
    this.options.store.holdCase(caseId, { server: this.origin, code: error.code, message: error.message, ...(seq !== undefined ? { seq } : {}) });
    result.held++;
    this.log.warn({ caseId, seq, code: error.code, server: this.origin }, 'case refused by the backend and set aside; the others go on');
    this.options.onHeld?.(held);
    this.setStatus({});
    return 'held';
  }

  /** The review cursor for this backend; the one of older versions moves to the first backend that asks. */
  private cursor(): number {
    const { store } = this.options;
    const key = cursorKey(this.origin);
    const own = store.getMeta(key);
    if (own !== null) return Number(own);
    const legacy = store.getMeta(LEGACY_CURSOR);
    if (legacy !== null && store.getMeta(LEGACY_CURSOR_MIGRATED) === null) {
      store.setMeta(key, legacy);
      store.setMeta(LEGACY_CURSOR_MIGRATED, this.origin);
      return Number(legacy);
    }
    return 0;
  }

  private async pullChanges(): Promise<number> {
    const { store } = this.options;
    let applied = 0;
    for (;;) {
      const since = this.cursor();
      const changes = await this.request<ChangesResponse>('GET', `/api/v1/sync/changes?since=${since}&limit=500`);
      for (const raw of changes.reviews) {
        const review = ReviewSchema.safeParse(raw);
        if (review.success && store.applyReview(review.data)) applied++;
      }
      if (changes.cursor <= since || changes.reviews.length === 0) break;
      store.setMeta(cursorKey(this.origin), String(changes.cursor));
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
      if (e.code === 'STOPPED') return null;
      this.failures++;
      const lastError = { code: e.code, message: e.message, at: Date.now() };
      if (!e.retryable) {
        // a retry cannot fix it (token refused, checkpoint refused, a redirect): stop asking until a person acts
        this.log.warn({ code: e.code, status: e.status, server: this.origin }, `sync blocked: ${e.message}`);
        this.setStatus({ state: 'blocked', lastError, nextAttemptAt: null });
        return null;
      }
      const delay = this.backoffDelay();
      this.log.warn({ code: e.code, status: e.status, retryable: e.retryable, failures: this.failures, retryInMs: delay }, `sync failed: ${e.message}`);
      this.setStatus({ state: 'backoff', lastError, nextAttemptAt: Date.now() + delay });
      return null;
    }
  }

  /** Delay before the next attempt: exponential in the failure count, capped, with jitter. */
  backoffDelay(): number {
    return backoffDelay(this.failures, this.options.backoff, this.options.random);
  }

  /** Runs until stop(): sync, then wait (interval when healthy, backoff after a failure, until retry() when blocked). */
  start(): void {
    this.loop.start();
  }

  /** New events were written: sync now instead of at the next interval (not during backoff, nor when blocked). */
  nudge(): void {
    if (this.current.state !== 'backoff' && this.current.state !== 'blocked') this.loop.wake();
  }

  /** The agent (or a new token) says try again: now, with a fresh backoff. */
  retry(): void {
    if (this.current.state !== 'blocked' && this.current.state !== 'backoff') return;
    this.failures = 0;
    this.setStatus({ state: 'idle', nextAttemptAt: null });
    this.loop.wake();
  }

  /** Stops the loop and aborts the request in flight; resolves when nothing of this client runs any more. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop.stop();
    this.setStatus({ state: 'disabled', nextAttemptAt: null });
  }
}
