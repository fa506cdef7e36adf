import { createHmac } from 'node:crypto';

/** Normalises an ID number for hashing: trims, removes spaces, upper-cases the X check digit. */
export function normaliseIdNumber(raw: string): string {
  return raw.replace(/\s+/g, '').toUpperCase();
}

/** What the UI and logs may show: first 3 and last 4 characters, the rest masked. */
export function maskIdNumber(raw: string): string {
  const id = normaliseIdNumber(raw);
  if (id.length <= 7) return '*'.repeat(id.length);
  return `${id.slice(0, 3)}${'*'.repeat(id.length - 7)}${id.slice(-4)}`;
}

/** Keyed hash (HMAC-SHA256) for lookup; without the key it cannot be brute-forced offline. */
export function hashIdNumber(key: Buffer, raw: string): string {
  return createHmac('sha256', key).update(normaliseIdNumber(raw), 'utf8').digest('hex');
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

/** GB 11643 check character for the first 17 digits. */
export function idCheckDigit(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (WEIGHTS[i] ?? 0);
  return CHECK[sum % 11] ?? '?';
}

export function isValidIdNumber(raw: string): boolean {
  const id = normaliseIdNumber(raw);
  return /^\d{17}[\dX]$/.test(id) && idCheckDigit(id.slice(0, 17)) === id[17];
}
