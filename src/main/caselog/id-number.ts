/**
 * ID numbers in the case log. Parsing, the check character and masking live in src/shared/id-number.ts
 * (one implementation for main and the renderer); the keyed hash stays here because it needs node:crypto.
 */
import { createHmac } from 'node:crypto';
import { idCheckDigit, maskIdNumber, normaliseIdNumber, parseIdNumber } from '../../shared/id-number';

export { idCheckDigit, maskIdNumber, normaliseIdNumber };

/** Keyed hash (HMAC-SHA256) of the normalised number for lookup; without the key it cannot be brute-forced offline. */
export function hashIdNumber(key: Buffer, raw: string): string {
  return createHmac('sha256', key).update(normaliseIdNumber(raw), 'utf8').digest('hex');
}

/** Format, GB 11643 check character and a plausible birth date (see parseIdNumber). */
export function isValidIdNumber(raw: string): boolean {
  return parseIdNumber(raw).valid;
}
