import { describe, expect, it } from 'vitest';
import { CHECK_IDS, type Check, type CheckId, type CheckStatus } from '../../../src/shared/verification';
import { advise } from '../../../src/main/verification/advice';

function checks(overrides: Partial<Record<CheckId, CheckStatus>> = {}): Check[] {
  return CHECK_IDS.map((id) => ({ id, status: overrides[id] ?? 'pass', reason: 'match_band' as const }));
}
const code = (status: CheckStatus = 'pass') => ({ status, reason: 'confirmed' });

describe('advice per service type: required checks decide', () => {
  it('consult requires nothing: pending or not_run checks leave it at pass', () => {
    expect(advise('consult', checks({ face_match: 'pending', active_liveness: 'not_run' }), code('not_run')).advice).toBe('pass');
    // an advisory failure still asks for a look
    expect(advise('consult', checks({ passive_liveness: 'fail' }), code('not_run')).advice).toBe('review');
  });

  it('query requires the face match only', () => {
    expect(advise('query', checks({ active_liveness: 'not_run', id_consistency: 'not_run', presence: 'warn' }), code('not_run')).advice).toBe('pass');
    expect(advise('query', checks({ face_match: 'fail' }), code('not_run'))).toMatchObject({ advice: 'fail', reasons: [{ check: 'face_match', status: 'fail', required: true }] });
    expect(advise('query', checks({ face_match: 'warn' }), code('not_run')).advice).toBe('review');
    expect(advise('query', checks({ face_match: 'pending' }), code('not_run')).advice).toBe('review');
  });

  it('transact and operate require everything but quality, the spoken code included', () => {
    for (const type of ['operate', 'transact'] as const) {
      expect(advise(type, checks(), code()).advice).toBe('pass');
      expect(advise(type, checks({ quality: 'warn' }), code()).advice).toBe('pass');
      expect(advise(type, checks({ active_liveness: 'not_run' }), code()).advice).toBe('review');
      expect(advise(type, checks(), code('pending'))).toMatchObject({ advice: 'review', reasons: [{ check: 'spoken_code', required: true }] });
      expect(advise(type, checks({ presence: 'warn', face_swap: 'fail' }), code())).toMatchObject({ advice: 'fail', reasons: [{ check: 'face_swap' }, { check: 'presence' }] });
      expect(advise(type, checks({ active_liveness: 'fail' }), code('not_run')).advice).toBe('fail');
    }
  });
});
