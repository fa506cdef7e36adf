/**
 * Resident identity card numbers (GB 11643-1999), parsed without Node APIs so the renderer and main share
 * one implementation (main's src/main/caselog/id-number.ts adds the keyed hash on top).
 *
 * Layout of the 18 characters: 6 digits region, 8 digits birth date YYYYMMDD (positions 7–14), 3 digits
 * sequence (the 17th digit is odd for men, even for women), 1 check character over the first 17 digits
 * (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, sum mod 11 → '10X98765432'). The old 15-digit format
 * (two-digit year, no check character) is refused as 'format'.
 */

export interface ParsedIdNumber {
  valid: boolean;
  /** Whitespace removed, upper case (the form that is masked and hashed). */
  normalised: string;
  /** Why it is not valid; checked in this order: format, check_digit, birth_date. */
  reason?: 'format' | 'check_digit' | 'birth_date';
  /** YYYY-MM-DD; only on a valid number. */
  birthDate?: string;
  /** From the 17th digit (odd = male); only on a valid number. */
  gender?: 'male' | 'female';
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK = '10X98765432';
const FORMAT = /^\d{17}[\dX]$/;
const EARLIEST_YEAR = 1900;

/** Trims and removes all whitespace, upper-cases the X check character. */
export function normaliseIdNumber(raw: string): string {
  return raw.replace(/\s+/g, '').toUpperCase();
}

/** GB 11643 check character for the first 17 digits ('?' if they are not 17 digits). */
export function idCheckDigit(first17: string): string {
  if (!/^\d{17}$/.test(first17)) return '?';
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK[sum % 11]!;
}

/** Local calendar date of `d` as YYYY-MM-DD. */
function localDate(d: Date): string {
  return `${String(d.getFullYear()).padStart(4, '0')}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** A real calendar date (leap years included), as YYYY-MM-DD, or null. */
function calendarDate(yyyymmdd: string): string | null {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  if (m < 1 || m > 12 || d < 1) return null;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
  if (d > days) return null;
  return `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;
}

/**
 * Parses an 18-character ID number. Valid = the format (17 digits + digit or X, spaces and a lower-case x
 * accepted), the check character, and a birth date that is a real date from 1900-01-01 up to today (local
 * time) all hold. Birth date and gender are only reported for a valid number.
 */
export function parseIdNumber(raw: string): ParsedIdNumber {
  const normalised = normaliseIdNumber(raw);
  if (!FORMAT.test(normalised)) return { valid: false, normalised, reason: 'format' };
  if (idCheckDigit(normalised.slice(0, 17)) !== normalised[17]) return { valid: false, normalised, reason: 'check_digit' };
  const birthDate = calendarDate(normalised.slice(6, 14));
  if (!birthDate || Number(birthDate.slice(0, 4)) < EARLIEST_YEAR || birthDate > localDate(new Date())) {
    return { valid: false, normalised, reason: 'birth_date' };
  }
  const gender = Number(normalised[16]) % 2 === 1 ? 'male' : 'female';
  return { valid: true, normalised, birthDate, gender };
}

/**
 * Completed years between `birthDate` (YYYY-MM-DD) and the local calendar date of `at`. Someone born on
 * 29 February turns a year older on 1 March in non-leap years. Throws a RangeError on a malformed date.
 */
export function ageOn(birthDate: string, at: Date): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  if (!m || !calendarDate(`${m[1]}${m[2]}${m[3]}`)) throw new RangeError(`not a date: ${birthDate}`);
  const [by, bm, bd] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [y, mo, d] = [at.getFullYear(), at.getMonth() + 1, at.getDate()];
  return y - by - (mo < bm || (mo === bm && d < bd) ? 1 : 0);
}

/** What the UI and logs may show: first 3 and last 4 characters visible, the rest masked. */
export function maskIdNumber(raw: string): string {
  const id = normaliseIdNumber(raw);
  if (id.length <= 7) return '*'.repeat(id.length);
  return `${id.slice(0, 3)}${'*'.repeat(id.length - 7)}${id.slice(-4)}`;
}
