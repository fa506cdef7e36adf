import { create } from 'zustand';
import type { AppInfo, BackendStatus, EngineStatus, Notice, StreamStats } from '../../../shared/contract';
import type { AppError } from '../../../shared/errors';
import type { SyncStatus } from '../../../shared/cases';
import type { Settings } from '../../../shared/settings';
import type { ConnectionState } from '../transport/ws-client';
import type { CallInfo, CallState, RecordingStatus, RecordingTrack } from '../../../shared/call';
import type { CustomerMediaState, GuidanceKey } from '../../../shared/signaling';
import type { CallPhase } from '../call/call-phase';
import type { ConnectionStats } from '../call/connection-stats';
import type { ScriptList } from '../../../shared/contract';
import type { DeskState } from '../../../shared/desk';
import type { QueueStatus } from '../../../shared/queue-desk';
import { followSuggestion, scriptFor, START, type ScriptPosition } from '../desk/script-nav';

/** 'case': one case of the case log (its id is `caseId`), reached from a row of 'cases'. */
export type Page = 'workspace' | 'cases' | 'case' | 'console' | 'settings';
export type CameraState = 'idle' | 'starting' | 'live' | 'error';

interface ConnectionSlice {
  connection: ConnectionState;
  appInfo: AppInfo | null;
  notices: Notice[];
  lastError: AppError | null;
  setConnection(state: ConnectionState): void;
  setAppInfo(info: AppInfo): void;
  addNotice(notice: Notice): void;
  dismissNotice(index: number): void;
  setLastError(error: AppError | null): void;
}

interface SettingsSlice {
  settings: Settings | null;
  setSettings(settings: Settings): void;
}

interface CameraSlice {
  camera: { state: CameraState; errorKey: string | null; errorDetail: string; devices: MediaDeviceInfo[] };
  setCamera(patch: Partial<CameraSlice['camera']>): void;
}

interface DiagnosticsSlice {
  streams: StreamStats[];
  setStreams(streams: StreamStats[]): void;
}

interface EngineSlice {
  engine: EngineStatus;
  setEngine(status: EngineStatus): void;
}

interface BackendSlice {
  backend: BackendStatus;
  setBackend(status: BackendStatus): void;
}

interface SyncSlice {
  sync: SyncStatus;
  setSync(status: SyncStatus): void;
}

interface NavigationSlice {
  page: Page;
  /** The case the 'case' page shows. */
  caseId: string | null;
  setPage(page: Page): void;
  openCase(caseId: string): void;
}

export interface RecordingSegmentView {
  recordingId: string;
  track: RecordingTrack;
  state: RecordingStatus['state'];
  chunks: number;
  bytes: number;
  errorCode?: string;
}

export interface GuidanceView {
  id: number;
  key: GuidanceKey;
  sentAt: number;
  ackedAt: number | null;
}

export interface CustomerDeviceView {
  videoLabel: string;
  audioLabel: string;
  /** The virtual-camera marker main matched in the label, or null. */
  virtualCamera: string | null;
  at: number;
}

/** The live call as the workspace shows it; written by src/call/call-session.ts only. */
export interface CallView {
  phase: CallPhase;
  /** call.start is in flight. */
  starting: boolean;
  /** The agent pressed 结束通话: recorders are flushing, call.end is in flight. */
  ending: boolean;
  /** From call.start; joinUrl carries the customer's token: shown, never logged. */
  info: CallInfo | null;
  state: CallState | null;
  gen: number;
  /** Picked up after a page reload: the join link is not known any more. */
  resumed: boolean;
  /** main has a call this page cannot pick up (no record of its stream): it can only be ended. */
  orphan: boolean;
  remoteStream: MediaStream | null;
  stats: ConnectionStats | null;
  device: CustomerDeviceView | null;
  customerMedia: CustomerMediaState['state'] | null;
  guidance: GuidanceView[];
  recordings: RecordingSegmentView[];
  recordingError: { track: RecordingTrack; code: string } | null;
  faults: { agentCameraLost: boolean; customerVideoLost: boolean; micError: string | null };
  endedReason: string | null;
  error: AppError | null;
}

interface CallSlice {
  call: CallView;
  /** Draw the 68 landmarks on the customer's video (kept across calls). */
  landmarks: boolean;
  patchCall(patch: Partial<CallView>): void;
  patchCallFaults(patch: Partial<CallView['faults']>): void;
  resetCall(): void;
  upsertRecording(status: RecordingStatus): void;
  failRecording(track: RecordingTrack, recordingId: string | null, code: string): void;
  addGuidance(view: GuidanceView): void;
  ackGuidance(id: number, at: number): void;
  setLandmarks(on: boolean): void;
}

/** The ID photo the agent dropped, as an object URL (main keeps only its analysis; the picture stays here). */
export interface IdPhotoView {
  callId: string;
  url: string;
}

/** The verification desk of the active call; written by src/desk/desk-service.ts and the desk components. */
interface DeskSlice {
  desk: DeskState | null;
  /** scripts.list: the loaded 话术 scripts and the files that failed to load. */
  scripts: ScriptList | null;
  /** The script step on screen, chosen by the agent (follows each new DeskState.suggestedStep). */
  scriptPosition: ScriptPosition;
  idPhotoView: IdPhotoView | null;
  setDesk(desk: DeskState | null): void;
  setScripts(scripts: ScriptList): void;
  setScriptPosition(position: ScriptPosition): void;
  setIdPhotoView(view: IdPhotoView | null): void;
}

/** The agent's queue seat (src/components/queue/): main's QueueStatus and what the renderer does with it. */
interface QueueSlice {
  queue: QueueStatus | null;
  /** The script step a queued call starts at, applied once that call's desk is on screen. */
  queueScriptStep: { callId: string; step: string } | null;
  /** The last refused queue action (state change, accept, decline), shown in Chinese by the banner and selector. */
  queueError: AppError | null;
  /** A queue action is in flight. */
  queueBusy: boolean;
  setQueue(status: QueueStatus): void;
  patchQueueUi(patch: Partial<Pick<QueueSlice, 'queueScriptStep' | 'queueError' | 'queueBusy'>>): void;
}

export type AppState = ConnectionSlice & SettingsSlice & CameraSlice & DiagnosticsSlice & EngineSlice & BackendSlice & SyncSlice & NavigationSlice & CallSlice & DeskSlice & QueueSlice;

export const initialCall = (): CallView => ({
  phase: 'idle',
  starting: false,
  ending: false,
  info: null,
  state: null,
  gen: -1,
  resumed: false,
  orphan: false,
  remoteStream: null,
  stats: null,
  device: null,
  customerMedia: null,
  guidance: [],
  recordings: [],
  recordingError: null,
  faults: { agentCameraLost: false, customerVideoLost: false, micError: null },
  endedReason: null,
  error: null,
});

const GUIDANCE_HISTORY = 8;

/** Object URLs hold the file's bytes until revoked: one per call at most. */
function releasePhoto(view: IdPhotoView | null, keep: IdPhotoView | null = null): void {
  if (view && view.url !== keep?.url) URL.revokeObjectURL(view.url);
}
const TERMINAL = new Set(['stopped', 'failed']);

/** Status events and method results for one segment can arrive in either order: counts only grow, an end state stays. */
function mergeRecording(previous: RecordingSegmentView | undefined, status: RecordingStatus): RecordingSegmentView {
  const next: RecordingSegmentView = { recordingId: status.recordingId, track: status.track, state: status.state, chunks: status.chunks, bytes: status.bytes, errorCode: status.errorCode };
  if (!previous) return next;
  const state = previous.state === 'failed' || (TERMINAL.has(previous.state) && status.state === 'recording') ? previous.state : status.state;
  return { ...next, state, chunks: Math.max(previous.chunks, status.chunks), bytes: Math.max(previous.bytes, status.bytes), errorCode: status.errorCode ?? previous.errorCode };
}

export const useAppStore = create<AppState>()((set) => ({
  connection: 'connecting',
  appInfo: null,
  notices: [],
  lastError: null,
  setConnection: (connection) => set({ connection }),
  setAppInfo: (appInfo) => set((state) => ({ appInfo, notices: [...state.notices, ...appInfo.notices] })),
  addNotice: (notice) => set((state) => ({ notices: [...state.notices, notice] })),
  dismissNotice: (index) => set((state) => ({ notices: state.notices.filter((_, i) => i !== index) })),
  setLastError: (lastError) => set({ lastError }),

  settings: null,
  setSettings: (settings) => set({ settings }),

  camera: { state: 'idle', errorKey: null, errorDetail: '', devices: [] },
  setCamera: (patch) => set((state) => ({ camera: { ...state.camera, ...patch } })),

  streams: [],
  setStreams: (streams) => set({ streams }),

  engine: { state: 'stopped', provider: null, restarts: 0 },
  setEngine: (engine) => set({ engine }),

  backend: { state: 'unknown', url: '', checkedAt: 0 },
  setBackend: (backend) => set({ backend }),

  sync: { state: 'disabled', pending: 0, lastSuccessAt: null, lastError: null, nextAttemptAt: null },
  setSync: (sync) => set({ sync }),

  page: 'workspace',
  caseId: null,
  setPage: (page) => set({ page }),
  openCase: (caseId) => set({ page: 'case', caseId }),

  call: initialCall(),
  landmarks: false,
  patchCall: (patch) => set((state) => ({ call: { ...state.call, ...patch } })),
  patchCallFaults: (patch) => set((state) => ({ call: { ...state.call, faults: { ...state.call.faults, ...patch } } })),
  resetCall: () => set({ call: initialCall() }),
  upsertRecording: (status) =>
    set((state) => {
      if (state.call.info && status.callId !== state.call.info.callId) return {};
      const recordings = [...state.call.recordings];
      const index = recordings.findIndex((r) => r.recordingId === status.recordingId);
      const merged = mergeRecording(recordings[index], status);
      if (index === -1) recordings.push(merged);
      else recordings[index] = merged;
      const recordingError = status.state === 'failed' ? { track: status.track, code: status.errorCode ?? 'IO_ERROR' } : state.call.recordingError;
      return { call: { ...state.call, recordings, recordingError } };
    }),
  failRecording: (track, recordingId, code) =>
    set((state) => ({
      call: {
        ...state.call,
        recordings: state.call.recordings.map((r) => (r.recordingId === recordingId ? { ...r, state: 'failed' as const, errorCode: code } : r)),
        recordingError: { track, code },
      },
    })),
  addGuidance: (view) => set((state) => ({ call: { ...state.call, guidance: [view, ...state.call.guidance].slice(0, GUIDANCE_HISTORY) } })),
  ackGuidance: (id, at) => set((state) => ({ call: { ...state.call, guidance: state.call.guidance.map((g) => (g.id === id && g.ackedAt === null ? { ...g, ackedAt: at } : g)) } })),
  setLandmarks: (landmarks) => set({ landmarks }),

  desk: null,
  scripts: null,
  scriptPosition: START,
  idPhotoView: null,
  setDesk: (desk) =>
    set((state) => {
      const sameCall = desk !== null && state.desk?.callId === desk.callId;
      const script = desk ? scriptFor(state.scripts?.scripts, desk.serviceType) : null;
      const scriptPosition = desk ? followSuggestion(script, sameCall ? state.scriptPosition : START, sameCall ? (state.desk?.suggestedStep ?? null) : null, desk.suggestedStep) : START;
      const idPhotoView = desk && state.idPhotoView?.callId === desk.callId ? state.idPhotoView : null;
      releasePhoto(state.idPhotoView, idPhotoView);
      return { desk, scriptPosition, idPhotoView };
    }),
  setScripts: (scripts) => set({ scripts }),
  setScriptPosition: (scriptPosition) => set({ scriptPosition }),
  setIdPhotoView: (idPhotoView) =>
    set((state) => {
      releasePhoto(state.idPhotoView, idPhotoView);
      return { idPhotoView };
    }),

  queue: null,
  queueScriptStep: null,
  queueError: null,
  queueBusy: false,
  setQueue: (queue) => set({ queue }),
  patchQueueUi: (patch) => set(patch),
}));
