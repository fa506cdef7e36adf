import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GuidanceDelivery } from './guidance-delivery';

let sent: string[];
let connected: boolean;
const delivery = () => new GuidanceDelivery({ send: (text) => (connected ? (sent.push(text), true) : false), resendMs: 1000, maxSends: 3 });
const guidance = (id: number, key: string) => JSON.stringify({ t: 'guidance', id, key });

beforeEach(() => {
  vi.useFakeTimers();
  sent = [];
  connected = true;
});
afterEach(() => vi.useRealTimers());

describe('guidance is delivered until the customer page acknowledges it', () => {
  it('an acknowledged prompt is sent once', () => {
    const d = delivery();
    expect(d.push(1, 'hold_still')).toBe(true);
    d.acked(1);
    vi.advanceTimersByTime(5000);
    expect(sent).toEqual([guidance(1, 'hold_still')]);
    expect(d.waiting).toBeNull();
  });

  it('an unacknowledged prompt is sent again, at most maxSends times', () => {
    const d = delivery();
    d.push(1, 'hold_still');
    vi.advanceTimersByTime(10_000);
    expect(sent).toEqual([guidance(1, 'hold_still'), guidance(1, 'hold_still'), guidance(1, 'hold_still')]);
    expect(d.waiting).toBeNull();
  });

  it('a prompt pushed while the peer was down goes out when a generation connects', () => {
    connected = false;
    const d = delivery();
    expect(d.push(4, 'come_closer')).toBe(false);
    expect(d.waiting).toBe('come_closer');
    connected = true;
    d.connected();
    expect(sent).toEqual([guidance(4, 'come_closer')]);
    d.acked(4);
    d.connected();
    expect(sent).toHaveLength(1);
  });

  it('a newer prompt replaces the waiting one; an old ack does not stop it', () => {
    const d = delivery();
    d.push(1, 'hold_still');
    d.push(2, 'move_to_light');
    d.acked(1);
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([guidance(1, 'hold_still'), guidance(2, 'move_to_light'), guidance(2, 'move_to_light')]);
  });

  it('clear sends the clear and stops repeating', () => {
    const d = delivery();
    d.push(1, 'hold_still');
    expect(d.clear()).toBe(true);
    vi.advanceTimersByTime(5000);
    expect(sent).toEqual([guidance(1, 'hold_still'), JSON.stringify({ t: 'guidance.clear' })]);
  });
});
