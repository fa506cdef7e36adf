/**
 * What a loaded script says at run time, as pure functions: which step the engine and verification events make
 * the suggested one, and whether the closing checklist is complete. docs/scripts.md explains the rules.
 */
import { QUALITY_ISSUES } from '../../shared/engine';
import type { CloseReason, Script, ScriptEvent, Step } from '../../shared/scripts';

/**
 * Which events win when several are in force (lower first): conduct before consent, a failed check before who is
 * in view, a challenge or the spoken code the engine has just asked for before capture conditions, capture
 * conditions before a borderline result (fix the light first, then look again), and the ordinary flow last.
 */
const RANKS: readonly (readonly ScriptEvent[])[] = [
  ['abuse', 'complaint'],
  ['consent:declined'],
  ['face_match:fail', 'passive_liveness:fail', 'active_liveness:fail', 'face_swap:fail', 'id_consistency:fail'],
  ['second_face', 'no_face'],
  ['challenge:blink', 'challenge:turn_left', 'challenge:turn_right', 'challenge:nod', 'challenge:open_mouth', 'spoken_code'],
  QUALITY_ISSUES,
  ['face_match:warn', 'face_swap:warn', 'id_consistency:warn'],
  ['call:connected', 'consent:given', 'face_match:pass'],
];
const RANK = new Map<ScriptEvent, number>(RANKS.flatMap((events, rank) => events.map((e) => [e, rank] as const)));
export const eventRank = (event: ScriptEvent): number => RANK.get(event) ?? RANKS.length;

export interface SuggestOptions {
  /** The step the agent is on: its branches with a matching `when` come before the script-wide triggers. */
  current?: string | null;
}

/** The step whose trigger matches `event`: the highest `count` reached wins, then the earlier step. */
function triggeredBy(steps: readonly Step[], event: ScriptEvent, occurrences: number): Step | null {
  let best: { step: Step; count: number } | null = null;
  for (const step of steps) {
    for (const t of step.triggers) {
      if (t.event !== event || t.count > occurrences) continue;
      if (best === null || t.count > best.count) best = { step, count: t.count };
    }
  }
  return best?.step ?? null;
}

/**
 * The step the events in force make current, or null when none of them triggers anything.
 * `events` is oldest first and may repeat an event (`{ event: abuse, count: 2 }` needs two): the caller passes
 * what is in force now, e.g. the latest frame's quality issues plus the signals since the step last changed.
 * The best-ranked event wins; among events of the same rank, the newest.
 */
export function suggestStep(script: Script, events: readonly ScriptEvent[], options: SuggestOptions = {}): string | null {
  const count = new Map<ScriptEvent, number>();
  const newest = new Map<ScriptEvent, number>();
  events.forEach((e, i) => {
    count.set(e, (count.get(e) ?? 0) + 1);
    newest.set(e, i);
  });
  const order = [...newest.keys()].sort((a, b) => eventRank(a) - eventRank(b) || newest.get(b)! - newest.get(a)!);
  const current = options.current ? script.steps.find((s) => s.id === options.current) : undefined;
  for (const event of order) {
    const branch = current?.branches.find((b) => b.when === event);
    if (branch) return branch.to;
    const step = triggeredBy(script.steps, event, count.get(event)!);
    if (step) return step.id;
  }
  return null;
}

export interface ChecklistState {
  complete: boolean;
  /** Ids of the items still to tick, in checklist order. */
  missing: string[];
}

/**
 * Whether a case may close: every item marked `always`, and for a case closing as `completed` every item, is ticked.
 * Unknown ids in `ticked` are ignored. A script without a checklist is always complete.
 */
export function checklistComplete(script: Script, ticked: Iterable<string>, closeReason: CloseReason = 'completed'): ChecklistState {
  const done = new Set(ticked);
  const missing = script.checklist.filter((item) => (item.always || closeReason === 'completed') && !done.has(item.id)).map((item) => item.id);
  return { complete: missing.length === 0, missing };
}
