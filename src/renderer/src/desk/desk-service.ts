/**
 * The desk's link to main: every DeskState (the desk.state event, desk.current after a (re)connect, and each action's
 * result) goes into the store and through desk-sync to the customer's page. Actions are sent with `deskAction`, which
 * applies the returned state at once rather than waiting for the event.
 */
import type { MethodInput, MethodName, MethodOutput, VeriDeskApi } from '../../../shared/contract';
import type { DeskState } from '../../../shared/desk';
import type { Result } from '../../../shared/errors';
import { showChallenge, showCode } from '../call/call-service';
import { useAppStore } from '../store/store';
import type { Script } from '../../../shared/scripts';
import type { ScriptStepVia } from '../../../shared/verification';
import { createDeskSync } from './desk-sync';
import { goTo, scriptFor, START, stepBy, type ScriptPosition } from './script-nav';
import { scriptMove, type ScriptMove } from './script-step-report';

const customerDisplay = createDeskSync({ showChallenge, showCode });
/** The transport for the script moves main logs (set with the desk subscription). */
let deskApi: VeriDeskApi | null = null;

/**
 * Tells main about a move to log as a case event. A refusal (call over, case decided, too many) or a transport
 * that just went away changes nothing on screen: the agent's place in the script is the renderer's own.
 */
function report(move: ScriptMove | null): void {
  if (move && deskApi) deskApi.invoke('desk.scriptStep', move).catch(() => undefined);
}

export function applyDeskState(state: DeskState | null): void {
  const before = useAppStore.getState();
  // a new call starts at the script's first step: a suggestion moving it from there is a move too
  const from = state && before.desk?.callId === state.callId ? before.scriptPosition : START;
  before.setDesk(state);
  customerDisplay.apply(state);
  const after = useAppStore.getState();
  report(scriptMove(state, state ? scriptFor(after.scripts?.scripts, state.serviceType) : null, from, after.scriptPosition, 'suggested'));
}

/** main's desk events (bootstrap.ts). */
export function subscribeToDesk(api: VeriDeskApi): Array<() => void> {
  deskApi = api;
  return [api.on('desk.state', applyDeskState)];
}

/** After the transport (re)connects: the active call's desk (events may have been missed) and the scripts. */
export async function syncDeskFromMain(api: VeriDeskApi): Promise<void> {
  const [desk, scripts] = await Promise.all([api.invoke('desk.current', {}), api.invoke('scripts.list', {})]);
  if (scripts.ok) useAppStore.getState().setScripts(scripts.value);
  if (desk.ok) applyDeskState(desk.value);
}

/** The contract methods that answer with the new DeskState. */
export type DeskMethod = {
  [M in MethodName]: MethodOutput<M> extends DeskState ? (M extends 'desk.current' ? never : M) : never;
}[MethodName];

export async function deskAction<M extends DeskMethod>(api: VeriDeskApi, method: M, params: MethodInput<M>): Promise<Result<DeskState>> {
  const result = (await api.invoke(method, params)) as Result<DeskState>;
  if (result.ok) applyDeskState(result.value);
  return result;
}

/** The agent moves in the script: the new position on screen, and main told when the step changed. */
function moveInScript(via: ScriptStepVia, next: (script: Script, position: ScriptPosition) => ScriptPosition): void {
  const { desk, scripts, scriptPosition, setScriptPosition } = useAppStore.getState();
  const script = desk ? scriptFor(scripts?.scripts, desk.serviceType) : null;
  if (!script) return;
  const position = next(script, scriptPosition);
  setScriptPosition(position);
  report(scriptMove(desk, script, scriptPosition, position, via));
}

/** Alt+→ / Alt+← and the panel's 上一步/下一步 buttons. */
export function moveScriptStep(direction: 1 | -1): void {
  moveInScript(direction === 1 ? 'next' : 'back', (script, position) => stepBy(script, position, direction));
}

/** A click on a step or a branch ('jump'), or 返回 out of a detour ('back'). */
export function goToScriptStep(id: string, via: Extract<ScriptStepVia, 'jump' | 'back'> = 'jump'): void {
  moveInScript(via, (script, position) => goTo(script, position, id));
}

/** A call this page knows of whose desk it has not seen (the first desk.state came before it was listening). */
export async function fetchDeskFor(api: VeriDeskApi, callId: string): Promise<void> {
  if (useAppStore.getState().desk?.callId === callId) return;
  const result = await api.invoke('desk.current', {});
  if (result.ok && result.value?.callId === callId) applyDeskState(result.value);
}
