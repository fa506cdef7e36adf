/**
 * The agent's queue seat in main (issue 12 items 2–3): the state the agent set in the status bar, a poll of
 * GET /api/v1/queue/agent while signed in (about every second while ready or offered, so an offer shows fast;
 * slower while busy or away), backoff on failures, and the actions: set state, accept, decline, and finish when
 * the queued call ends. Follows the backend URL in 设置 like the sync client: on a move the old client is stopped
 * (its request in flight aborted) and the agent is signed out there first, so the old backend does not keep
 * offering customers to a seat that no longer listens. Pushes QueueStatus to the renderer on every change.
 */
import { AppFailure } from '../../shared/errors';
import { QueueIdSchema, type AgentState, type AgentStatus } from '../../shared/queue';
import type { QueueAcceptResult, QueueStatus } from '../../shared/queue-desk';
import { backendOrigin } from '../../shared/settings';
import type { CallService } from '../call/call-service';
import type { CaseStore } from '../caselog/store';
import type { DeskService } from '../desk/desk-service';
import type { Logger } from '../log/logger';
import type { TokenFor } from '../settings/backend-tokens';
import { acceptOffer } from './queue-accept';
import { QueueClient, QueueError } from './queue-client';

export interface QueueTuning {
  /** Poll interval while ready or offered (default 1 s); used when the backend does not hold polls. */
  readyIntervalMs?: number;
  /** How long a ready agent's poll asks the backend to hold it until an offer comes (default 20 s; 0 = plain polls). */
  holdMs?: number;
  /** Poll interval while busy or away (default 5 s). */
  idleIntervalMs?: number;
  backoff?: { baseMs?: number; maxMs?: number };
  requestTimeoutMs?: number;
  /** How long signing out at a backend move or at close may take (default 2 s). */
  signOutTimeoutMs?: number;
  /** Attempts at POST …/finish after a queued call (default 3). */
  finishAttempts?: number;
  random?: () => number;
  fetch?: typeof fetch;
}

export interface QueueServiceOptions {
  settings: () => { agentId: string; backendUrl: string };
  tokenFor: TokenFor;
  log: Logger;
  emit: (status: QueueStatus) => void;
  store: Pick<CaseStore, 'openCase' | 'append'>;
  calls: Pick<CallService, 'startInRoom' | 'active'>;
  desk: Pick<DeskService, 'useReferencePhoto'> | null;
  /**
   * The agent's shift (src/main/shift/): throws (FORBIDDEN) when the seat may not take this state — any state but
   * offline needs a signed-in shift; ready also a passed face check when the center enables them.
   */
  presenceGate?: (state: AgentState) => void;
  tuning?: QueueTuning;
  now?: () => number;
}

/** Shown to the agent as it is (the renderer shows INVALID_INPUT's detail): 设置 is where the agent id is set. */
export const NO_AGENT_ID_MESSAGE = '未设置可用的坐席工号：请在“设置”中填写坐席工号（字母、数字及 . _ : -，最多 64 位）后再上线';
export const NO_TOKEN_MESSAGE = '后台令牌未设置：请在“设置”中填写后台令牌后再上线';

const offline = (server: string | null): QueueStatus => ({
  agentId: null,
  state: 'offline',
  reason: null,
  skills: [],
  offer: null,
  waiting: 0,
  clockOffsetMs: 0,
  link: 'off',
  server,
  lastError: null,
  nextAttemptAt: null,
  accepting: null,
  active: null,
});

function originOrNull(url: string): string | null {
  try {
    return backendOrigin(url);
  } catch {
    return null;
  }
}

export class QueueService {
  private client: QueueClient | null = null;
  private url: string | null = null;
  private status: QueueStatus = offline(null);
  /** The agent is signed in (a state other than offline) at the current backend: the poll runs. */
  private signedIn = false;
  private failures = 0;
  /** The last poll's hold: how long it asked for and how long the backend took (waitMs decides from it). */
  private lastHold: { askedMs: number; tookMs: number } | null = null;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private closed = false;
  /** Backend moves are applied one at a time. */
  private queue: Promise<void> = Promise.resolve();
  /** The backend URL each active queued call was accepted on: its finish goes there, wherever 设置 points by then. */
  private activeUrl: string | null = null;
  /** A reason the workstation itself gave with a state (e.g. presence_check_failed): the wire has none, so it is kept here while the state lasts. */
  private localReason: { state: AgentState; reason: string } | null = null;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly options: QueueServiceOptions) {
    this.log = options.log.child({ component: 'queue' });
    this.now = options.now ?? Date.now;
  }

  current(): QueueStatus {
    return snapshot(this.status);
  }

  /** Talks to the backend at `backendUrl` from now on (the same one again changes nothing). */
  connect(backendUrl: string): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed || backendUrl === this.url) return;
      const previous = this.client;
      const wasSignedIn = this.signedIn;
      this.signedIn = false;
      this.client = null;
      const previousUrl = this.url;
      this.url = backendUrl;
      // the poll in flight is aborted at once: nothing of it lands after the move
      previous?.stop();
      this.wake?.();
      await this.loop;
      if (previousUrl && wasSignedIn) await this.signOut(previousUrl);
      try {
        this.client = this.newClient(backendUrl);
      } catch (error) {
        this.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'the queue cannot use this backend URL');
      }
      const { active, accepting } = this.status;
      this.status = { ...offline(originOrNull(backendUrl)), active, accepting, reason: wasSignedIn ? 'backend_changed' : null };
      this.emit();
    });
  }

  /** A token was set or cleared: a poll that stopped on a refusal tries again. */
  refresh(): void {
    if (this.status.link === 'blocked' && this.client) {
      this.failures = 0;
      this.signedIn = true;
      this.patch({ link: 'polling', nextAttemptAt: null });
      this.ensureLoop();
      this.wake?.();
    }
  }

  /** 在线示闲 / 忙碌 / 小休 / 离线, for the agent id in 设置. */
  async setState(state: AgentState, localReason: string | null = null): Promise<QueueStatus> {
    await this.queue;
    this.options.presenceGate?.(state);
    const { client, agentId } = this.ready();
    const call = this.options.calls.active();
    if (state === 'ready' && call && !call.closed) throw new AppFailure('FORBIDDEN', '通话中不能示闲：请先结束当前通话');
    let answer: AgentStatus;
    try {
      answer = await client.setAgent(state, agentId);
    } catch (error) {
      this.noteError(error);
      throw error;
    }
    this.failures = 0;
    this.localReason = localReason ? { state, reason: localReason } : null;
    this.apply(answer, agentId);
    this.log.info({ state: answer.state, agentId, ...(localReason ? { reason: localReason } : {}) }, 'agent state set');
    this.ensureLoop();
    this.wake?.();
    return this.current();
  }

  async accept(requestId: string): Promise<QueueAcceptResult> {
    await this.queue;
    const { client, agentId } = this.ready();
    const offer = this.status.offer;
    if (!offer || offer.requestId !== requestId) throw new AppFailure('NOT_FOUND', '这位客户已不在待接列表中（已超时、已转给他人或已离开）');
    if (this.status.accepting) throw new AppFailure('FORBIDDEN', '正在接听中');
    const call = this.options.calls.active();
    if (call && !call.closed) throw new AppFailure('FORBIDDEN', '通话中不能接听新的客户：请先结束当前通话');
    this.patch({ accepting: requestId });
    try {
      const { info, active } = await acceptOffer(
        { client, store: this.options.store, calls: this.options.calls, desk: this.options.desk, agentId, log: this.log, serverNow: () => this.now() + this.status.clockOffsetMs },
        offer,
      );
      this.activeUrl = this.url;
      // the backend makes the seat busy at accept; the next poll confirms it
      this.patch({ accepting: null, offer: null, state: 'busy', reason: null, active });
      this.wake?.();
      return { ...info, active };
    } catch (error) {
      const gone = error instanceof QueueError && (error.backendCode === 'OFFER_GONE' || error.backendCode === 'NOT_FOUND');
      this.patch({ accepting: null, ...(gone ? { offer: null } : {}) });
      this.wake?.();
      throw error;
    }
  }

  async decline(requestId: string): Promise<QueueStatus> {
    await this.queue;
    const { client, agentId } = this.ready();
    if (this.status.offer?.requestId !== requestId) throw new AppFailure('NOT_FOUND', '这位客户已不在待接列表中');
    try {
      await client.decline(requestId);
    } catch (error) {
      if (!(error instanceof QueueError && error.backendCode === 'OFFER_GONE')) throw error;
    }
    this.log.info({ requestId }, 'queue offer declined');
    this.patch({ offer: null });
    // what the backend did with the seat (it may pass the next customer at once)
    try {
      this.apply(await client.getAgent(), agentId);
    } catch (error) {
      this.noteError(error);
    }
    return this.current();
  }

  /** CallService's onEnded: a queued call is over, the backend is told (a few tries; the call is over regardless). */
  onCallEnded(ended: { callId: string }): void {
    const active = this.status.active;
    if (!active || active.callId !== ended.callId) return;
    const url = this.activeUrl ?? this.url;
    this.activeUrl = null;
    this.patch({ active: null });
    if (!url) return;
    void this.finish(url, active.requestId).finally(() => this.wake?.());
  }

  /** Shutdown: the seat is signed out (briefly), the poll stopped. */
  async close(): Promise<void> {
    await this.enqueue(async () => {
      this.closed = true;
      const wasSignedIn = this.signedIn;
      this.signedIn = false;
      this.client?.stop();
      this.client = null;
      this.wake?.();
      await this.loop;
      if (this.url && wasSignedIn) await this.signOut(this.url);
    });
  }

  // ---- internals ------------------------------------------------------------------------------------------

  private ready(): { client: QueueClient; agentId: string } {
    if (this.closed) throw new AppFailure('UNAVAILABLE', 'the workstation is closing');
    const { agentId } = this.options.settings();
    if (!QueueIdSchema.safeParse(agentId).success) throw new AppFailure('INVALID_INPUT', NO_AGENT_ID_MESSAGE);
    const client = this.client;
    if (!client) throw new AppFailure('UNAVAILABLE', '后台地址不可用：请在“设置”中检查后台地址');
    if (!this.options.tokenFor(client.origin)) throw new AppFailure('UNAVAILABLE', NO_TOKEN_MESSAGE);
    return { client, agentId };
  }

  /** A client for one backend URL: the token is asked for that URL's origin at each request. */
  private newClient(backendUrl: string): QueueClient {
    return new QueueClient({ backendUrl, tokenFor: this.options.tokenFor, fetch: this.options.tuning?.fetch, timeoutMs: this.options.tuning?.requestTimeoutMs });
  }

  private async finish(url: string, requestId: string): Promise<void> {
    let client: QueueClient;
    try {
      client = this.newClient(url);
    } catch {
      return;
    }
    const attempts = this.options.tuning?.finishAttempts ?? 3;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await client.finish(requestId);
        this.log.info({ requestId }, 'queued call finished on the backend');
        return;
      } catch (error) {
        const retryable = error instanceof QueueError && error.retryable && error.backendCode !== 'NOT_FOUND' && error.backendCode !== 'NOT_WAITING';
        this.log.warn({ requestId, attempt, code: error instanceof QueueError ? error.backendCode : 'INTERNAL' }, 'finishing the queued call on the backend failed');
        if (!retryable || attempt === attempts) return;
        await new Promise((r) => setTimeout(r, this.backoffDelay(attempt)));
      }
    }
  }

  /** Tells a backend this seat no longer listens (a move to another backend, the app closing); briefly, best effort. */
  private async signOut(url: string): Promise<void> {
    const { agentId } = this.options.settings();
    if (!QueueIdSchema.safeParse(agentId).success) return;
    let client: QueueClient;
    try {
      client = this.newClient(url);
    } catch {
      return;
    }
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, this.options.tuning?.signOutTimeoutMs ?? 2_000).unref());
    await Promise.race([
      client.setAgent('offline', agentId).then(
        () => this.log.info({ server: client.origin }, 'agent signed out of the queue'),
        (error: unknown) => this.log.warn({ server: client.origin, code: error instanceof QueueError ? error.backendCode : 'INTERNAL' }, 'signing out of the queue failed'),
      ),
      timeout,
    ]);
    // a sign-out still in flight after the timeout is not waited for, nor left running
    client.stop();
  }

  /** The poll: runs while signed in at the current client; one loop at a time. */
  private ensureLoop(): void {
    if (this.loop || !this.signedIn) return;
    const client = this.client;
    if (!client) return;
    this.loop = (async () => {
      while (this.signedIn && this.client === client && !this.closed) {
        await this.sleep(this.waitMs());
        if (!this.signedIn || this.client !== client || this.closed) break;
        const { agentId } = this.options.settings();
        try {
          // ready without an offer: the backend holds the poll until one is made for this agent (or the hold ends)
          const hold = this.status.state === 'ready' && !this.status.offer && this.status.link === 'polling' ? (this.options.tuning?.holdMs ?? 20_000) : 0;
          const askedAt = this.now();
          const answer = await client.getAgent(hold);
          this.lastHold = hold > 0 ? { askedMs: hold, tookMs: this.now() - askedAt } : null;
          if (this.client !== client) break;
          this.failures = 0;
          this.apply(answer, agentId);
        } catch (error) {
          if (this.client !== client || (error instanceof QueueError && error.backendCode === 'STOPPED')) break;
          this.noteError(error);
        }
      }
    })().finally(() => {
      this.loop = null;
    });
  }

  private waitMs(): number {
    const { link, nextAttemptAt, state, offer } = this.status;
    if (link === 'backoff' && nextAttemptAt !== null) return Math.max(0, nextAttemptAt - this.now());
    if (link === 'blocked') return Number.POSITIVE_INFINITY;
    const tuning = this.options.tuning;
    // the last poll was held by the backend (it took about as long as asked, or an offer ended it): ask again at
    // once; a backend that answers at once (an older one) is polled at the interval instead
    const held = this.lastHold !== null && this.lastHold.tookMs >= Math.min(1_000, this.lastHold.askedMs);
    if (held && state === 'ready' && !offer) return 0;
    return state === 'ready' || offer ? (tuning?.readyIntervalMs ?? 1_000) : (tuning?.idleIntervalMs ?? 5_000);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(resolve, ms) : null;
      this.wake = () => {
        if (timer) clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  /** A failed request: backoff when a retry may help, blocked (until the agent or a new token acts) when not. */
  private noteError(error: unknown): void {
    const queueError = error instanceof QueueError ? error : null;
    const lastError = { code: queueError?.backendCode ?? (error instanceof AppFailure ? error.code : 'INTERNAL'), message: error instanceof Error ? error.message.slice(0, 300) : String(error), at: this.now() };
    if (!queueError || queueError.backendCode === 'STOPPED') {
      this.patch({ lastError });
      return;
    }
    if (!this.signedIn) {
      this.patch({ lastError });
      return;
    }
    this.failures++;
    if (!queueError.retryable) {
      this.log.warn({ code: queueError.backendCode, status: queueError.status }, 'queue poll stopped: a person has to act (token, backend URL)');
      this.patch({ link: 'blocked', lastError, nextAttemptAt: null });
      return;
    }
    const delay = this.backoffDelay(this.failures);
    this.log.warn({ code: queueError.backendCode, status: queueError.status, failures: this.failures, retryInMs: delay }, 'queue poll failed');
    this.patch({ link: 'backoff', lastError, nextAttemptAt: this.now() + delay });
  }

  /** Exponential in the failure count, capped, with jitter (like sync). */
  private backoffDelay(failures: number): number {
    const base = this.options.tuning?.backoff?.baseMs ?? 1_000;
    const max = this.options.tuning?.backoff?.maxMs ?? 30_000;
    const cap = Math.min(max, base * 2 ** Math.min(failures - 1, 20));
    const random = this.options.tuning?.random ?? Math.random;
    return Math.round(cap / 2 + (random() * cap) / 2);
  }

  /** The backend's answer becomes the status; the poll runs while the backend says the agent is not offline. */
  private apply(answer: AgentStatus, agentId: string): void {
    this.signedIn = answer.state !== 'offline';
    const offer = answer.offer && this.status.active ? null : answer.offer;
    this.patch({
      agentId: answer.agentId ?? agentId,
      state: answer.state,
      reason: answer.reason ?? (this.localReason?.state === answer.state ? this.localReason.reason : null),
      skills: answer.skills,
      offer,
      waiting: answer.waiting,
      clockOffsetMs: answer.serverTime - this.now(),
      link: this.signedIn ? 'polling' : 'off',
      lastError: null,
      nextAttemptAt: null,
    });
  }

  /** Changes the status; emits only when something the agent sees changed (not the clock offset of every poll). */
  private patch(next: Partial<QueueStatus>): void {
    const before = visible(this.status);
    this.status = { ...this.status, ...next };
    if (visible(this.status) !== before) this.emit();
  }

  private emit(): void {
    this.options.emit(this.current());
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step).catch((error: unknown) => this.log.error({ err: error instanceof Error ? error.message : String(error) }, 'changing the queue backend failed'));
    this.queue = run;
    return run;
  }
}

function visible(status: QueueStatus): string {
  const { clockOffsetMs: _offset, lastError, ...rest } = status;
  return JSON.stringify({ ...rest, lastError: lastError ? `${lastError.code}:${lastError.message}` : null });
}

function snapshot(status: QueueStatus): QueueStatus {
  return structuredClone(status);
}
