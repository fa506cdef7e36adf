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
import { createDeskSync } from './desk-sync';
import { goTo, scriptFor, stepBy } from './script-nav';

const customerDisplay = createDeskSync({ showChallenge, showCode });

export function applyDeskState(state: DeskState | null): void {
  useAppStore.getState().setDesk(state);
  customerDisplay.apply(state);
}

/** main's desk events (bootstrap.ts). */
export function subscribeToDesk(api: VeriDeskApi): Array<() => void> {
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

/** Alt+→ / Alt+← and the panel's 上一步/下一步 buttons. */
export function moveScriptStep(direction: 1 | -1): void {
  const { desk, scripts, scriptPosition, setScriptPosition } = useAppStore.getState();
  const script = desk ? scriptFor(scripts?.scripts, desk.serviceType) : null;
  if (script) setScriptPosition(stepBy(script, scriptPosition, direction));
}

/** A click on a step or a branch. */
export function goToScriptStep(id: string): void {
  const { desk, scripts, scriptPosition, setScriptPosition } = useAppStore.getState();
  const script = desk ? scriptFor(scripts?.scripts, desk.serviceType) : null;
  if (script) setScriptPosition(goTo(script, scriptPosition, id));
}

/** A call this page knows of whose desk it has not seen (the first desk.state came before it was listening). */
export async function fetchDeskFor(api: VeriDeskApi, callId: string): Promise<void> {
  if (useAppStore.getState().desk?.callId === callId) return;
  const result = await api.invoke('desk.current', {});
  if (result.ok && result.value?.callId === callId) applyDeskState(result.value);
}
