/**
 * The frame scheduler's budgets and drops, on an injected clock: the customer's stream first, the agent's
 * camera throttled only while a customer stream is live, frames replaced (never queued), load and degraded.
 */
import { describe, expect, it } from 'vitest';
import { FrameScheduler } from '../../../src/main/engine/scheduler';

const CUSTOMER = 'call-0123456789abcdef';

describe('FrameScheduler', () => {
  it('keeps one frame per stream: a newer frame replaces the waiting one and is counted as dropped', () => {
    const s = new FrameScheduler<number>();
    expect(s.offer(CUSTOMER, 1, 0)).toBeUndefined();
    expect(s.offer(CUSTOMER, 2, 10)).toBe(1);
    expect(s.offer(CUSTOMER, 3, 20)).toBe(2);
    expect(s.waiting).toBe(1);
    expect(s.next(30)).toEqual({ streamId: CUSTOMER, item: 3, dropped: 2 });
    expect(s.next(30)).toBeNull();
  });

  it('gives the customer stream the engine first while both streams wait', () => {
    const s = new FrameScheduler<string>();
    let t = 0;
    const picked: string[] = [];
    for (let i = 0; i < 30; i++, t += 33) {
      s.offer('agent', `a${i}`, t);
      s.offer(CUSTOMER, `c${i}`, t);
      const n = s.next(t);
      if (n) {
        picked.push(n.streamId);
        s.started(t);
        s.finished(n.streamId, t + 20);
      }
    }
    // every slot went to the customer; the agent's camera waits for a free engine
    expect(picked.every((id) => id === CUSTOMER)).toBe(true);
  });

  it('throttles the agent camera to its budget while a customer stream is live, and lets it run free alone', () => {
    const s = new FrameScheduler<number>({ throttledFps: 5 });
    let agentWithCall = 0;
    // 2 s with a call: the engine is idle between customer frames, the agent offers 30 frames/s
    for (let t = 0; t < 2000; t += 33) {
      s.offer(CUSTOMER, t, t);
      s.offer('agent', t, t + 1);
      for (let n = s.next(t + 2); n; n = s.next(t + 2)) {
        if (n.streamId === 'agent') agentWithCall++;
        s.started(t + 2);
        s.finished(n.streamId, t + 3);
      }
    }
    expect(agentWithCall).toBeGreaterThanOrEqual(9);
    expect(agentWithCall).toBeLessThanOrEqual(11);
    // the call ended more than a second ago: the agent camera is the priority stream again
    let agentAlone = 0;
    for (let t = 4000; t < 5000; t += 33) {
      s.offer('agent', t, t);
      const n = s.next(t + 1);
      if (n) {
        agentAlone++;
        s.started(t + 1);
        s.finished(n.streamId, t + 2);
      }
    }
    expect(agentAlone).toBeGreaterThanOrEqual(29);
  });

  it('reports load as the busy share of the last second', () => {
    const s = new FrameScheduler<number>({ windowMs: 1000 });
    for (let t = 0; t < 1000; t += 100) {
      s.offer(CUSTOMER, t, t);
      s.next(t);
      s.started(t);
      s.finished(CUSTOMER, t + 25);
    }
    expect(s.load(1000)).toBeCloseTo(0.25, 2);
    // an engine stuck in one frame for the whole window
    s.offer(CUSTOMER, 1, 1000);
    s.next(1000);
    s.started(1000);
    expect(s.load(2000)).toBeCloseTo(1, 2);
  });

  it('calls a customer stream degraded when fewer than 15 of its 30 frames/s are analysed, not when it offers few', () => {
    const fast = new FrameScheduler<number>();
    // the engine takes 100 ms a frame: 10 analysed of 30 offered per second
    let busyUntil = 0;
    for (let t = 0; t <= 2000; t += 33) {
      if (busyUntil <= t) {
        // finish the previous frame, if any
        fast.finished(CUSTOMER, t);
      }
      fast.offer(CUSTOMER, t, t);
      if (busyUntil <= t && fast.next(t)) {
        fast.started(t);
        busyUntil = t + 100;
      }
    }
    expect(fast.degraded(2000)).toBe(true);

    const slowSource = new FrameScheduler<number>();
    // a camera that delivers 8 frames/s, all analysed
    for (let t = 0; t <= 2000; t += 125) {
      slowSource.offer(CUSTOMER, t, t);
      slowSource.next(t);
      slowSource.started(t);
      slowSource.finished(CUSTOMER, t + 10);
    }
    expect(slowSource.degraded(2000)).toBe(false);
    const rates = slowSource.rates(2000);
    expect(rates[0]!.analysedFps).toBeGreaterThanOrEqual(7);
  });

  it('forgets a released stream and hands back its waiting frame', () => {
    const s = new FrameScheduler<string>();
    s.offer(CUSTOMER, 'x', 0);
    expect(s.release(CUSTOMER)).toBe('x');
    expect(s.streams()).toEqual([]);
    expect(s.next(1)).toBeNull();
  });
});
