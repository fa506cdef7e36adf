/**
 * 话术 script steps into the case log (issue 11: every script step is a mark on the replay timeline). The renderer
 * walks the script and reports each real move (desk.scriptStep); here it becomes a `script.step` verification
 * event. Only the step id is taken from the renderer: the step must exist in the script of the case's service type,
 * and its index, title and the script's file and version come from main's own copy.
 *
 * Nothing is debounced (every move the agent made is a fact of the case), but a renderer that floods — a held key
 * repeating, a bug in a loop, a hostile page — is refused beyond a human rate, so the case log cannot be filled
 * with noise.
 */
import { AppFailure } from '../../shared/errors';
import type { Script } from '../../shared/scripts';
import { ScriptStepEventSchema, type ScriptStepEvent, type ScriptStepVia } from '../../shared/verification';

/** Moves allowed in any sliding window: a fast agent clicking through a whole script stays far below it. */
export const SCRIPT_STEP_WINDOW_MS = 10_000;
export const MAX_SCRIPT_STEPS_PER_WINDOW = 30;
/** Moves one case may log at all (a long call with many detours has a few dozen). */
export const MAX_SCRIPT_STEPS_PER_CASE = 1000;

/** The event for a move to `stepId`, from main's script; NOT_FOUND when there is no such script or step. */
export function scriptStepEvent(script: Script | undefined, serviceType: string, stepId: string, via: ScriptStepVia, at: number): ScriptStepEvent {
  if (!script) throw new AppFailure('NOT_FOUND', `no 话术 script is loaded for the service type ${serviceType}`);
  const index = script.steps.findIndex((s) => s.id === stepId);
  const step = script.steps[index];
  if (!step) throw new AppFailure('NOT_FOUND', `step ${stepId} is not in the ${serviceType} script (${script.file})`);
  // parsed, not cast: what goes into the chain is exactly what the shared schema (and the backend) accepts
  return ScriptStepEventSchema.parse({ type: 'script.step', at, scriptId: script.file, scriptVersion: script.version, stepId: step.id, index, via, title: step.title });
}

/** The rate gate of one case's script moves (a new case starts from zero). */
export class ScriptStepRate {
  private caseId: string | null = null;
  private recent: number[] = [];
  private total = 0;

  constructor(
    private readonly windowMs = SCRIPT_STEP_WINDOW_MS,
    private readonly perWindow = MAX_SCRIPT_STEPS_PER_WINDOW,
    private readonly perCase = MAX_SCRIPT_STEPS_PER_CASE,
  ) {}

  /** Throws FORBIDDEN when one more move now would go over a limit; a refused move is not counted. */
  check(caseId: string, now: number): void {
    if (caseId !== this.caseId) {
      this.caseId = caseId;
      this.recent = [];
      this.total = 0;
    }
    this.recent = this.recent.filter((t) => now - t < this.windowMs);
    if (this.total >= this.perCase) throw new AppFailure('FORBIDDEN', `this case already logged ${this.perCase} script steps; no more are recorded`);
    if (this.recent.length >= this.perWindow) throw new AppFailure('FORBIDDEN', `more than ${this.perWindow} script steps in ${this.windowMs / 1000} s: not recorded`);
  }

  /** Counts a move that was stored. */
  note(now: number): void {
    this.recent.push(now);
    this.total++;
  }
}
