/** The session's random source in production: the OS CSPRNG (challenge order, spoken code). Tests inject a seeded one. */
import { randomInt } from 'node:crypto';
import type { RandomSource } from './challenge';

// randomInt's (max − min) must stay below 2^48: 2^48 itself throws ERR_OUT_OF_RANGE on every call
const RANGE = 2 ** 48 - 1;

/** A uniform number in [0, 1) from node:crypto. */
export const secureRandom: RandomSource = () => randomInt(0, RANGE) / RANGE;

/** A seeded source: only for end-to-end tests through the headless host (VERIDESK_TEST_CHALLENGE), never the app. */
export { seededRandom } from '../../common/seeded-random';
