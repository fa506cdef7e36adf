/**
 * Which desk actions make sense now: the buttons and the keyboard shortcuts ask the same question, so a shortcut
 * never does what its button would not. Main still decides (it refuses with FORBIDDEN); this only avoids sending
 * what cannot succeed (a challenge to a customer who is not connected, a decision on a closed case).
 */
import type { Decision, DeskState } from '../../../shared/desk';
import { canEscalate } from './decision';

export interface DeskAvailability {
  startChallenge: boolean;
  issueCode: boolean;
  confirmCode: boolean;
  decide: boolean;
  escalate: boolean;
}

export function deskAvailability(desk: DeskState, connected: boolean, choice: Decision | null = null): DeskAvailability {
  const open = !desk.closed;
  const challengeRunning = desk.report.challenge?.status === 'running';
  const codeAwaiting = desk.spokenCode !== null || desk.report.spokenCode.reason === 'awaiting_confirmation';
  return {
    startChallenge: open && connected && !challengeRunning,
    issueCode: open && connected && desk.spokenCode === null,
    confirmCode: open && codeAwaiting,
    decide: open && desk.decision === null,
    escalate: !desk.escalated && canEscalate(desk.report.advice, desk.decision?.decision ?? choice),
  };
}
