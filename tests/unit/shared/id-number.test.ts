import { describe, expect, it } from 'vitest';
import { ageOn, idCheckDigit, maskIdNumber, parseIdNumber } from '../../../src/shared/id-number';

// Region code 999999 does not exist, so no number built here can be a real person's.
const withCheck = (first17: string) => first17 + idCheckDigit(first17);
/** A first-17 prefix: fictitious region, birth date, sequence (the last sequence digit is the gender digit). */
const prefix = (birth: string, seq = '123') => `999999${birth}${seq}`;

/** Finds a sequence for `birth` whose check character is `want` (to test X and digits deterministically). */
function withCheckCharacter(birth: string, want: string): string {
  for (let s = 0; s < 1000; s++) {
    const p = prefix(birth, String(s).padStart(3, '0'));
    if (idCheckDigit(p) === want) return p + want;
  }
  throw new Error('no sequence found');
}

const localYmd = (d: Date) => `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;

describe('parseIdNumber', () => {
  it('accepts a number with the right GB 11643 check character and reports birth date and gender', () => {
    const id = withCheck(prefix('19850312', '123'));
    expect(parseIdNumber(id)).toEqual({ valid: true, normalised: id, birthDate: '1985-03-12', gender: 'male' });
  });

  it('computes the check character with the standard weights (hand-checked example)', () => {
    // 99999919850312123: Σ digit×weight = 9·(7+9+10+5+8+4) + 1·2 + 9·1 + 8·6 + 5·3 + 0·7 + 3·9 + 1·10 + 2·5 + 1·8 + 2·4 + 3·2
    //                   = 387 + 2 + 9 + 48 + 15 + 0 + 27 + 10 + 10 + 8 + 8 + 6 = 530; 530 mod 11 = 2 → 'X'
    expect(idCheckDigit('99999919850312123')).toBe('X');
    expect(idCheckDigit('1234')).toBe('?');
  });

  it('refuses a wrong check character', () => {
    const id = withCheck(prefix('19850312'));
    const wrong = id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
    expect(parseIdNumber(wrong)).toMatchObject({ valid: false, reason: 'check_digit' });
    expect(parseIdNumber(wrong).birthDate).toBeUndefined();
    expect(parseIdNumber(wrong).gender).toBeUndefined();
  });

  it('accepts X as the check character, also lower-case, and spaces', () => {
    const id = withCheckCharacter('19900101', 'X');
    expect(parseIdNumber(id).valid).toBe(true);
    const lower = id.slice(0, 17) + 'x';
    expect(parseIdNumber(lower)).toMatchObject({ valid: true, normalised: id });
    const spaced = ` ${id.slice(0, 6)} ${id.slice(6, 14)} ${id.slice(14, 17)}x `;
    expect(parseIdNumber(spaced)).toMatchObject({ valid: true, normalised: id, birthDate: '1990-01-01' });
    // X anywhere but the last place is a format error
    expect(parseIdNumber(`X${id.slice(1)}`).reason).toBe('format');
  });

  it('refuses the old 15-digit format and other lengths or characters as format', () => {
    expect(parseIdNumber('999999850312123')).toMatchObject({ valid: false, reason: 'format' });
    expect(parseIdNumber('')).toMatchObject({ valid: false, reason: 'format', normalised: '' });
    expect(parseIdNumber(withCheck(prefix('19850312')) + '1').reason).toBe('format');
    expect(parseIdNumber('99999919850312A23X').reason).toBe('format');
  });

  it('refuses impossible birth dates even with a correct check character', () => {
    expect(parseIdNumber(withCheck(prefix('19990230')))).toMatchObject({ valid: false, reason: 'birth_date' });
    expect(parseIdNumber(withCheck(prefix('19991301'))).reason).toBe('birth_date');
    expect(parseIdNumber(withCheck(prefix('19990100'))).reason).toBe('birth_date');
    expect(parseIdNumber(withCheck(prefix('19000229'))).reason).toBe('birth_date'); // 1900 was not a leap year
    expect(parseIdNumber(withCheck(prefix('20000229'))).valid).toBe(true); // 2000 was
    expect(parseIdNumber(withCheck(prefix('18991231'))).reason).toBe('birth_date');
    expect(parseIdNumber(withCheck(prefix('19000101'))).valid).toBe(true);
  });

  it('refuses a birth date in the future, accepts today', () => {
    const tomorrow = new Date();
    tomorrow.setDate(tomorrow.getDate() + 1);
    expect(parseIdNumber(withCheck(prefix(localYmd(tomorrow))))).toMatchObject({ valid: false, reason: 'birth_date' });
    expect(parseIdNumber(withCheck(prefix('20990101'))).reason).toBe('birth_date');
    expect(parseIdNumber(withCheck(prefix(localYmd(new Date())))).valid).toBe(true);
  });

  it('reads the gender from the 17th digit: odd = male, even = female', () => {
    for (let d = 0; d <= 9; d++) {
      const parsed = parseIdNumber(withCheck(prefix('19850312', `12${d}`)));
      expect(parsed.valid).toBe(true);
      expect(parsed.gender).toBe(d % 2 === 1 ? 'male' : 'female');
    }
  });
});

describe('ageOn', () => {
  it('counts completed years, including the day before and the day of a birthday', () => {
    expect(ageOn('1985-03-12', new Date(2025, 2, 11))).toBe(39);
    expect(ageOn('1985-03-12', new Date(2025, 2, 12))).toBe(40);
    expect(ageOn('1985-03-12', new Date(2025, 11, 31))).toBe(40);
    expect(ageOn('1985-03-12', new Date(2026, 0, 1))).toBe(40);
    expect(ageOn('1985-03-12', new Date(1985, 2, 12))).toBe(0);
  });

  it('uses the local calendar date of `at`, not the time of day', () => {
    expect(ageOn('1985-03-12', new Date(2025, 2, 11, 23, 59, 59))).toBe(39);
    expect(ageOn('1985-03-12', new Date(2025, 2, 12, 0, 0, 0))).toBe(40);
  });

  it('lets a 29 February birthday count on 1 March in non-leap years', () => {
    expect(ageOn('2000-02-29', new Date(2001, 1, 28))).toBe(0);
    expect(ageOn('2000-02-29', new Date(2001, 2, 1))).toBe(1);
    expect(ageOn('2000-02-29', new Date(2004, 1, 29))).toBe(4);
  });

  it('works with the parser and refuses malformed dates', () => {
    const parsed = parseIdNumber(withCheck(prefix('19850312')));
    expect(ageOn(parsed.birthDate!, new Date(2025, 2, 11))).toBe(39);
    expect(() => ageOn('19850312', new Date())).toThrow(RangeError);
    expect(() => ageOn('1999-02-30', new Date())).toThrow(RangeError);
  });
});

describe('maskIdNumber', () => {
  it('shows the first 3 and last 4 characters of the normalised number', () => {
    const id = withCheckCharacter('19900101', 'X');
    expect(maskIdNumber(id)).toBe(`999${'*'.repeat(11)}${id.slice(-4)}`);
    expect(maskIdNumber(` ${id.slice(0, 17)}x`)).toBe(maskIdNumber(id));
    expect(maskIdNumber('1234567')).toBe('*******');
  });
});
