import { describe, expect, it } from 'vitest';
import type { DeskState } from '../../../shared/desk';
import { createDeskSync, runningStep, type ChallengeDisplay, type CustomerDisplay } from './desk-sync';
import { runningChallenge, sampleDesk, T0 } from './test-fixtures';

type Call = ['challenge', ChallengeDisplay | null] | ['code', string | null];

function recorder(accept: () => boolean = () => true): CustomerDisplay & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    showChallenge: (step) => {
      calls.push(['challenge', step]);
      return accept();
    },
    showCode: (digits) => {
      calls.push(['code', digits]);
      return accept();
    },
  };
}

const withChallenge = (current: number | null, id = 'c1', patch: Partial<DeskState> = {}) => sampleDesk(patch, { challenge: runningChallenge(current, id), state: current === null ? 'verdict' : 'challenge' });

describe('runningStep', () => {
  it('is the running step, 1-based, with the time allowed', () => {
    expect(runningStep(withChallenge(1))).toEqual({ key: 'c1:1', display: { action: 'turn_left', step: 2, of: 3, seconds: 6 } });
  });

  it('is null without a challenge, after it finished, or for a step that is not running', () => {
    expect(runningStep(null)).toBeNull();
    expect(runningStep(sampleDesk())).toBeNull();
    expect(runningStep(withChallenge(null))).toBeNull();
    const desk = withChallenge(0);
    desk.report.challenge!.steps[0]!.status = 'passed';
    expect(runningStep(desk)).toBeNull();
  });

  it('keeps the step within what the customer page accepts (1–60 s)', () => {
    const desk = withChallenge(0);
    desk.report.challenge!.steps[0]!.deadline = T0 + 600_000;
    expect(runningStep(desk)!.display.seconds).toBe(60);
    desk.report.challenge!.steps[0]!.deadline = T0 + 100;
    expect(runningStep(desk)!.display.seconds).toBe(1);
  });
});

describe('desk-sync', () => {
  it('a challenge and a code over a sequence of states: each transition once, nothing repeated', () => {
    const display = recorder();
    const sync = createDeskSync(display, () => T0);
    const states: Array<DeskState | null> = [
      sampleDesk(), // nothing shown yet: nothing to clear
      sampleDesk(),
      withChallenge(0),
      withChallenge(0), // a frame later: the same step
      withChallenge(0),
      withChallenge(1),
      withChallenge(2),
      withChallenge(2),
      withChallenge(null), // finished
      withChallenge(null),
      withChallenge(null, 'c1', { spokenCode: '4821' }),
      withChallenge(null, 'c1', { spokenCode: '4821' }),
      withChallenge(null, 'c1', { spokenCode: null }), // confirmed
      withChallenge(0, 'c2'), // a second attempt
      withChallenge(0, 'c2', { spokenCode: '0397' }),
      null, // the desk went away
      null,
    ];
    states.forEach((s) => sync.apply(s));
    expect(display.calls).toEqual([
      ['challenge', { action: 'blink', step: 1, of: 3, seconds: 6 }],
      ['challenge', { action: 'turn_left', step: 2, of: 3, seconds: 6 }],
      ['challenge', { action: 'nod', step: 3, of: 3, seconds: 6 }],
      ['challenge', null],
      ['code', '4821'],
      ['code', null],
      ['challenge', { action: 'blink', step: 1, of: 3, seconds: 6 }],
      ['code', '0397'],
      ['challenge', null],
      ['code', null],
    ]);
  });

  it('a restarted challenge at the same step index is a new instruction', () => {
    const display = recorder();
    const sync = createDeskSync(display, () => T0);
    sync.apply(withChallenge(0, 'c1'));
    sync.apply(withChallenge(0, 'c2'));
    expect(display.calls.map((c) => c[0])).toEqual(['challenge', 'challenge']);
  });

  it('retries what the data channel did not take, with the next state', () => {
    let open = false;
    const display = recorder(() => open);
    const sync = createDeskSync(display, () => T0);
    sync.apply(withChallenge(0, 'c1', { spokenCode: '1234' }));
    open = true;
    sync.apply(withChallenge(0, 'c1', { spokenCode: '1234' }));
    sync.apply(withChallenge(0, 'c1', { spokenCode: '1234' }));
    expect(display.calls).toEqual([
      ['challenge', { action: 'blink', step: 1, of: 3, seconds: 6 }],
      ['code', '1234'],
      ['challenge', { action: 'blink', step: 1, of: 3, seconds: 6 }],
      ['code', '1234'],
    ]);
  });

  it('a new call starts from a blank customer page (nothing cleared that the new page never showed)', () => {
    const display = recorder();
    const sync = createDeskSync(display, () => T0);
    sync.apply(withChallenge(0, 'c1', { spokenCode: '1234' }));
    display.calls.length = 0;
    sync.apply(sampleDesk({ callId: 'call-2' }));
    expect(display.calls).toEqual([]);
  });

  it('never sends a score: only the action, step numbers, seconds and digits', () => {
    const display = recorder();
    const sync = createDeskSync(display, () => T0);
    sync.apply(withChallenge(1, 'c1', { spokenCode: '5555' }));
    for (const [, payload] of display.calls) {
      if (payload && typeof payload === 'object') expect(Object.keys(payload).sort()).toEqual(['action', 'of', 'seconds', 'step']);
      else expect(payload).toMatch(/^\d{4}$/);
    }
  });
});
