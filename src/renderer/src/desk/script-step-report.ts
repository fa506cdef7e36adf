/**
 * Which moves in the 话术 script are worth a case event (desk.scriptStep, a mark on the replay timeline): a real
 * change of the step on the agent's screen. Not a re-render, not the same suggestion arriving again with the next
 * DeskState, not 下一步 on the last step (the position does not change), and nothing once the case is decided.
 */
import type { DeskState } from '../../../shared/desk';
import type { Script } from '../../../shared/scripts';
import type { ScriptStepVia } from '../../../shared/verification';
import { currentStep, type ScriptPosition } from './script-nav';

export interface ScriptMove {
  callId: string;
  stepId: string;
  via: ScriptStepVia;
}

/** The move from `before` to `after` on this desk, or null when the step on screen stays the same. */
export function scriptMove(desk: DeskState | null, script: Script | null, before: ScriptPosition, after: ScriptPosition, via: ScriptStepVia): ScriptMove | null {
  if (!desk || desk.closed || !script) return null;
  const from = currentStep(script, before)?.id;
  const to = currentStep(script, after)?.id;
  return to !== undefined && to !== from ? { callId: desk.callId, stepId: to, via } : null;
}
