/**
 * Long-poll wakeups for agents (GET /api/v1/queue/agent?waitMs=…): a ready agent's request is held until its offer
 * changes — made, lapsed, withdrawn — on ANY instance, or the wait ends. Changes are announced over one
 * PostgreSQL NOTIFY channel (PGlite has the same in one process), so the instance that made an offer need not be
 * the one holding the agent's request. The payload is the workstation id only (1-64 characters of a token name,
 * nothing secret). Without the long poll an offer became visible only at the agent's next poll: on PostgreSQL
 * with two instances that was the whole poll interval (bench:queue).
 */
import type { ServerDb } from '../db/database';

export const AGENT_WAKEUP_CHANNEL = 'vd_queue_agent';

/** The longest hold of one request: below every HTTP timeout on the way (server/app.ts DEFAULT_TIMEOUTS, proxies' 60 s). */
export const MAX_AGENT_WAIT_MS = 25_000;

export interface AgentWait {
  /** Resolves on a wakeup for this workstation or when the wait ends. */
  done: Promise<void>;
  /** Ends the wait now (the answer is already known, or the client went away). */
  cancel(): void;
}

export class AgentWakeups {
  private readonly waiters = new Map<string, Set<() => void>>();
  private unlisten: (() => Promise<void>) | null = null;

  constructor(private readonly db: ServerDb) {}

  async start(): Promise<void> {
    this.unlisten ??= await this.db.listen(AGENT_WAKEUP_CHANNEL, (payload) => this.wakeHere(payload));
  }

  async stop(): Promise<void> {
    const unlisten = this.unlisten;
    this.unlisten = null;
    await unlisten?.();
    // held requests answer now, with the state as it is
    for (const set of this.waiters.values()) for (const wake of [...set]) wake();
  }

  /** Registered BEFORE the caller reads the status, so a change between that read and the wait is not missed. */
  wait(workstation: string, ms: number): AgentWait {
    let wake!: () => void;
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => wake(), ms);
      wake = () => {
        clearTimeout(timer);
        const set = this.waiters.get(workstation);
        set?.delete(wake);
        if (set?.size === 0) this.waiters.delete(workstation);
        resolve();
      };
    });
    const set = this.waiters.get(workstation) ?? new Set();
    set.add(wake);
    this.waiters.set(workstation, set);
    return { done, cancel: wake };
  }

  /** Tells every instance that these workstations' offers changed. */
  async announce(workstations: Iterable<string>): Promise<void> {
    for (const workstation of new Set(workstations)) await this.db.notify(AGENT_WAKEUP_CHANNEL, workstation);
  }

  /** How many requests this instance holds (tests). */
  get held(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  private wakeHere(workstation: string): void {
    for (const wake of [...(this.waiters.get(workstation) ?? [])]) wake();
  }
}
