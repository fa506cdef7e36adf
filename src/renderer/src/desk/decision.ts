/**
 * The agent's decision against the engine's advice (DESIGN.md §6): the engine advises, the agent decides, and a
 * decision that goes against the advice needs a reason code (main refuses it with FORBIDDEN otherwise).
 */
import type { Decision } from '../../../shared/desk';
import type { Advice } from '../../../shared/verification';

/**
 * Against the advice: failing a case the engine would pass, or passing one it did not show to pass (建议复核 means a
 * required check is not settled, so a pass there is the agent's own judgement and needs a reason too).
 */
export function needsOverride(advice: Advice, decision: Decision): boolean {
  return decision === 'pass' ? advice !== 'pass' : advice === 'pass';
}

/** 升级给组长 is offered for cases that are not a clean pass: advice review/fail, or the agent's own fail. */
export function canEscalate(advice: Advice, decision: Decision | null): boolean {
  return advice !== 'pass' || decision === 'fail';
}
