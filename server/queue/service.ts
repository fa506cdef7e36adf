/**
 * The queue of one server instance: its options, and the job that keeps routing moving. Dispatch runs when
 * something changes here (an enqueue, an agent ready, a decline, a lapse, a finish: `kick`) and on a timer, so
 * changes made through another instance are picked up within one interval. Every instance runs the same job on
 * the shared tables; the SQL makes each decision once (routing.ts, sweeps.ts).
 */
import { QUEUE_LIMITS } from '../../src/shared/queue';
import type { ServerDb } from '../db/database';
import { AgentWakeups } from './agent-wakeups';
import { dispatch, type DispatchResult } from './routing';
import { abandonAbsent, lapseOffers } from './sweeps';

export interface QueueOptions {
  /** An offer not accepted in this time lapses and passes on (default QUEUE_LIMITS.defaultOfferTimeoutMs, 15 s). */
  offerTimeoutMs?: number;
  /** A waiting customer whose page has not polled this long is abandoned, and is not offered meanwhile (default 30 s). */
  presenceTimeoutMs?: number;
  /** A hand-over whose join link was never opened is abandoned after this (default 10 min). */
  firstSeenTimeoutMs?: number;
  /** How often each instance sweeps and dispatches (default 500 ms). */
  dispatchIntervalMs?: number;
  /** Customer status / leave requests per minute per client address (default 600). */
  customerPerIpPerMinute?: number;
  /** The clock (epoch ms; tests inject one). */
  now?: () => number;
}

export type ResolvedQueueOptions = Required<QueueOptions>;

/** The two log levels the job writes (a pino logger or Fastify's). */
export interface QueueLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * customerPerIpPerMinute 600: a waiting page polls every 2 s (30 a minute), so one carrier NAT address can hold
 * 20 waiting customers; the routes are exempt from the global per-address budget (300, shared with page loads).
 */
export function resolveQueueOptions(o: QueueOptions = {}): ResolvedQueueOptions {
  const r: ResolvedQueueOptions = {
    offerTimeoutMs: o.offerTimeoutMs ?? QUEUE_LIMITS.defaultOfferTimeoutMs,
    presenceTimeoutMs: o.presenceTimeoutMs ?? QUEUE_LIMITS.defaultPresenceTimeoutMs,
    firstSeenTimeoutMs: o.firstSeenTimeoutMs ?? 10 * 60_000,
    dispatchIntervalMs: o.dispatchIntervalMs ?? 500,
    customerPerIpPerMinute: o.customerPerIpPerMinute ?? 600,
    now: o.now ?? Date.now,
  };
  for (const k of ['offerTimeoutMs', 'presenceTimeoutMs', 'firstSeenTimeoutMs', 'dispatchIntervalMs', 'customerPerIpPerMinute'] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 1) throw new Error(`queue.${k} must be a positive integer`);
  }
  return r;
}

export class QueueService {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  /** The last round's outcome (tests and the benchmark read it). */
  last: DispatchResult = { offered: [], lost: 0 };

  /** Held agent polls, woken when an offer is made or lapses on any instance. */
  readonly wakeups: AgentWakeups;

  constructor(
    private readonly db: ServerDb,
    private readonly log: QueueLog,
    readonly options: ResolvedQueueOptions,
  ) {
    this.wakeups = new AgentWakeups(db);
  }

  now(): number {
    return this.options.now();
  }

  async start(): Promise<void> {
    await this.wakeups.start();
    this.timer ??= setInterval(() => void this.kick(), this.options.dispatchIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.again = false;
    await this.running;
    await this.wakeups.stop();
  }

  /** Sweeps and dispatches now; a kick during a round runs one more round after it (never two at once per instance). */
  kick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.round();
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private async round(): Promise<void> {
    const now = this.now();
    try {
      const lapsed = await lapseOffers(this.db, now);
      for (const l of lapsed) this.log.info({ request: l.requestId, workstation: l.workstation }, 'queue offer lapsed; agent set away (missed_offer)');
      const abandoned = await abandonAbsent(this.db, now, this.options);
      if (abandoned.length > 0) this.log.info({ abandoned: abandoned.length }, 'queue requests abandoned (customer page gone)');
      this.last = await dispatch(this.db, now, this.options);
      for (const o of this.last.offered) this.log.info({ request: o.requestId, workstation: o.workstation }, 'queue offer made');
      // the agents whose offer appeared or went: their held polls answer now, on whichever instance holds them
      await this.wakeups.announce([...lapsed.map((l) => l.workstation), ...this.last.offered.map((o) => o.workstation)]);
    } catch (error) {
      this.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'queue dispatch failed');
    }
  }
}
