/**
 * FrameScheduler: which frame the engine analyses next, so two cores are shared fairly during a call.
 *
 *  - one slot per stream (a newer frame replaces the waiting one, counted as dropped): never a queue;
 *  - budgets by stream role: the customer's stream (`call-…`) first and as fast as the engine can; the
 *    agent's own camera throttled to `throttledFps` while a customer stream is live (alone, it runs free);
 *  - `load`: the share of the last second the engine spent on frames; `degraded`: a priority stream gets
 *    fewer analysed frames than it needs (below `targetFps` while offering more), so the UI can say 分析降级.
 *
 * Pure bookkeeping with an injected clock: no timers, no I/O (unit-tested in tests/unit/engine/scheduler.test.ts).
 */
import { LatestFrameMailbox } from '../frames/latest-frame-mailbox';

export interface SchedulerOptions {
  /** The agent camera's budget while a customer stream is live (frames/s). */
  throttledFps?: number;
  /** What a priority stream needs for blink and head-turn challenges (frames/s). */
  targetFps?: number;
  /** Window for load, rates and degraded (ms). */
  windowMs?: number;
  /** A stream that sent nothing for this long no longer counts as live (ms). */
  liveAfterMs?: number;
}

export interface Waiting<T> {
  item: T;
  /** Frames of this stream replaced while waiting (since the last dispatch). */
  dropped: number;
}

export interface StreamRates {
  streamId: string;
  priority: boolean;
  offeredFps: number;
  analysedFps: number;
  droppedFps: number;
}

/** Customer streams are named `call-<callId>` (src/main/call/call-stream.ts); everything else is the agent's. */
export const isCustomerStream = (streamId: string) => streamId.startsWith('call-');

interface StreamBook {
  offered: number[];
  analysed: number[];
  dropped: number[];
  lastDispatchAt: number;
  lastOfferAt: number;
}

export class FrameScheduler<T> {
  private readonly mailbox = new LatestFrameMailbox<Waiting<T>>();
  private readonly books = new Map<string, StreamBook>();
  /** [start, end] of frame work in the engine, for load. */
  private readonly busy: Array<[number, number]> = [];
  private busySince: number | null = null;
  private lastPicked = '';
  private readonly throttledFps: number;
  private readonly targetFps: number;
  private readonly windowMs: number;
  private readonly liveAfterMs: number;

  constructor(options: SchedulerOptions = {}) {
    this.throttledFps = options.throttledFps ?? 5;
    this.targetFps = options.targetFps ?? 15;
    this.windowMs = options.windowMs ?? 1000;
    this.liveAfterMs = options.liveAfterMs ?? 1000;
  }

  /** Offers a frame; returns the frame it replaced (dropped), if any. */
  offer(streamId: string, item: T, now: number): T | undefined {
    const book = this.book(streamId);
    book.offered.push(now);
    book.lastOfferAt = now;
    const entry: Waiting<T> = { item, dropped: 0 };
    const previous = this.mailbox.put(streamId, entry);
    if (previous) {
      entry.dropped = previous.dropped + 1;
      book.dropped.push(now);
      return previous.item;
    }
    return undefined;
  }

  /**
   * The next frame to analyse, or null (nothing waiting, or only streams whose budget has no room yet).
   * Priority streams first; among equals, round-robin by stream id.
   */
  next(now: number): { streamId: string; item: T; dropped: number } | null {
    const waiting = this.mailbox.pendingStreams().sort();
    if (waiting.length === 0) return null;
    const eligible = waiting.filter((id) => this.hasBudget(id, now));
    if (eligible.length === 0) return null;
    const priority = eligible.filter((id) => this.isPriority(id, now));
    const pool = priority.length > 0 ? priority : eligible;
    const streamId = pool.find((id) => id > this.lastPicked) ?? pool[0]!;
    this.lastPicked = streamId;
    const entry = this.mailbox.take(streamId)!;
    const book = this.book(streamId);
    book.lastDispatchAt = now;
    return { streamId, item: entry.item, dropped: entry.dropped };
  }

  /** The engine started on a frame. */
  started(now: number): void {
    this.busySince = now;
  }

  /** The engine finished a frame of this stream (result or error). */
  finished(streamId: string, now: number): void {
    if (this.busySince !== null) this.busy.push([this.busySince, now]);
    this.busySince = null;
    this.books.get(streamId)?.analysed.push(now);
    this.prune(now);
  }

  /** The engine went away with a frame in it: nothing was analysed, the busy time still counts. */
  abandoned(now: number): void {
    if (this.busySince !== null) this.busy.push([this.busySince, now]);
    this.busySince = null;
  }

  /** Forgets a stream: its waiting frame (returned, so its caller can be told) and its rates. */
  release(streamId: string): T | undefined {
    const waiting = this.mailbox.take(streamId);
    this.books.delete(streamId);
    return waiting?.item;
  }

  /** Drops every waiting frame; returns them so their callers can be told. */
  clearWaiting(): T[] {
    const items = this.mailbox.pendingStreams().map((id) => this.mailbox.take(id)!.item);
    return items;
  }

  get waiting(): number {
    return this.mailbox.size;
  }

  streams(): string[] {
    return [...new Set([...this.books.keys(), ...this.mailbox.pendingStreams()])];
  }

  /** Share of the last window the engine spent on frames, 0..1. */
  load(now: number): number {
    this.prune(now);
    const from = now - this.windowMs;
    let total = 0;
    for (const [s, e] of this.busy) total += Math.max(0, e - Math.max(s, from));
    if (this.busySince !== null) total += now - Math.max(this.busySince, from);
    return Math.min(1, total / this.windowMs);
  }

  rates(now: number): StreamRates[] {
    this.prune(now);
    const perSecond = (times: number[]) => (times.length * 1000) / this.windowMs;
    return [...this.books.entries()].map(([streamId, b]) => ({
      streamId,
      priority: this.isPriority(streamId, now),
      offeredFps: perSecond(b.offered),
      analysedFps: perSecond(b.analysed),
      droppedFps: perSecond(b.dropped),
    }));
  }

  /**
   * A priority stream that offers enough frames is analysed below what the challenges need (targetFps, or
   * 80 % of what it offers when it offers less). A stream that offers few frames is not the engine's fault.
   */
  degraded(now: number): boolean {
    return this.rates(now).some((r) => {
      if (!r.priority || now - (this.books.get(r.streamId)?.lastOfferAt ?? 0) > this.liveAfterMs) return false;
      const need = Math.min(this.targetFps, 0.8 * r.offeredFps);
      return r.offeredFps >= 5 && r.analysedFps < need;
    });
  }

  private isPriority(streamId: string, now: number): boolean {
    return isCustomerStream(streamId) || !this.customerLive(now);
  }

  private customerLive(now: number): boolean {
    for (const [id, b] of this.books) if (isCustomerStream(id) && now - b.lastOfferAt <= this.liveAfterMs) return true;
    return false;
  }

  private hasBudget(streamId: string, now: number): boolean {
    if (this.isPriority(streamId, now)) return true;
    const last = this.books.get(streamId)?.lastDispatchAt ?? -Infinity;
    return now - last >= 1000 / this.throttledFps;
  }

  private book(streamId: string): StreamBook {
    let b = this.books.get(streamId);
    if (!b) {
      b = { offered: [], analysed: [], dropped: [], lastDispatchAt: -Infinity, lastOfferAt: -Infinity };
      this.books.set(streamId, b);
    }
    return b;
  }

  private prune(now: number): void {
    const from = now - this.windowMs;
    while (this.busy.length > 0 && this.busy[0]![1] < from) this.busy.shift();
    for (const b of this.books.values()) {
      for (const list of [b.offered, b.analysed, b.dropped]) while (list.length > 0 && list[0]! < from) list.shift();
    }
  }
}
