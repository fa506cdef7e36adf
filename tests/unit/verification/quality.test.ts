import { describe, expect, it } from 'vitest';
import { DEFAULT_VERIFICATION_CONFIG as cfg } from '../../../src/main/verification/config';
import { observe } from '../../../src/main/verification/observation';
import { qualityCheck } from '../../../src/main/verification/quality';
import { frames } from './builder';

const window = (spec: Parameters<typeof frames>[2]) => frames(0, 1000, spec).map(observe);

describe('quality: current issues → guidance codes the agent reads out', () => {
  it('is pending without frames and passes clean frames', () => {
    expect(qualityCheck([], cfg)).toMatchObject({ status: 'pending', reason: 'no_frames' });
    expect(qualityCheck(window(() => ({})), cfg)).toMatchObject({ status: 'pass', reason: 'good', details: { okShare: 1 } });
  });

  it('warns with the most important issue present in most frames, and the customer prompt for each', () => {
    const c = qualityCheck(window((_t, i) => ({ issues: i % 4 === 0 ? ['too_dark'] : ['too_dark', 'blurred', 'turned'] })), cfg);
    expect(c).toMatchObject({ status: 'warn', reason: 'too_dark' });
    expect(c.details!.guidance).toEqual([
      { code: 'too_dark', share: 1, customerKey: 'move_to_light' },
      { code: 'blurred', share: 0.73, customerKey: 'hold_still' },
      { code: 'turned', share: 0.73, customerKey: 'face_camera' },
    ]);
  });

  it('ignores an issue in a minority of frames and says no_face when the face is mostly missing', () => {
    expect(qualityCheck(window((_t, i) => ({ issues: i < 5 ? ['blurred'] : [] })), cfg)).toMatchObject({ status: 'pass' });
    expect(qualityCheck(window((_t, i) => ({ face: i < 10 })), cfg)).toMatchObject({ status: 'warn', reason: 'no_face' });
    expect(qualityCheck(window(() => ({ issues: ['too_small', 'too_dark'] })), cfg)).toMatchObject({ reason: 'too_small' });
  });
});
