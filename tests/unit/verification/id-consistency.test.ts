import { describe, expect, it } from 'vitest';
import { idCheckDigit } from '../../../src/shared/id-number';
import { DEFAULT_VERIFICATION_CONFIG as cfg } from '../../../src/main/verification/config';
import { IdConsistency } from '../../../src/main/verification/id-consistency';
import { observe } from '../../../src/main/verification/observation';
import { frames } from './builder';

/** A valid number for a man born 1990-03-07 (17th digit 3 = odd = male). */
const first17 = '11010519900307123';
const MALE_1990 = first17 + idCheckDigit(first17);
const on = new Date(2026, 5, 1); // aged 36

function run(raw: string | null, estimates: (i: number) => { age?: number; male?: number } = () => ({})) {
  const c = new IdConsistency(cfg);
  c.setIdNumber(raw);
  for (const f of frames(0, 2000, (_t, i) => estimates(i))) c.add(observe(f));
  return c.check(on);
}

describe('id_consistency: the ID number itself, and its birth date and gender against the face', () => {
  it('is not_run without an ID number', () => {
    expect(run(null)).toMatchObject({ status: 'not_run', reason: 'no_id_number' });
  });

  it('fails a wrong check digit, a malformed number and an impossible birth date', () => {
    const wrong = first17 + (idCheckDigit(first17) === '0' ? '1' : '0');
    expect(run(wrong)).toMatchObject({ status: 'fail', reason: 'check_digit' });
    expect(run('12345')).toMatchObject({ status: 'fail', reason: 'id_format' });
    const feb30 = '11010519900230123';
    expect(run(feb30 + idCheckDigit(feb30))).toMatchObject({ status: 'fail', reason: 'birth_date_invalid' });
  });

  it('passes a consistent age and gender (estimates vary per frame)', () => {
    const c = run(MALE_1990, (i) => ({ age: 33 + (i % 5), male: 0.88 + (i % 3) * 0.01 }));
    expect(c).toMatchObject({ status: 'pass', reason: 'consistent', details: { claimedAge: 36, estimatedAge: 35, claimedGender: 'male' } });
    expect(JSON.stringify(c)).not.toContain(MALE_1990);
  });

  it('warns age_gap above 12 years with both numbers, never fails on it', () => {
    const c = run(MALE_1990, (i) => ({ age: 55 + (i % 3), male: 0.88 + (i % 3) * 0.01 }));
    expect(c).toMatchObject({ status: 'warn', reason: 'age_gap', details: { claimedAge: 36, estimatedAge: 56, ageGapYears: 20 } });
    expect(c.score).toBe(20);
    expect(run(MALE_1990, (i) => ({ age: 46 + (i % 3), male: 0.88 + (i % 3) * 0.01 }))).toMatchObject({ status: 'pass' }); // gap 11
  });

  it('warns gender_mismatch when the face is clearly the other gender', () => {
    expect(run(MALE_1990, (i) => ({ age: 36 + (i % 2), male: 0.05 + (i % 2) * 0.01 }))).toMatchObject({ status: 'warn', reason: 'gender_mismatch', details: { claimedGender: 'male' } });
  });

  it('waits for estimates, and without any from the engine the number alone decides', () => {
    const c = new IdConsistency(cfg);
    c.setIdNumber(MALE_1990);
    for (const f of frames(0, 300)) c.add(observe(f));
    expect(c.check(on)).toMatchObject({ status: 'pending', reason: 'awaiting_estimates' });
    expect(run(MALE_1990)).toMatchObject({ status: 'pass', reason: 'consistent', details: { age: { status: 'not_run' }, gender: { status: 'not_run' } } });
    // a carried estimate (the same value every frame) counts once: still waiting
    const carried = new IdConsistency(cfg);
    carried.setIdNumber(MALE_1990);
    for (const f of frames(0, 300, () => ({ age: 36, male: 0.9 }))) carried.add(observe(f));
    expect(carried.check(on)).toMatchObject({ status: 'pending', details: { ageEstimates: 1 } });
  });
});
