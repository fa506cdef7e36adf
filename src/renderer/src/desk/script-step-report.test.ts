/**
 * Which 话术 moves become case events (desk.scriptStep): only a change of the step on screen, on a live desk.
 */
import { describe, expect, it } from 'vitest';
import type { DeskState } from '../../../shared/desk';
import { scriptMove } from './script-step-report';
import { goTo, START, stepBy } from './script-nav';
import { sampleDesk, sampleScript } from './test-fixtures';

describe('scriptMove', () => {
  const desk: DeskState = sampleDesk({ callId: 'call-abcdef0123456789' });
  const s = sampleScript();
  const first = s.steps.find((x) => x.kind === 'main')!;
  const second = s.steps.filter((x) => x.kind === 'main')[1]!;
  const prompt = s.steps.find((x) => x.kind === 'prompt')!;

  it('reports a step change with how it came about', () => {
    expect(scriptMove(desk, s, START, stepBy(s, START, 1), 'next')).toEqual({ callId: desk.callId, stepId: second.id, via: 'next' });
    const detour = goTo(s, START, prompt.id);
    expect(scriptMove(desk, s, START, detour, 'suggested')).toEqual({ callId: desk.callId, stepId: prompt.id, via: 'suggested' });
    expect(scriptMove(desk, s, detour, stepBy(s, detour, -1), 'back')).toEqual({ callId: desk.callId, stepId: first.id, via: 'back' });
  });

  it('reports nothing when the step on screen stays: a re-render, 上一步 at the first step, the first step chosen by id', () => {
    expect(scriptMove(desk, s, START, START, 'suggested')).toBeNull();
    expect(scriptMove(desk, s, START, stepBy(s, START, -1), 'back')).toBeNull();
    expect(scriptMove(desk, s, START, goTo(s, START, first.id), 'jump')).toBeNull();
    expect(scriptMove(desk, s, START, goTo(s, START, 'no_such_step'), 'jump')).toBeNull();
  });

  it('reports nothing without a live desk or a script', () => {
    const next = stepBy(s, START, 1);
    expect(scriptMove(null, s, START, next, 'next')).toBeNull();
    expect(scriptMove({ ...desk, closed: true }, s, START, next, 'next')).toBeNull();
    expect(scriptMove(desk, null, START, next, 'next')).toBeNull();
  });
});
