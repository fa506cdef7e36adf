import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScripts } from '../../../src/main/scripts/loader';
import { checklistComplete, suggestStep } from '../../../src/main/scripts/triggers';
import type { Script } from '../../../src/shared/scripts';

const { scripts, errors } = loadScripts(resolve(import.meta.dirname, '../../../resources/scripts'));
const script = (type: string): Script => {
  const s = scripts.find((x) => x.serviceType === type);
  if (!s) throw new Error(`no ${type} script (${errors.length} load errors)`);
  return s;
};
const operate = script('operate');

describe('suggestStep', () => {
  it('picks the lighting step for too_dark', () => {
    expect(suggestStep(operate, ['too_dark'])).toBe('guide_light');
    expect(operate.steps.find((s) => s.id === 'guide_light')?.customerPrompt).toBe('move_to_light');
  });

  it('picks the presence step for second_face', () => {
    expect(suggestStep(operate, ['second_face'])).toBe('presence_second_person');
    expect(suggestStep(script('query'), ['second_face'])).toBe('presence_second_person');
  });

  it('picks the offline-verification step for a failed face match', () => {
    expect(suggestStep(operate, ['face_match:fail'])).toBe('verify_offline');
  });

  it('returns null when nothing is in force or nothing matches', () => {
    expect(suggestStep(operate, [])).toBeNull();
    expect(suggestStep(operate, ['consent:given'])).toBeNull();
    // consult has no identity check, so no picture guidance either
    expect(suggestStep(script('consult'), ['too_dark', 'second_face'])).toBeNull();
  });

  it('ranks events: conduct before failures, failures before presence, presence before picture quality', () => {
    expect(suggestStep(operate, ['second_face', 'too_dark'])).toBe('presence_second_person');
    expect(suggestStep(operate, ['too_dark', 'face_swap:fail', 'second_face'])).toBe('verify_offline');
    expect(suggestStep(operate, ['face_swap:fail', 'complaint'])).toBe('complaint');
    expect(suggestStep(operate, ['face_match:warn', 'blurred'])).toBe('guide_blur');
  });

  it('a challenge the engine has just asked for beats the head-turn quality issue it causes', () => {
    expect(suggestStep(operate, ['challenge:turn_left', 'turned'])).toBe('challenge_turn_left');
  });

  it('among events of the same rank, the newest wins', () => {
    expect(suggestStep(operate, ['too_dark', 'blurred'])).toBe('guide_blur');
    expect(suggestStep(operate, ['blurred', 'too_dark'])).toBe('guide_light');
  });

  it('abuse: a first warning, then ending the call at the second', () => {
    expect(suggestStep(operate, ['abuse'])).toBe('abuse_warning');
    expect(suggestStep(operate, ['abuse', 'too_dark', 'abuse'])).toBe('abuse_end');
    expect(operate.steps.find((s) => s.id === 'abuse_end')?.closeReason).toBe('abuse');
  });

  it("follows the current step's branch for its event", () => {
    expect(suggestStep(operate, ['consent:declined'], { current: 'consent' })).toBe('consent_declined');
    expect(suggestStep(script('consult'), ['consent:declined'], { current: 'greeting' })).toBe('consent_declined');
  });

  it('is pure: same input, same answer, and the script is not changed', () => {
    const before = structuredClone(operate);
    const events = ['too_dark', 'second_face'] as const;
    expect(suggestStep(operate, events)).toBe(suggestStep(operate, events));
    expect(operate).toEqual(before);
  });
});

describe('checklistComplete', () => {
  const all = operate.checklist.map((i) => i.id);

  it('reports every item as missing when nothing is ticked', () => {
    expect(checklistComplete(operate, [])).toEqual({ complete: false, missing: all });
  });

  it('reports exactly what is still missing, in checklist order', () => {
    const ticked = all.filter((id) => id !== 'liveness_done' && id !== 'outcome_told');
    expect(checklistComplete(operate, ticked)).toEqual({ complete: false, missing: ['liveness_done', 'outcome_told'] });
  });

  it('is complete when every item is ticked; unknown ids are ignored', () => {
    expect(checklistComplete(operate, new Set([...all, 'no_such_item']))).toEqual({ complete: true, missing: [] });
  });

  it('a case that ends early (abuse, failed verification) still needs the `always` items', () => {
    expect(checklistComplete(operate, [], 'abuse')).toEqual({ complete: false, missing: ['outcome_told'] });
    expect(checklistComplete(operate, ['outcome_told'], 'verification_failed')).toEqual({ complete: true, missing: [] });
  });

  it('transact also needs the terms read and the customer confirmation', () => {
    const transact = script('transact');
    const ticked = transact.checklist.map((i) => i.id).filter((id) => id !== 'terms_read' && id !== 'customer_confirmed');
    expect(checklistComplete(transact, ticked).missing).toEqual(['terms_read', 'customer_confirmed']);
  });

  it('a script without a checklist is always complete', () => {
    expect(checklistComplete(script('consult'), [])).toEqual({ complete: true, missing: [] });
  });
});
