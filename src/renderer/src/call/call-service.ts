/**
 * The workspace's entry points for a live call (开始视频, 结束通话, guidance) and the router of
 * main's call events to the one CallSession in progress. Also picks a call up again after a page
 * reload (call.current + the record in call-persistence.ts).
 */
import type { VeriDeskApi } from '../../../shared/contract';
import type { CallInfo, CallState } from '../../../shared/call';
import type { Result } from '../../../shared/errors';
import type { GuidanceKey } from '../../../shared/signaling';
import { startAgentCamera } from '../camera/agent-camera';
import { useAppStore } from '../store/store';
import { openAgentCallMedia } from './agent-call-media';
import { callMetrics, installCallMetrics } from './call-metrics';
import { loadCall } from './call-persistence';
import { CallSession } from './call-session';
import { clearAnalysis, publishAnalysis } from './live-analysis';

let api: VeriDeskApi | null = null;
let session: CallSession | null = null;
/** call.state events that arrived while call.start was in flight (main joins the room before it answers). */
let early: CallState | null = null;
let starting = false;

/** Routes main's call events; returns the unsubscribers (bootstrap.ts). */
export function subscribeToCall(target: VeriDeskApi): Array<() => void> {
  api = target;
  installCallMetrics();
  return [
    target.on('call.state', (state) => {
      if (session && !session.isEnded) session.handleState(state);
      else if (starting) early = state;
    }),
    target.on('call.signal', (signal) => session?.handleSignal(signal)),
    target.on('call.customer', (message) => session?.handleCustomer(message)),
    target.on('recording.status', (status) => session?.handleRecordingStatus(status)),
    target.on('engine.analysis', (analysis) => {
      if (!session || session.isEnded || analysis.streamId !== session.info.streamId) return;
      session.noteAnalysis(analysis.capturedAt);
      publishAnalysis(analysis);
    }),
  ];
}

const requireApi = (): VeriDeskApi => {
  if (!api) throw new Error('subscribeToCall has not run');
  return api;
};

/** How the call is opened in main: call.start (a new room and join link) or, from the queue, queue.accept (the backend's room). */
export type CallOpener = (api: VeriDeskApi) => Promise<Result<CallInfo>>;

/** 开始视频: the agent's camera and microphone, then a room through main. Returns whether the call started. */
export async function startCall(open: CallOpener = (target) => target.invoke('call.start', {})): Promise<boolean> {
  const target = requireApi();
  const store = useAppStore.getState();
  if (starting || (session && !session.isEnded)) return false;
  starting = true;
  early = null;
  const callStartedAt = Date.now();
  callMetrics.reset(callStartedAt);
  clearAnalysis();
  store.resetCall();
  store.patchCall({ starting: true });
  try {
    if (store.camera.state !== 'live') await startAgentCamera(target);
    const { media, micError } = await openAgentCallMedia();
    const result = await open(target);
    if (!result.ok) {
      media.release();
      useAppStore.getState().patchCall({ starting: false, error: result.error });
      return false;
    }
    session = new CallSession({ api: target, info: result.value, media, callStartedAt, lastGen: -1, resumed: false });
    useAppStore.getState().patchCall({ starting: false, info: result.value, phase: 'waiting' });
    useAppStore.getState().patchCallFaults({ micError });
    // assigned by the call.state listener meanwhile (TypeScript cannot see that)
    const pending = early as CallState | null;
    if (pending?.callId === result.value.callId) session.handleState(pending);
    return true;
  } finally {
    starting = false;
    early = null;
  }
}

export async function endCall(): Promise<void> {
  await session?.end();
}

/** Leaves the ended screen. */
export function resetCall(): void {
  if (session && !session.isEnded) return;
  session = null;
  clearAnalysis();
  useAppStore.getState().resetCall();
}

export const pushGuidance = (key: GuidanceKey): boolean => session?.pushGuidance(key) ?? false;
export const clearGuidance = (): boolean => session?.clearGuidance() ?? false;
export const showChallenge = (step: Parameters<CallSession['showChallenge']>[0]): boolean => session?.showChallenge(step) ?? false;
export const showCode = (digits: string | null): boolean => session?.showCode(digits) ?? false;

/**
 * After the transport (re)connects: main's view of the call. Re-syncs a call in progress (events
 * may have been missed), resumes one this page started before a reload, and shows one it cannot
 * resume as such, so the agent can end it.
 */
export async function syncCallFromMain(target: VeriDeskApi): Promise<void> {
  const result = await target.invoke('call.current', {});
  if (!result.ok) return; // main without call support, or the transport went away again
  const state = result.value;
  if (session && !session.isEnded) {
    if (state && state.callId === session.info.callId) session.handleState(state);
    else session.dispose('lost');
    return;
  }
  if (!state || state.signaling === 'closed' || starting || useAppStore.getState().call.phase !== 'idle') return;
  const saved = loadCall(state.callId);
  if (!saved) {
    useAppStore.getState().patchCall({ orphan: true, state });
    return;
  }
  if (useAppStore.getState().camera.state !== 'live') await startAgentCamera(target);
  const { media, micError } = await openAgentCallMedia();
  if (session && !session.isEnded) {
    media.release();
    return;
  }
  const info = { callId: saved.callId, caseId: saved.caseId, roomId: saved.roomId, streamId: saved.streamId, joinExpiresAt: saved.joinExpiresAt, joinUrl: '' };
  callMetrics.reset(saved.callStartedAt);
  session = new CallSession({ api: target, info, media, callStartedAt: saved.callStartedAt, lastGen: saved.gen, resumed: true });
  useAppStore.getState().patchCall({ info, resumed: true, orphan: false, gen: saved.gen });
  useAppStore.getState().patchCallFaults({ micError });
  session.handleState(state);
}

/** Ends a call this page could not resume (no peer to tear down, only main's side). */
export async function endOrphanCall(): Promise<void> {
  const state = useAppStore.getState().call.state;
  if (!state) return;
  const result = await requireApi().invoke('call.end', { callId: state.callId });
  if (!result.ok) useAppStore.getState().patchCall({ error: result.error });
  else useAppStore.getState().patchCall({ orphan: false, phase: 'ended', endedReason: 'agent' });
}
