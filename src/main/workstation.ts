import { join } from 'node:path';
import type { AppInfo, EngineStatus } from '../shared/contract';
import { BackendProbe } from './backend/backend-probe';
import { CallService } from './call/call-service';
import { forwardCallAnalysis } from './call/call-stream';
import { RecordingGate } from './call/recording-gate';
import type { SignalingTuning } from './call/signaling-client';
import { CaseStore } from './caselog/store';
import type { KeyProvider } from './caselog/key-provider';
import type { EngineChannelFactory } from './engine/process/channel';
import { EngineService } from './engine/service';
import { DeskService } from './desk/desk-service';
import { fetchReferencePhoto } from './backend/reference-photo';
import { secureRandom, seededRandom } from './verification/random';
import type { ChallengeAction } from '../shared/signaling';
import { AppFailure } from '../shared/errors';
import { defaultScriptsDir, loadScripts } from './scripts/loader';
import { formatScriptError } from '../shared/scripts';
import { CaseSync, type CaseSyncOptions } from './sync/case-sync';
import { FrameDiagnostics } from './frames/frame-diagnostics';
import type { Logger } from './log/logger';
import { RecordingService } from './recording/recording-service';
import { LocalRecordingSource } from './upload/recording-source';
import { RecordingUploads } from './upload/recording-uploads';
import type { SyncStatus } from '../shared/cases';
import { APP_ORIGIN } from './app/app-protocol';
import { MEDIA_BACKEND_RECORDINGS_PATH } from '../shared/review';
import { CaseReviewService, mediaUrlFor } from './review/case-review';
import { MediaTokens } from './review/media-token';
import { RecordingMedia } from './review/recording-media';
import { BACKEND_MEDIA_LABEL, BackendRecordingMedia } from './console/backend-recording-media';
import { reanalyzeCase } from './review/reanalysis';
import { ConsoleService } from './console/console-service';
import { createDispatcher, type Dispatch, type Handlers } from './rpc/dispatcher';
import { EventBus } from './rpc/event-bus';
import { SettingsService } from './settings/settings-service';
import { BackendTokens } from './settings/backend-tokens';
import { FileSecretStore, UnavailableSecretStore, type SecretStore } from './settings/secret-store';
import { backendOrigin } from '../shared/settings';
import { QueueService, type QueueTuning } from './queue/queue-service';
import { deriveKeys } from './caselog/keys';
import { EnrolmentStore } from './shift/enrolment-store';
import { ShiftLog } from './shift/shift-log';
import { ShiftService } from './shift/shift-service';

export interface WorkstationOptions {
  /** Folder for settings and local data (Electron: app.getPath('userData')). */
  dataDir: string;
  transport: AppInfo['transport'];
  version: string;
  log: Logger;
  /** Face models folder; `null` runs without the engine (status 'stopped'). Default: the repo's models/. */
  modelsDir?: string | null;
  /** Protects the case log's data key (Electron: safeStorage; host: a 0600 key file). */
  keyProvider: KeyProvider;
  /**
   * A backend API token from the launch (the host: VERIDESK_BACKEND_TOKEN, see backendTokenFromEnv), bound to the
   * origin of the backend URL in effect at launch: after 设置 moves backendUrl to another origin it is not sent
   * there (that backend has no token until one is entered for it). Kept in memory only. Main keeps every token;
   * the renderer never sees one. Without a token for the current backend, sync is 'disabled' and calls cannot start.
   */
  backendToken?: string;
  /** @deprecated the old name of `backendToken` (still honoured). */
  syncToken?: string;
  /**
   * Where tokens entered in 设置 are kept, by backend origin (Electron: SafeStorageSecretStore; default for the
   * host: a 0600 secrets.json in dataDir; the Electron app without one cannot store a token — never plain text).
   */
  secretStore?: SecretStore;
  /** Tuning of the sync client (tests shorten the interval and backoff). */
  syncTuning?: CaseSyncOptions['client'];
  /** Tuning of a call's signaling connection (reconnect backoff, ping); tests shorten it. */
  callSignaling?: SignalingTuning;
  /** Tuning of the agent's queue poll (tests shorten the intervals and backoff). */
  queueTuning?: QueueTuning;
  /** How the engine process is started: Electron's utilityProcess in the app, child_process.fork by default. */
  engineChannel?: EngineChannelFactory;
  /** The 话术 scripts folder (default: resources/scripts of the repo; packaged: resources/scripts beside the asar). */
  scriptsDir?: string;
  /**
   * End-to-end tests only (the headless host reads VERIDESK_TEST_CHALLENGE; the Electron app never sets it): a fixed
   * seed and the actions a challenge may draw, so a test video that blinks and opens its mouth can pass.
   */
  testChallenge?: { seed: number; actions: ChallengeAction[] };
}

export interface Workstation {
  bus: EventBus;
  dispatch: Dispatch;
  /** Entry point of the frame channel for every transport. */
  acceptFrame(message: ArrayBuffer | Uint8Array): boolean;
  /** Recordings for the case page's <video>: the host's /media route and Electron's app://veridesk/media (src/main/review/). */
  media: RecordingMedia;
  /** The 质检 console's backend recordings, proxied with the lead token: /media/backend-recordings/<id> (src/main/console/backend-recording-media.ts). */
  backendMedia?: BackendRecordingMedia;
  close(): Promise<void>;
}

const STATS_INTERVAL_MS = 1000;

/** The backend token from the environment: VERIDESK_BACKEND_TOKEN, or the older VERIDESK_SYNC_TOKEN. */
export function backendTokenFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.VERIDESK_BACKEND_TOKEN || env.VERIDESK_SYNC_TOKEN || undefined;
}

/** Builds every main-side service and the contract's handlers; shared by the Electron app and the headless host. */
export async function createWorkstation(options: WorkstationOptions): Promise<Workstation> {
  const { log } = options;
  const bus = new EventBus();
  let lastOrigin: string | null = null;
  // resolves once the case log and the recordings have both moved to the backend set last (or re-read its token):
  // settings.update and settings.setBackendToken answer after it, so nothing more starts towards the old backend
  let backendMoved: Promise<void> = Promise.resolve();
  // the agent's queue seat (src/main/queue/): made once the call and the desk exist, below
  let queue: QueueService | null = null;
  // the agent's shift at the seat (src/main/shift/): made right after the queue, which asks it before going online
  let shifts: ShiftService | null = null;
  const settings = new SettingsService({
    path: join(options.dataDir, 'settings.json'),
    log,
    onChange: (next) => {
      bus.emit('settings.changed', next);
      void backend.check();
      void sync.connect(next.backendUrl);
      // recordings follow the case log to the same backend, once sync has moved there
      backendMoved = sync.settled().then(() => uploads?.connect(next.backendUrl));
      // the queue seat follows too: signed out at the old backend, nothing more asked there
      void queue?.connect(next.backendUrl);
      // another agent id ends the shift; a face-check policy change is logged in it
      shifts?.onSettingsChanged(next);
      // another backend: whether it has a token is another question
      if (backendOrigin(next.backendUrl) !== lastOrigin) bus.emit('settings.backendToken', tokens.state(next.backendUrl));
      lastOrigin = backendOrigin(next.backendUrl);
    },
  });
  await settings.load();
  lastOrigin = backendOrigin(settings.get().backendUrl);
  const secrets =
    options.secretStore ??
    // the Electron app keeps tokens only in the OS keystore: without one wired, none can be stored (never plain text)
    (options.transport === 'electron' ? new UnavailableSecretStore('no OS keystore store was given to the workstation') : new FileSecretStore(join(options.dataDir, 'secrets.json'), log));
  const launchToken = options.backendToken ?? options.syncToken;
  const tokens = new BackendTokens({ secrets, log, launch: launchToken ? { url: settings.get().backendUrl, token: launchToken } : undefined });
  // read once now: a secret file others can read stops the start here, not at the first request
  tokens.has(settings.get().backendUrl);
  const cases = CaseStore.open({ path: join(options.dataDir, 'cases.db'), keyProvider: options.keyProvider });
  // recording uploads (src/main/upload/): made once the recordings are recovered, below
  let uploads: RecordingUploads | null = null;
  const withUpload = (status: SyncStatus): SyncStatus => (uploads ? { ...status, upload: uploads.status() } : status);
  const sync = new CaseSync({
    store: cases,
    tokenFor: tokens.tokenFor,
    log,
    client: options.syncTuning,
    onStatus: (status) => {
      bus.emit('sync.status', withUpload(status));
      // events just reached the backend: a recording waiting for its case to sync may go now
      if (status.state === 'idle') uploads?.nudge();
    },
    onHeld: (held) => bus.emit('app.notice', { level: 'warning', code: 'BACKEND_REFUSED', key: 'syncCaseHeld', detail: `${held.caseId}: ${held.code}` }),
    onBlocked: (status) => bus.emit('app.notice', { level: 'error', code: 'BACKEND_REFUSED', key: 'syncBlocked', detail: status.lastError ? `${status.lastError.code}: ${status.lastError.message}` : undefined }),
  });
  tokens.onChange(() => {
    void sync.refresh();
    backendMoved = backendMoved.then(() => uploads?.refresh());
    queue?.refresh();
  });
  void sync.connect(settings.get().backendUrl);
  const backend = new BackendProbe({ url: () => settings.get().backendUrl, onChange: (status) => bus.emit('backend.status', status) });
  backend.start();
  const frames = new FrameDiagnostics(log);
  const engine = options.modelsDir === null ? null : startEngine(options, bus, frames);
  const startedAt = Date.now();

  const recordings = new RecordingService({ store: cases, log, onStatus: (status) => bus.emit('recording.status', status) });
  // a crash or kill during a call left recordings open: seal what reached the disk before anything new starts
  try {
    const recovered = recordings.recoverUnfinished();
    if (recovered.length > 0) log.info({ count: recovered.length }, 'unfinished recordings recovered');
  } catch (error) {
    log.error({ err: error instanceof Error ? error.message : String(error) }, 'recovering unfinished recordings failed');
  }
  uploads = new RecordingUploads({
    source: new LocalRecordingSource(cases, recordings),
    tokenFor: tokens.tokenFor,
    log,
    onStatus: (upload) => bus.emit('sync.status', { ...sync.status(), upload }),
  });
  backendMoved = sync.settled().then(() => uploads?.connect(settings.get().backendUrl));
  const calls = new CallService({
    store: cases,
    settings: () => settings.get(),
    tokenFor: tokens.tokenFor,
    log,
    emit: (event, payload) => bus.emit(event, payload),
    stopRecordings: (callId) => recordings.stopAllForCall(callId),
    // frames.release also clears the engine's state for the stream (onRelease below)
    releaseStream: (streamId) => frames.release(streamId),
    signaling: options.callSignaling,
    // a queued call's end is told to the queue (POST …/finish)
    onEnded: (ended) => queue?.onCallEnded(ended),
  });
  const recordingGate = new RecordingGate({ recordings, activeCall: () => calls.active(), agentId: () => settings.get().agentId, log });
  // 话术: loaded once; a broken file is reported (file, line, field) and never stops the others
  const scriptList = loadScripts(options.scriptsDir ?? defaultScriptsDir());
  for (const error of scriptList.errors) log.warn({ file: error.file, line: error.line, field: error.field }, `script not loaded: ${formatScriptError(error)}`);
  const desk = new DeskService({
    engine,
    store: cases,
    activeCall: () => calls.active(),
    device: () => {
      const device = calls.current()?.device;
      return device ? { videoLabel: device.videoLabel, virtualCamera: device.virtualCamera, platform: device.platform } : null;
    },
    scripts: () => scriptList.scripts,
    referencePhoto: (customerRef) => {
      // the token of the backend asked, looked up now: never one entered for another backend
      const { backendUrl } = settings.get();
      const token = tokens.tokenFor(backendOrigin(backendUrl));
      if (!token) throw new AppFailure('UNAVAILABLE', `no backend token for ${backendOrigin(backendUrl)}: reference photos come from the backend`);
      return fetchReferencePhoto({ backendUrl, token, customerRef });
    },
    agentId: () => settings.get().agentId,
    emit: (state) => bus.emit('desk.state', state),
    log,
    ...(options.testChallenge
      ? { random: seededRandom(options.testChallenge.seed), verificationConfig: { challengeActions: options.testChallenge.actions } }
      : {}),
  });
  queue = new QueueService({
    settings: () => settings.get(),
    tokenFor: tokens.tokenFor,
    log,
    emit: (status) => bus.emit('queue.status', status),
    store: cases,
    calls,
    desk,
    presenceGate: (state) => {
      if (!shifts) throw new AppFailure('UNAVAILABLE', 'the shift service is not ready');
      shifts.presenceGate(state);
    },
    tuning: options.queueTuning,
  });
  void queue.connect(settings.get().backendUrl);
  const queueSeat = queue;
  const shiftKeys = deriveKeys(options.keyProvider);
  shifts = new ShiftService({
    log: new ShiftLog(cases.db, shiftKeys.ledgerKey),
    enrolments: new EnrolmentStore(cases.db, shiftKeys.dataKey),
    engine,
    settings: () => settings.get(),
    setAgentId: async (agentId) => {
      await settings.update({ agentId });
    },
    queue: () => queue,
    emit: (status) => bus.emit('shift.status', status),
    notice: (notice) => bus.emit('app.notice', notice),
    logger: log,
    random: secureRandom,
  });
  const shiftSeat = shifts;
  if (options.testChallenge) log.warn({ testChallenge: options.testChallenge }, 'TEST ONLY: the active challenge uses a fixed seed');
  frames.onFrame((frame) => desk.onFrame(frame));
  if (engine) {
    frames.onRelease((streamId) => engine.releaseStream(streamId));
    // the overlay of the active call's customer video; never the agent's own camera, never an embedding
    forwardCallAnalysis({
      onAnalysis: (listener) => engine.onAnalysis(listener),
      activeStreamId: () => {
        const call = calls.active();
        return call && !call.closed ? call.streamId : null;
      },
      emit: (analysis) => bus.emit('engine.analysis', analysis),
    });
    engine.onAnalysis((analysis) => desk.onAnalysis(analysis));
  }

  // the case page: one key per launch for the media tokens, so a restart invalidates every media URL handed out
  const mediaTokens = new MediaTokens();
  const review = new CaseReviewService({ store: cases, recordings, tokens: mediaTokens, mediaUrl: mediaUrlFor(options.transport, APP_ORIGIN) });
  const media = new RecordingMedia({ recordings, tokens: mediaTokens, log });
  // the 质检 console: lead tokens only (it asks the backend's whoami before every request)
  // the console's backend recordings: the same key under another label, so neither kind of token opens the other route
  const backendMediaTokens = mediaTokens.withLabel(BACKEND_MEDIA_LABEL);
  const backendMedia = new BackendRecordingMedia({ backendUrl: () => settings.get().backendUrl, tokenFor: tokens.tokenFor, tokens: backendMediaTokens, log });
  const qaConsole = new ConsoleService({
    store: cases,
    dataDir: options.dataDir,
    backendUrl: () => settings.get().backendUrl,
    tokenFor: tokens.tokenFor,
    log,
    backendMedia: { tokens: backendMediaTokens, mediaUrl: mediaUrlFor(options.transport, APP_ORIGIN, MEDIA_BACKEND_RECORDINGS_PATH) },
  });

  const statsTimer = setInterval(() => {
    const streams = frames.snapshot();
    if (streams.length > 0) bus.emit('diagnostics.streams', streams);
  }, STATS_INTERVAL_MS);
  statsTimer.unref();

  const handlers: Handlers = {
    'app.info': () => ({
      version: options.version,
      platform: process.platform,
      transport: options.transport,
      startedAt,
      notices: settings.notices(),
    }),
    'settings.get': () => settings.get(),
    'settings.update': async (patch) => {
      const next = await settings.update(patch);
      // resolved once sync and uploads have moved: from here on nothing is sent to the backend configured before
      await sync.settled();
      await backendMoved;
      return next;
    },
    'settings.backendToken': () => tokens.state(settings.get().backendUrl),
    // after the settings changes asked before it: "current backend" is the one those leave behind
    'settings.setBackendToken': ({ token }) =>
      settings.afterPending(async (current) => {
        const state = await tokens.set(current.backendUrl, token);
        bus.emit('settings.backendToken', state);
        await sync.settled();
        await backendMoved;
        return state;
      }),
    'sync.retry': async () => {
      uploads?.retry();
      return withUpload(await sync.retry());
    },
    'diagnostics.streams': () => frames.snapshot(),
    'engine.status': () => engine?.status() ?? STOPPED,
    'backend.status': () => backend.current(),
    'cases.list': (filter) => cases.listCases(filter),
    'cases.get': ({ caseId }) => review.get(caseId),
    'cases.evidenceImage': ({ caseId, evidenceId }) => review.evidenceImage(caseId, evidenceId),
    'cases.recordings': ({ caseId }) => review.recordings(caseId),
    'cases.reanalyze': ({ caseId }) => reanalyzeCase({ store: cases, recordings, engine, modelsDir: options.modelsDir ?? undefined }, caseId),
    'sync.status': () => withUpload(sync.status()),
    'call.start': (params) => calls.start(params),
    'call.signal': (params) => calls.signal(params),
    'call.mediaEvent': (params) => calls.mediaEvent(params),
    'call.end': ({ callId }) => calls.end(callId),
    'call.current': () => calls.current(),
    'recording.start': (params) => recordingGate.start(params),
    'recording.chunk': (params) => recordingGate.chunk(params),
    'recording.stop': (params) => recordingGate.stop(params),
    'desk.current': () => desk.current(),
    'desk.setIdPhoto': ({ callId, data, source }) => desk.setIdPhoto(callId, data, source),
    'desk.setIdInfo': ({ callId, name, idNumber }) => desk.setIdInfo(callId, name, idNumber),
    'desk.captureIdFromCamera': ({ callId }) => desk.captureIdFromCamera(callId),
    'desk.fetchReferencePhoto': ({ callId, customerRef }) => desk.fetchReferencePhoto(callId, customerRef),
    'desk.startChallenge': ({ callId }) => desk.startChallenge(callId),
    'desk.startOcclusionTest': ({ callId }) => desk.startOcclusionTest(callId),
    'desk.issueSpokenCode': ({ callId }) => desk.issueSpokenCode(callId),
    'desk.confirmSpokenCode': ({ callId, ok }) => desk.confirmSpokenCode(callId, ok),
    'desk.decide': ({ callId, decision, reasonCode, note }) => desk.decide(callId, decision, reasonCode, note),
    'desk.escalate': ({ callId, note }) => desk.escalate(callId, note),
    'desk.evidence': ({ callId, streamId, capturedAt }) => desk.evidence(callId, streamId, capturedAt),
    'desk.idPhotoImage': ({ callId }) => desk.idPhotoImage(callId),
    'desk.checklist': ({ callId, item, ticked }) => desk.checklist(callId, item, ticked),
    'desk.scriptStep': ({ callId, stepId, via }) => desk.scriptStep(callId, stepId, via),
    'scripts.list': () => scriptList,
    'console.access': () => qaConsole.access(),
    'console.list': (params) => qaConsole.list(params),
    'console.stats': (params) => qaConsole.stats(params),
    'console.statsCsv': (params) => qaConsole.statsCsv(params),
    'console.sample': (params) => qaConsole.sample(params),
    'console.case': (params) => qaConsole.caseDetail(params),
    'console.recordings': (params) => qaConsole.recordings(params),
    'console.review': (params) => qaConsole.review(params),
    'console.importBundle': (params) => qaConsole.importBundle(params),
    'console.signers': () => qaConsole.pinnedSigners(),
    'console.pinSigner': (params) => qaConsole.pinSigner(params),
    'console.export': (params) => qaConsole.export(params),
    'console.wallboard': (params) => qaConsole.wallboard(params),
    'queue.status': () => queueSeat.current(),
    'queue.setState': ({ state }) => queueSeat.setState(state),
    'queue.accept': ({ requestId }) => queueSeat.accept(requestId),
    'queue.decline': ({ requestId }) => queueSeat.decline(requestId),
    'shift.status': () => shiftSeat.status(),
    'shift.signIn': ({ agentId, frames }) => shiftSeat.signIn(agentId, frames),
    'shift.signOut': () => shiftSeat.signOut(),
    'shift.check': ({ checkId, frames }) => shiftSeat.check(checkId, frames),
    'shift.enrol': ({ agentId, data }) => shiftSeat.enrol(agentId, data),
    'shift.history': ({ limit }) => shiftSeat.history(limit),
  };

  return {
    bus,
    dispatch: createDispatcher(handlers, log),
    acceptFrame: (message) => frames.accept(message),
    media,
    backendMedia,
    close: async () => {
      clearInterval(statsTimer);
      // the call first: bye to the room, its recordings sealed, 'call.ended' written while the store is open
      desk.close();
      await calls.close();
      // after the call (its finish is on its way): the seat is signed out, the poll stopped
      await queueSeat.close();
      // the shift ends with the app (its seat was signed out just above)
      shiftSeat.close();
      await recordings.stopAll().catch((error: unknown) => log.error({ err: error instanceof Error ? error.message : String(error) }, 'sealing recordings on close failed'));
      backend.stop();
      await engine?.stop();
      await uploads?.stop();
      await sync.stop();
      qaConsole.close();
      cases.close();
    },
  };
}

const STOPPED: EngineStatus = { state: 'stopped', provider: null, restarts: 0 };

/**
 * Starts the face engine in its own process and connects it: consumed frames go to its scheduler, its status
 * goes to the UI. A failed model load or a crash of the engine process never throws here: the supervisor
 * restarts it and the status (and a notice) tell the agent.
 */
function startEngine(options: WorkstationOptions, bus: EventBus, frames: FrameDiagnostics): EngineService {
  const engine = new EngineService({ logger: options.log, modelsDir: options.modelsDir ?? undefined, channel: options.engineChannel });
  let restarts = 0;
  engine.onStatus((status) => {
    bus.emit('engine.status', status);
    // load figures change twice a second; the notice is for restarts only
    if (status.restarts > restarts) bus.emit('app.notice', { level: 'warning', code: 'UNAVAILABLE', key: 'engineRestarted', detail: status.message });
    restarts = status.restarts;
  });
  frames.onFrame((frame) => engine.submitFrame(frame));
  engine.start().catch((error: unknown) => options.log.error({ err: (error as Error).message }, 'face engine unavailable'));
  return engine;
}
