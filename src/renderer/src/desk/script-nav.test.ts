import { describe, expect, it } from 'vitest';
import { currentStep, fillPlaceholders, followSuggestion, goTo, scriptFor, START, stepBy } from './script-nav';
import { sampleScript } from './test-fixtures';

const script = sampleScript();

describe('script navigation', () => {
  it('starts at the first main step', () => {
    expect(currentStep(script, START)?.id).toBe('greeting');
  });

  it('next/previous walk the main steps only, and stop at the ends', () => {
    let p = stepBy(script, START, 1);
    expect(p.step).toBe('consent');
    p = stepBy(script, p, 1);
    expect(p.step).toBe('face_check'); // guide_light is a prompt step: not in the walk
    p = stepBy(script, p, 1);
    expect(p.step).toBe('closing');
    expect(stepBy(script, p, 1).step).toBe('closing');
    expect(stepBy(script, p, -1).step).toBe('face_check');
    expect(stepBy(script, START, -1).step).toBe('greeting');
  });

  it('a prompt step is a detour: next or previous returns to the main step it was entered from', () => {
    const inPrompt = goTo(script, { step: 'consent', returnTo: null }, 'guide_light');
    expect(inPrompt).toEqual({ step: 'guide_light', returnTo: 'consent' });
    const second = goTo(script, inPrompt, 'complaint');
    expect(second).toEqual({ step: 'complaint', returnTo: 'consent' });
    expect(stepBy(script, second, 1)).toEqual({ step: 'consent', returnTo: null });
    expect(stepBy(script, second, -1)).toEqual({ step: 'consent', returnTo: null });
  });

  it('an unknown step changes nothing', () => {
    expect(goTo(script, START, 'nope')).toBe(START);
  });

  it('a new suggestion moves the agent once; the same one again does not pull them back', () => {
    let p = followSuggestion(script, { step: 'face_check', returnTo: null }, null, 'guide_light');
    expect(p).toEqual({ step: 'guide_light', returnTo: 'face_check' });
    p = stepBy(script, p, 1); // the agent goes back by hand
    expect(followSuggestion(script, p, 'guide_light', 'guide_light')).toBe(p);
    expect(followSuggestion(script, p, 'guide_light', null)).toBe(p);
    expect(followSuggestion(script, p, 'guide_light', 'closing')).toEqual({ step: 'closing', returnTo: null });
  });

  it('finds the script for the service type', () => {
    expect(scriptFor([script], 'operate')).toBe(script);
    expect(scriptFor([script], 'consult')).toBeNull();
    expect(scriptFor(undefined, 'operate')).toBeNull();
  });

  it('fills the placeholders it has a value for', () => {
    expect(fillPlaceholders('我是{agentId}号客服，热线{hotline}', { agentId: '007' }, (n) => `[${n}]`)).toBe('我是007号客服，热线[hotline]');
  });
});
