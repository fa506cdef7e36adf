/** The session's random source in production: the OS CSPRNG (challenge order, spoken code). Tests inject a seeded one. */
import { randomInt } from 'node:crypto';
import type { RandomSource } from './challenge';

const RANGE = 2 ** 48;

/** A uniform number in [0, 1) from node:crypto. */
export const secureRandom: RandomSource = () => randomInt(0, RANGE) / RANGE;

/**
 * mulberry32, a seeded PRNG in [0, 1): only for end-to-end tests through the headless host (VERIDESK_TEST_CHALLENGE),
 * never in the Electron app, so a production challenge order is never predictable.
 */
export function seededRandom(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
