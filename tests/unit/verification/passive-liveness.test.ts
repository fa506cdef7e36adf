import { describe, expect, it } from 'vitest';
import { DEFAULT_VERIFICATION_CONFIG as cfg } from '../../../src/main/verification/config';
import { observe } from '../../../src/main/verification/observation';
import { PassiveLiveness } from '../../../src/main/verification/passive-liveness';
import { frame } from './builder';

function run(values: Array<number | undefined>) {
  const p = new PassiveLiveness(cfg);
  values.forEach((live, i) => p.add(observe(frame({ t: i * 100, live }))));
  return p.check();
}

describe('passive_liveness: p(live) aggregated over the frames it was computed on', () => {
  it('is pending until minLivenessFrames fresh values; carried values do not count', () => {
    expect(run([0.9, 0.9, 0.9, 0.9])).toMatchObject({ status: 'pending', reason: 'no_liveness_frames', details: { frames: 4 } });
    expect(run([0.9, undefined, undefined, 0.9, undefined, 0.9, undefined, 0.9, undefined, undefined])).toMatchObject({ status: 'pending', details: { frames: 4 } });
  });

  it('passes a consistently live face, with the median as score and the least live frame as evidence', () => {
    const c = run([0.97, 0.99, 0.95, 0.98, 0.6, 0.99]);
    expect(c).toMatchObject({ status: 'pass', reason: 'live' });
    expect(c.score).toBeCloseTo(0.975, 6);
    expect(c.evidence).toContainEqual({ streamId: 'call-test', capturedAt: 400, kind: 'liveness_frame' });
  });

  it('fails a consistently spoof-like face', () => {
    expect(run([0.05, 0.1, 0.02, 0.2, 0.08])).toMatchObject({ status: 'fail', reason: 'spoof_suspected' });
  });

  it('warns when the frames disagree', () => {
    expect(run([0.9, 0.1, 0.9, 0.1, 0.9, 0.1])).toMatchObject({ status: 'warn', reason: 'liveness_unstable' });
    expect(run([0.9, 0.9, 0.9, 0.2, 0.2, 0.9])).toMatchObject({ status: 'warn', reason: 'liveness_unstable' });
  });
});
