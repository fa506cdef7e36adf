/**
 * When the next random face check of a shift falls: uniformly within [min, max] minutes after the previous one,
 * drawn from the injected random source (the OS CSPRNG in the app: src/main/verification/random.ts), so the agent
 * cannot know it. One timer at a time; stop() (sign-out) cancels it.
 */
import type { RandomSource } from '../verification/challenge';

export interface SchedulerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const nodeTimers: SchedulerTimers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    // a pending check never keeps the process alive on its own
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface CheckSchedulerOptions {
  random: RandomSource;
  onDue: () => void;
  now?: () => number;
  timers?: SchedulerTimers;
}

/** A delay in ms uniformly in [min, max] minutes (random in [0, 1)). */
export function randomDelayMs(random: RandomSource, minMinutes: number, maxMinutes: number): number {
  const lo = Math.min(minMinutes, maxMinutes);
  const hi = Math.max(minMinutes, maxMinutes);
  const r = random();
  if (!(r >= 0 && r < 1)) throw new RangeError(`random source returned ${r}, not a number in [0, 1)`);
  return Math.round((lo + r * (hi - lo)) * 60_000);
}

export class CheckScheduler {
  private handle: unknown = null;
  private dueAt: number | null = null;
  private readonly timers: SchedulerTimers;
  private readonly now: () => number;

  constructor(private readonly options: CheckSchedulerOptions) {
    this.timers = options.timers ?? nodeTimers;
    this.now = options.now ?? Date.now;
  }

  /** Schedules the next check (replacing one already scheduled); returns when it is due. */
  scheduleNext(minMinutes: number, maxMinutes: number): number {
    this.stop();
    const delay = randomDelayMs(this.options.random, minMinutes, maxMinutes);
    const dueAt = this.now() + delay;
    this.dueAt = dueAt;
    this.handle = this.timers.setTimeout(() => {
      this.handle = null;
      this.dueAt = null;
      this.options.onDue();
    }, delay);
    return dueAt;
  }

  stop(): void {
    if (this.handle !== null) this.timers.clearTimeout(this.handle);
    this.handle = null;
    this.dueAt = null;
  }

  /** When the scheduled check is due (null: none scheduled). */
  next(): number | null {
    return this.dueAt;
  }
}
