/**
 * Mirrors the desk's challenge step and spoken code to the customer's page (over the peer data channel).
 *
 * DeskState arrives after every change (a few per second while frames are analysed), so most states repeat what
 * the customer already sees: this sends only transitions. What counts as "sent" is what the peer accepted; when
 * the data channel is down (send returns false) the same transition is tried again with the next state, so a
 * customer who reconnects mid-step still gets the instruction.
 *
 * Only the action, the step numbers, the time allowed and the code's digits cross: never a score (DESIGN.md §6).
 */
import type { DeskState } from '../../../shared/desk';
import type { ChallengeAction } from '../../../shared/verification';

export interface ChallengeDisplay {
  action: ChallengeAction;
  /** 1-based */
  step: number;
  of: number;
  /** The time allowed for the step, whole seconds (the customer page counts down itself). */
  seconds: number;
}

export interface CustomerDisplay {
  showChallenge(step: ChallengeDisplay | null): boolean;
  showCode(digits: string | null): boolean;
}

/** The data-channel schema's limits (signaling.ts DataChannelMessageSchema): a message outside them is dropped there. */
const MAX_STEPS = 5;
const MIN_SECONDS = 1;
const MAX_SECONDS = 60;

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** The running challenge step, with a key that changes exactly when the customer should see a new instruction. */
export function runningStep(state: DeskState | null, now = Date.now()): { key: string; display: ChallengeDisplay } | null {
  const challenge = state?.report.challenge;
  if (!challenge || challenge.status !== 'running' || challenge.current === null) return null;
  const step = challenge.steps[challenge.current];
  if (!step || step.status !== 'running') return null;
  const from = step.startedAt ?? now;
  const seconds = step.deadline === undefined ? MAX_SECONDS : Math.round((step.deadline - from) / 1000);
  return {
    key: `${challenge.challengeId}:${challenge.current}`,
    display: {
      action: step.action,
      step: clamp(challenge.current + 1, 1, MAX_STEPS),
      of: clamp(challenge.steps.length, 1, MAX_STEPS),
      seconds: clamp(seconds, MIN_SECONDS, MAX_SECONDS),
    },
  };
}

export interface DeskSync {
  apply(state: DeskState | null): void;
}

export function createDeskSync(display: CustomerDisplay, now: () => number = Date.now): DeskSync {
  let callId: string | null = null;
  /** What the customer page shows now, as far as we know: null = nothing. */
  let shownStep: string | null = null;
  let shownCode: string | null = null;

  return {
    apply(state) {
      if (state && state.callId !== callId) {
        // a new call's customer page starts blank
        callId = state.callId;
        shownStep = null;
        shownCode = null;
      }
      const step = runningStep(state, now());
      const stepKey = step?.key ?? null;
      if (stepKey !== shownStep && display.showChallenge(step?.display ?? null)) shownStep = stepKey;
      const code = state?.spokenCode ?? null;
      if (code !== shownCode && display.showCode(code)) shownCode = code;
    },
  };
}
