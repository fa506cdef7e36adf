/**
 * VERIDESK_TEST_CHALLENGE=<seed>:<action,action,…> — a fixed challenge for end-to-end tests through the headless
 * host (e.g. "7:blink,open_mouth" for a test video that blinks and opens its mouth). Only the host reads it; the
 * Electron app never does, so a production challenge order stays unpredictable.
 */
import { CHALLENGE_ACTIONS, type ChallengeAction } from '../../shared/signaling';

export function testChallengeFromEnv(value: string | undefined): { seed: number; actions: ChallengeAction[] } | undefined {
  if (!value) return undefined;
  const match = /^(\d{1,9}):([a-z_,]+)$/.exec(value.trim());
  if (!match) throw new Error(`VERIDESK_TEST_CHALLENGE must look like 7:blink,open_mouth (got ${JSON.stringify(value)})`);
  const actions = match[2]!.split(',').filter(Boolean);
  for (const a of actions) if (!(CHALLENGE_ACTIONS as readonly string[]).includes(a)) throw new Error(`VERIDESK_TEST_CHALLENGE: unknown action ${a} (one of ${CHALLENGE_ACTIONS.join(', ')})`);
  return { seed: Number(match[1]), actions: actions as ChallengeAction[] };
}
