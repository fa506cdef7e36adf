/**
 * id_consistency: the 18-digit ID number against itself and against the face.
 *  - format / GB 11643 check digit / birth date (parseIdNumber) → fail when invalid ('id_format', 'check_digit',
 *    'birth_date_invalid');
 *  - age: the birth date's age on the session date vs the median estimated age of the live face; a gap above
 *    maxAgeGapYears → warn 'age_gap' with both numbers (never a fail: age models are off by years, ID photos are old);
 *  - gender: the ID's gender digit vs the mean estimated p(male) → warn 'gender_mismatch' when clearly opposite.
 * Age and gender wait for minAttributeEstimates estimates ('awaiting_estimates'); when the engine gives none after
 * attributeWaitFrames faces, they are reported as not available and only the number itself decides.
 * The raw ID number never appears in the check (details carry ages and gender only).
 */
import { ageOn, parseIdNumber, type ParsedIdNumber } from '../../shared/id-number';
import type { Check, CheckStatus } from '../../shared/verification';
import type { VerificationConfig } from './config';
import { median, type Observation } from './observation';

type Sub = { status: CheckStatus; reason: string };

export class IdConsistency {
  private parsed: ParsedIdNumber | null = null;
  private readonly ages: number[] = [];
  private readonly males: number[] = [];
  private faces = 0;

  constructor(private readonly cfg: VerificationConfig) {}

  setIdNumber(raw: string | null): void {
    this.parsed = raw === null || raw.trim() === '' ? null : parseIdNumber(raw);
  }

  add(o: Observation): void {
    if (!o.face) return;
    this.faces++;
    if (o.age !== null) this.push(this.ages, o.age);
    if (o.male !== null) this.push(this.males, o.male);
  }

  check(on: Date): Check {
    const p = this.parsed;
    if (!p) return { id: 'id_consistency', status: 'not_run', reason: 'no_id_number' };
    if (!p.valid) {
      const reason = p.reason === 'check_digit' ? 'check_digit' : p.reason === 'birth_date' ? 'birth_date_invalid' : 'id_format';
      return { id: 'id_consistency', status: 'fail', reason, details: { checkDigit: p.reason === 'check_digit' ? 'fail' : 'not_checked' } };
    }
    const estimatedAge = this.ages.length >= this.cfg.minAttributeEstimates ? median(this.ages) : null;
    const claimedAge = p.birthDate ? ageOn(p.birthDate, on) : null;
    const gap = estimatedAge !== null && claimedAge !== null ? Math.abs(claimedAge - estimatedAge) : null;
    const age: Sub =
      claimedAge === null
        ? { status: 'not_run', reason: 'no_birth_date' }
        : estimatedAge === null
          ? this.waiting(this.ages)
          : gap! > this.cfg.maxAgeGapYears
            ? { status: 'warn', reason: 'age_gap' }
            : { status: 'pass', reason: 'age_consistent' };

    const maleProbability = this.males.length >= this.cfg.minAttributeEstimates ? this.males.reduce((a, b) => a + b, 0) / this.males.length : null;
    const mismatch =
      maleProbability !== null &&
      ((p.gender === 'male' && maleProbability < this.cfg.genderMismatchMale) || (p.gender === 'female' && maleProbability > this.cfg.genderMismatchFemale));
    const gender: Sub = !p.gender
      ? { status: 'not_run', reason: 'no_gender_digit' }
      : maleProbability === null
        ? this.waiting(this.males)
        : mismatch
          ? { status: 'warn', reason: 'gender_mismatch' }
          : { status: 'pass', reason: 'gender_consistent' };

    const details = {
      checkDigit: 'pass',
      claimedAge,
      estimatedAge: estimatedAge === null ? null : Math.round(estimatedAge * 10) / 10,
      ageGapYears: gap === null ? null : Math.round(gap * 10) / 10,
      ageEstimates: this.ages.length,
      claimedGender: p.gender ?? null,
      maleProbability: maleProbability === null ? null : Math.round(maleProbability * 1000) / 1000,
      age,
      gender,
    };
    if (age.status === 'warn') return { id: 'id_consistency', status: 'warn', reason: 'age_gap', score: gap!, details };
    if (gender.status === 'warn') return { id: 'id_consistency', status: 'warn', reason: 'gender_mismatch', details };
    if (age.status === 'pending' || gender.status === 'pending') return { id: 'id_consistency', status: 'pending', reason: 'awaiting_estimates', details };
    return { id: 'id_consistency', status: 'pass', reason: 'consistent', details };
  }

  private waiting(estimates: readonly number[]): Sub {
    return estimates.length === 0 && this.faces >= this.cfg.attributeWaitFrames ? { status: 'not_run', reason: 'no_estimates' } : { status: 'pending', reason: 'awaiting_estimates' };
  }

  /** A value equal to the previous one is the engine carrying its last estimate between model runs: counted once. */
  private push(list: number[], v: number): void {
    if (list[list.length - 1] === v) return;
    list.push(v);
    if (list.length > this.cfg.maxKeyFrames) list.shift();
  }
}
