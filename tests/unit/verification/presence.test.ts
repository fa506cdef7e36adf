import { describe, expect, it } from 'vitest';
import { DEFAULT_VERIFICATION_CONFIG as cfg } from '../../../src/main/verification/config';
import { observe } from '../../../src/main/verification/observation';
import { Presence } from '../../../src/main/verification/presence';
import { frames } from './builder';

function run(list: ReturnType<typeof frames>) {
  const p = new Presence(cfg);
  for (const f of list) p.add(observe(f));
  return p.check();
}

describe('presence: exactly one face; a sustained second face is flagged', () => {
  it('is pending until enough detection frames saw one face, then passes', () => {
    expect(run(frames(0, 200))).toMatchObject({ status: 'pending', reason: 'no_face' });
    expect(run(frames(0, 1000))).toMatchObject({ status: 'pass', reason: 'single_face' });
  });

  it('warns second_face when a second face stays ≥ 1 s, with the frame it appeared on', () => {
    const list = frames(0, 3000, (t) => ({ faceCount: t >= 1000 && t < 2500 ? 2 : 1 }));
    const c = run(list);
    expect(c).toMatchObject({ status: 'warn', reason: 'second_face', details: { maxFaces: 2 } });
    expect(c.evidence).toEqual([{ streamId: 'call-test', capturedAt: list.find((f) => f.faceCount === 2)!.capturedAt, kind: 'second_face' }]);
    expect(c.details!.secondFaceMs as number).toBeGreaterThanOrEqual(1400);
  });

  it('only counts a second face passing by for less than 1 s', () => {
    const c = run(frames(0, 3000, (t) => ({ faceCount: t >= 1000 && t < 1400 ? 2 : 1 })));
    expect(c).toMatchObject({ status: 'pass', reason: 'single_face', details: { transientSecondFaces: 1, maxFaces: 2 } });
  });
});
