import { describe, expect, it } from 'vitest';
import { canEscalate, needsOverride } from './decision';
import { deskAvailability } from './desk-availability';
import { runningChallenge, sampleDesk } from './test-fixtures';

describe('needsOverride: a decision against the advice needs a reason', () => {
  it.each([
    ['pass', 'pass', false],
    ['pass', 'fail', true],
    ['review', 'pass', true],
    ['review', 'fail', false],
    ['fail', 'pass', true],
    ['fail', 'fail', false],
  ] as const)('advice %s, decision %s → %s', (advice, decision, expected) => {
    expect(needsOverride(advice, decision)).toBe(expected);
  });
});

describe('canEscalate', () => {
  it('for review and fail advice, and for the agent’s own fail', () => {
    expect(canEscalate('pass', null)).toBe(false);
    expect(canEscalate('pass', 'pass')).toBe(false);
    expect(canEscalate('pass', 'fail')).toBe(true);
    expect(canEscalate('review', null)).toBe(true);
    expect(canEscalate('fail', 'pass')).toBe(true);
  });
});

describe('deskAvailability', () => {
  it('a fresh desk, customer connected', () => {
    expect(deskAvailability(sampleDesk(), true)).toEqual({ startChallenge: true, issueCode: true, confirmCode: false, decide: true, escalate: true });
  });

  it('nothing goes to a customer who is not connected', () => {
    expect(deskAvailability(sampleDesk(), false)).toMatchObject({ startChallenge: false, issueCode: false, decide: true });
  });

  it('no second challenge while one runs; the code is confirmed while it is shown', () => {
    const desk = sampleDesk({ spokenCode: '1234' }, { challenge: runningChallenge(0) });
    expect(deskAvailability(desk, true)).toMatchObject({ startChallenge: false, issueCode: false, confirmCode: true });
  });

  it('a closed case takes no more actions; an escalated one is not escalated again', () => {
    const closed = sampleDesk({ closed: true, escalated: true, decision: { decision: 'fail', reasonCode: null, against: false, at: 1 } });
    expect(deskAvailability(closed, true)).toEqual({ startChallenge: false, issueCode: false, confirmCode: false, decide: false, escalate: false });
  });
});
