/**
 * The queue's link to main for the renderer: QueueStatus into the store (the queue.status event, queue.status after a
 * (re)connect), and the agent's actions. Accepting goes through the call's own start path (camera, microphone, then
 * main), with queue.accept instead of call.start: main opens the case with the hand-over context and joins the
 * backend's room. After it, the reference photo is shown as the ID photo and the script starts at the hand-over's
 * step once the call's desk is on screen.
 */
import type { VeriDeskApi } from '../../../../shared/contract';
import type { AgentState } from '../../../../shared/queue';
import { resetCall, startCall } from '../../call/call-service';
import { goTo, scriptFor, START } from '../../desk/script-nav';
import { useAppStore, type AppState } from '../../store/store';

/** main's queue events (bootstrap.ts). */
export function subscribeToQueue(api: VeriDeskApi): Array<() => void> {
  return [api.on('queue.status', (status) => useAppStore.getState().setQueue(status)), useAppStore.subscribe(applyPendingScriptStep)];
}

/** After the transport (re)connects. */
export async function syncQueueFromMain(api: VeriDeskApi): Promise<void> {
  const result = await api.invoke('queue.status', {});
  if (result.ok) useAppStore.getState().setQueue(result.value);
}

export async function setAgentState(api: VeriDeskApi, state: AgentState): Promise<void> {
  const store = useAppStore.getState();
  if (store.queueBusy) return;
  store.patchQueueUi({ queueBusy: true, queueError: null });
  const result = await api.invoke('queue.setState', { state });
  if (result.ok) useAppStore.getState().setQueue(result.value);
  useAppStore.getState().patchQueueUi({ queueBusy: false, queueError: result.ok ? null : result.error });
}

export async function acceptOffer(api: VeriDeskApi, requestId: string): Promise<void> {
  const store = useAppStore.getState();
  if (store.queueBusy) return;
  store.patchQueueUi({ queueBusy: true, queueError: null });
  // an ended call's screen is left: the accepted customer's call takes the workspace
  resetCall();
  store.setPage('workspace');
  let accepted: { callId: string; referencePhoto: string; scriptStep: string | null } | null = null;
  const started = await startCall(async (target) => {
    const result = await target.invoke('queue.accept', { requestId });
    if (!result.ok) {
      useAppStore.getState().patchQueueUi({ queueError: result.error });
      return result;
    }
    const { active, ...info } = result.value;
    accepted = { callId: info.callId, referencePhoto: active.referencePhoto, scriptStep: active.scriptStep };
    if (active.scriptStep) useAppStore.getState().patchQueueUi({ queueScriptStep: { callId: info.callId, step: active.scriptStep } });
    return { ok: true, value: info };
  });
  useAppStore.getState().patchQueueUi({ queueBusy: false });
  const done = accepted as { callId: string; referencePhoto: string } | null;
  if (!started || !done) return;
  // the reference photo main made the ID photo: shown from main's stored copy
  if (done.referencePhoto === 'set') {
    const image = await api.invoke('desk.idPhotoImage', { callId: done.callId });
    if (image.ok) useAppStore.getState().setIdPhotoView({ callId: done.callId, url: `data:${image.value.mime};base64,${image.value.data}` });
  }
}

export async function declineOffer(api: VeriDeskApi, requestId: string): Promise<void> {
  const store = useAppStore.getState();
  if (store.queueBusy) return;
  store.patchQueueUi({ queueBusy: true, queueError: null });
  const result = await api.invoke('queue.decline', { requestId });
  if (result.ok) useAppStore.getState().setQueue(result.value);
  useAppStore.getState().patchQueueUi({ queueBusy: false, queueError: result.ok ? null : result.error });
}

/** The hand-over's script step, once: when the desk of that call is in the store (the desk resets to the start on a new call). */
export function applyPendingScriptStep(state: AppState): void {
  const pending = state.queueScriptStep;
  if (!pending || state.desk?.callId !== pending.callId) return;
  const script = scriptFor(state.scripts?.scripts, state.desk.serviceType);
  state.patchQueueUi({ queueScriptStep: null });
  if (script) state.setScriptPosition(goTo(script, START, pending.step));
}
