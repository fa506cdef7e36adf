/**
 * The random face-check schedule: delays uniformly within [min, max] minutes drawn from the injected random source
 * (never Math.random), one pending timer at a time, and nothing left running after sign-out.
 */
import { describe, expect, it, vi } from 'vitest';
import { CheckScheduler, randomDelayMs } from '../../../src/main/shift/check-scheduler';
import { secureRandom } from '../../../src/main/verification/random';
import { calibration, idPhoto } from '../verification/builder';
import { harness, ManualTimers, tinyJpegBase64 } from './shift-support';

describe('randomDelayMs', () => {
  it('maps the random source onto [min, max] minutes', () => {
    expect(randomDelayMs(() => 0, 30, 90)).toBe(30 * 60_000);
    expect(randomDelayMs(() => 0.5, 30, 90)).toBe(60 * 60_000);
    expect(randomDelayMs(() => 0.999999, 30, 90)).toBeLessThanOrEqual(90 * 60_000);
    expect(randomDelayMs(() => 0.999999, 30, 90)).toBeGreaterThan(89.99 * 60_000);
    expect(randomDelayMs(() => 0.3, 45, 45)).toBe(45 * 60_000);
  });

  it('stays in range over many draws of the OS CSPRNG and spreads over it', () => {
    const delays = Array.from({ length: 2000 }, () => randomDelayMs(secureRandom, 10, 20) / 60_000);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...delays)).toBeLessThanOrEqual(20);
    // both halves of the range are drawn (a constant or a skewed source would not do this)
    expect(delays.filter((d) => d < 15).length).toBeGreaterThan(800);
    expect(delays.filter((d) => d >= 15).length).toBeGreaterThan(800);
  });

  it('refuses a broken random source instead of scheduling at a wrong time', () => {
    expect(() => randomDelayMs(() => 1, 10, 20)).toThrow(RangeError);
    expect(() => randomDelayMs(() => Number.NaN, 10, 20)).toThrow(RangeError);
  });
});

describe('CheckScheduler', () => {
  it('uses only the injected random source, fires once per schedule and forgets the time after firing', () => {
    const mathRandom = vi.spyOn(Math, 'random');
    const timers = new ManualTimers();
    const draws = [0.25, 0.75];
    const random = vi.fn(() => draws.shift()!);
    const onDue = vi.fn();
    const scheduler = new CheckScheduler({ random, onDue, timers, now: () => 1_000 });
    expect(scheduler.scheduleNext(10, 30)).toBe(1_000 + 15 * 60_000);
    expect(timers.delays()).toEqual([15 * 60_000]);
    // rescheduling replaces the pending timer
    scheduler.scheduleNext(10, 30);
    expect(timers.delays()).toEqual([25 * 60_000]);
    timers.fire(25 * 60_000);
    expect(onDue).toHaveBeenCalledTimes(1);
    expect(scheduler.next()).toBeNull();
    expect(random).toHaveBeenCalledTimes(2);
    expect(mathRandom).not.toHaveBeenCalled();
    mathRandom.mockRestore();
  });

  it('stop() cancels the pending check', () => {
    const timers = new ManualTimers();
    const onDue = vi.fn();
    const scheduler = new CheckScheduler({ random: () => 0.1, onDue, timers });
    scheduler.scheduleNext(5, 10);
    scheduler.stop();
    expect(timers.pending.size).toBe(0);
    expect(scheduler.next()).toBeNull();
    expect(onDue).not.toHaveBeenCalled();
  });
});

describe('the shift schedules random checks only while signed in', () => {
  it('schedules at sign-in with the random source and stops everything at sign-out', async () => {
    const embedding = Array.from({ length: 512 }, () => 0.1);
    const h = harness({
      // the face the engine "sees" is the enrolled one: this test is about the schedule, not the engine
      engine: { analyzeImage: async () => idPhoto(embedding), getCalibration: () => calibration() },
      faceCheck: { enabled: true, minIntervalMin: 20, maxIntervalMin: 40 },
      random: () => 0.25,
    });
    try {
      const frame = await tinyJpegBase64();
      await h.service.enrol('agent-7', frame);
      await h.service.signIn('agent-7', [frame]);
      expect(h.randomCalls).toBe(1);
      // 20 + 0.25 × (40 − 20) minutes
      expect(h.timers.delays()).toEqual([25 * 60_000]);
      expect(h.service.status().nextCheckScheduled).toBe(true);
      await h.service.signOut();
      expect(h.timers.pending.size).toBe(0);
      expect(h.service.status()).toMatchObject({ shift: null, nextCheckScheduled: false, checkDue: null });
    } finally {
      h.close();
    }
  });

  it('schedules nothing when the center has face checks off', async () => {
    const h = harness({ engine: null });
    try {
      await h.service.signIn('agent-7', undefined);
      expect(h.timers.pending.size).toBe(0);
      expect(h.randomCalls).toBe(0);
      expect(h.service.status()).toMatchObject({ shift: { agentId: 'agent-7' }, nextCheckScheduled: false });
    } finally {
      h.close();
    }
  });
});
