/**
 * Where the agent is in the 话术 script (DESIGN.md §9, docs/scripts.md). Main suggests a step (DeskState.suggestedStep,
 * from the engine's and the checks' events); the agent may follow it or walk the script by hand. `main` steps are the
 * ordered walk-through; a `prompt` step (guidance, a challenge, a complaint) is a detour, and leaving it returns to
 * the main step the agent left.
 */
import type { ServiceType } from '../../../shared/cases';
import type { Script, ScriptPlaceholder, Step } from '../../../shared/scripts';

export interface ScriptPosition {
  /** The step on screen (null: the script's first main step). */
  step: string | null;
  /** The main step a prompt step was entered from. */
  returnTo: string | null;
}

export const START: ScriptPosition = { step: null, returnTo: null };

export const scriptFor = (scripts: readonly Script[] | undefined, serviceType: ServiceType): Script | null => scripts?.find((s) => s.serviceType === serviceType) ?? null;
export const mainSteps = (script: Script): Step[] => script.steps.filter((s) => s.kind === 'main');
export const promptSteps = (script: Script): Step[] => script.steps.filter((s) => s.kind === 'prompt');
export const stepById = (script: Script, id: string | null): Step | undefined => (id === null ? undefined : script.steps.find((s) => s.id === id));

/** The step on screen: the chosen one while it exists in the script, else the first main step. */
export function currentStep(script: Script, position: ScriptPosition): Step | undefined {
  return stepById(script, position.step) ?? mainSteps(script)[0] ?? script.steps[0];
}

/** Jumps to a step (a click, a branch, a suggestion), remembering the main step a detour started from. */
export function goTo(script: Script, position: ScriptPosition, target: string): ScriptPosition {
  const next = stepById(script, target);
  if (!next) return position;
  if (next.kind === 'main') return { step: next.id, returnTo: null };
  const from = currentStep(script, position);
  return { step: next.id, returnTo: from?.kind === 'main' ? from.id : position.returnTo };
}

/** Alt+→ / Alt+←: the next or previous main step; from a prompt step, back to where the detour started. */
export function stepBy(script: Script, position: ScriptPosition, direction: 1 | -1): ScriptPosition {
  const mains = mainSteps(script);
  const from = currentStep(script, position);
  if (!from) return position;
  if (from.kind === 'prompt') {
    const back = stepById(script, position.returnTo) ?? mains[0];
    return back ? { step: back.id, returnTo: null } : position;
  }
  const index = mains.findIndex((s) => s.id === from.id);
  const to = mains[Math.min(Math.max(index + direction, 0), mains.length - 1)];
  return to ? { step: to.id, returnTo: null } : position;
}

/**
 * A new suggestion moves the agent there once; the same suggestion repeated in later states does not pull the
 * agent back from a step they chose by hand.
 */
export function followSuggestion(script: Script | null, position: ScriptPosition, previous: string | null, suggested: string | null): ScriptPosition {
  if (suggested === null || suggested === previous) return position;
  if (!script) return { step: suggested, returnTo: null };
  return goTo(script, position, suggested);
}

const PLACEHOLDER = /\{([a-zA-Z]+)\}/g;

/** `{agentId}` and `{hotline}` filled in; a placeholder without a value is left for `missing` to render. */
export function fillPlaceholders(line: string, values: Partial<Record<ScriptPlaceholder, string>>, missing: (name: string) => string): string {
  return line.replace(PLACEHOLDER, (_all, name: string) => values[name as ScriptPlaceholder] ?? missing(name));
}
