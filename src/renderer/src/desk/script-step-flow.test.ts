/**
 * The renderer's side of desk.scriptStep, through the real store and desk-service: the panel's buttons, a click on
 * a step, 返回 out of a detour and a followed suggestion each send one move to main; the same DeskState arriving
 * again (what happens a few times a second during a call), 下一步 on the last step and a decided case send nothing.
 * The transport is a recorder of invoke calls (main's handler has its own tests: tests/unit/desk/script-steps.test.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { MethodInput, VeriDeskApi } from '../../../shared/contract';
import { useAppStore } from '../store/store';
import { applyDeskState, goToScriptStep, moveScriptStep, subscribeToDesk } from './desk-service';
import { sampleDesk, sampleScript } from './test-fixtures';

let sent: MethodInput<'desk.scriptStep'>[];

const api: VeriDeskApi = {
  invoke: (async (method: string, params: unknown) => {
    if (method === 'desk.scriptStep') sent.push(params as MethodInput<'desk.scriptStep'>);
    return { ok: true, value: null };
  }) as VeriDeskApi['invoke'],
  on: () => () => {},
  sendFrame: () => {},
};

beforeEach(() => {
  sent = [];
  subscribeToDesk(api);
  useAppStore.getState().setDesk(null);
  useAppStore.getState().setScripts({ scripts: [sampleScript()], errors: [] });
});

describe('script moves sent to main', () => {
  it('sends each real move once, with how it came about', () => {
    const desk = sampleDesk({ callId: 'call-abcdef0123456789' });
    applyDeskState(desk);
    applyDeskState(desk); // the same state again: no move
    expect(sent).toEqual([]);
    moveScriptStep(1);
    goToScriptStep('guide_light');
    goToScriptStep('consent', 'back');
    moveScriptStep(-1);
    applyDeskState({ ...desk, suggestedStep: 'complaint' });
    applyDeskState({ ...desk, suggestedStep: 'complaint' }); // repeated suggestion: the agent is already there
    const moves = sent.map((m) => `${m.via}:${m.stepId}`);
    expect(moves).toEqual(['next:consent', 'jump:guide_light', 'back:consent', 'back:greeting', 'suggested:complaint']);
    expect(sent.every((m) => m.callId === desk.callId)).toBe(true);
  });

  it('sends nothing at the end of the script or once the case is decided', () => {
    const desk = sampleDesk({ callId: 'call-abcdef0123456789' });
    applyDeskState(desk);
    goToScriptStep('closing');
    moveScriptStep(1);
    moveScriptStep(1);
    expect(sent.map((m) => m.stepId)).toEqual(['closing']);
    applyDeskState({ ...desk, closed: true });
    moveScriptStep(-1);
    expect(sent).toHaveLength(1);
    expect(useAppStore.getState().scriptPosition.step).toBe('face_check'); // the panel still moves; only the log does not
  });

  it('a new call that opens on a suggested step reports it; one that opens on the first step does not', () => {
    applyDeskState(sampleDesk({ callId: 'call-first00000000000' }));
    applyDeskState(sampleDesk({ callId: 'call-second0000000000', suggestedStep: 'guide_light' }));
    expect(sent).toEqual([{ callId: 'call-second0000000000', stepId: 'guide_light', via: 'suggested' }]);
  });
});
