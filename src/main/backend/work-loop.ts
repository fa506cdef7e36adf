/**
 * The loop a backend worker runs (the sync client, the recording uploader): one attempt, then a wait — the
 * interval when healthy, the backoff after a failure, or until woken when blocked — until stopped. wake() cuts
 * the wait short (a nudge, a retry, a stop).
 */

export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/** Delay before the next attempt after `failures` failures: exponential, capped, with jitter in [cap/2, cap]. */
export function backoffDelay(failures: number, backoff: Partial<Backoff> = {}, random: () => number = Math.random): number {
  const base = backoff.baseMs ?? 1000;
  const max = backoff.maxMs ?? 5 * 60_000;
  const cap = Math.min(max, base * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

export class WorkLoop {
  private running = false;
  private loop: Promise<void> | null = null;
  private waking: (() => void) | null = null;

  /**
   * `attempt` never throws and says whether it went well; `waitMs` says how long to wait after it (null: until
   * woken — the worker is blocked until a person acts).
   */
  constructor(private readonly work: { attempt(): Promise<boolean>; waitMs(ok: boolean): number | null }) {}

  get active(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const ok = await this.work.attempt();
        if (!this.running) break;
        const wait = this.work.waitMs(ok);
        await new Promise<void>((resolve) => {
          const t = wait === null ? null : setTimeout(resolve, wait);
          this.waking = () => {
            if (t) clearTimeout(t);
            resolve();
          };
        });
        this.waking = null;
      }
    })();
  }

  /** Ends the current wait now. */
  wake(): void {
    this.waking?.();
  }

  /** Resolves when the attempt in progress (abort it first) and the loop are over. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    this.loop = null;
  }
}
