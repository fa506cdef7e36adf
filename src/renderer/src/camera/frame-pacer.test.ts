import { describe, expect, it } from 'vitest';
import { FramePacer } from './frame-pacer';

describe('FramePacer: the remote frame tap sends only what the engine can take', () => {
  it('allows two frames in flight, then waits for a result', () => {
    let t = 0;
    const pacer = new FramePacer(2, 1000, () => t);
    expect(pacer.maySend()).toBe(true);
    pacer.sent(100);
    t = 33;
    expect(pacer.maySend()).toBe(true);
    pacer.sent(133);
    t = 66;
    expect(pacer.maySend()).toBe(false);
    pacer.result(100);
    expect(pacer.inFlight).toBe(1);
    expect(pacer.maySend()).toBe(true);
  });

  it('a result for a later frame settles the earlier ones (they were replaced in the mailbox)', () => {
    let t = 0;
    const pacer = new FramePacer(3, 1000, () => t);
    pacer.sent(100);
    pacer.sent(133);
    pacer.sent(166);
    expect(pacer.maySend()).toBe(false);
    pacer.result(133);
    expect(pacer.inFlight).toBe(1);
    t = 1;
    expect(pacer.maySend()).toBe(true);
  });

  it('never stalls: a frame whose result never comes stops counting after staleMs', () => {
    let t = 0;
    const pacer = new FramePacer(1, 1000, () => t);
    pacer.sent(100);
    t = 999;
    expect(pacer.maySend()).toBe(false);
    t = 1000;
    expect(pacer.maySend()).toBe(true);
    expect(pacer.inFlight).toBe(0);
  });
});
