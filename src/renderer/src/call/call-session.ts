/**
 * One live call, renderer side: the peer generations, the customer's stream and its analysis tap,
 * connection stats, guidance, recordings and the case events about the media path. Main holds the
 * backend token and the signaling socket; everything here goes through the contract.
 *
 * Peer generations (the rule of src/shared/signaling.ts): the agent is always the initiator and
 * builds gen 0 when the customer is first present. A generation is replaced by gen + 1 when
 *   - ICE fails, or stays `disconnected` longer than DISCONNECTED_GRACE_MS,
 *   - the peer errors or closes, or never connects (CONNECT_TIMEOUT_MS), while the call is active,
 *   - the customer (re)joins (customerPresent false → true) while no peer is connected.
 * A replacement waits for the customer to be present (an offer to an empty seat is lost) and backs
 * off when generations keep failing before they connect. Signals of other generations are ignored.
 */
import type { VeriDeskApi } from '../../../shared/contract';
import type { CallCustomerMessage, CallInfo, CallMediaEvent, CallSignal, CallState, RecordingStatus, RecordingTrack } from '../../../shared/call';
import type { ChallengeAction, GuidanceKey, SignalData } from '../../../shared/signaling';
import { startFrameTap } from '../camera/frame-tap';
import { FramePacer } from '../camera/frame-pacer';
import { useAppStore } from '../store/store';
import type { AgentCallMedia } from './agent-call-media';
import { derivePhase } from './call-phase';
import { clearCall, saveCall } from './call-persistence';
import { currentPath, startStatsPoller } from './connection-stats';
import { DualRecorder } from './dual-recorder';
import { encodeChallenge, encodeChallengeClear, encodeCode, encodeCodeClear, parseDataMessage } from './guidance';
import { GuidanceDelivery } from './guidance-delivery';
import { clearAnalysis, noteRemoteFrame } from './live-analysis';
import { createPeerSession, type PeerDownReason, type PeerSession } from './peer-session';
import { watchAgentCamera, watchVideoTracks } from './track-watch';

/** Delay before rebuilding after n generations in a row failed without connecting (n ≥ 1). */
const backoffMs = (failures: number) => Math.min(8_000, 500 * 2 ** (failures - 1));
/** A recording start refused for a reason that may pass (consent being logged, transport back) is retried. */
const TRANSIENT_RECORDING_CODES = new Set(['FORBIDDEN', 'UNAVAILABLE']);
const RECORDING_RETRY_MS = 2_000;
const RECORDING_RETRIES = 5;

type MediaEventName = CallMediaEvent['event'];

export interface CallSessionOptions {
  api: VeriDeskApi;
  info: CallInfo;
  media: AgentCallMedia;
  callStartedAt: number;
  /** The last generation used before a page reload (-1 for a new call). */
  lastGen: number;
  /** Resumed after a reload: the customer had been connected, so the next connect is a recovery. */
  resumed: boolean;
}

export class CallSession {
  readonly info: CallInfo;
  private readonly api: VeriDeskApi;
  private readonly media: AgentCallMedia;
  private readonly recorder: DualRecorder;
  private readonly callStartedAt: number;
  private state: CallState | null = null;
  private peer: PeerSession | null = null;
  private gen: number;
  private everConnected: boolean;
  /** A connection was lost and 'reconnecting' was reported; the next connect is 'recovered'. */
  private recovering: boolean;
  private failures = 0;
  private rebuildTimer: ReturnType<typeof setTimeout> | null = null;
  private iceDisconnected = false;
  private lastPath: 'relay' | 'direct' | undefined;
  private remoteStream: MediaStream | null = null;
  private stopRemoteTap: (() => void) | null = null;
  private pacer: FramePacer | null = null;
  private stopStats: (() => void) | null = null;
  private unwatchRemote: (() => void) | null = null;
  private unwatchAgent: (() => void) | null = null;
  private customerVideoLost = false;
  private guidanceId = 0;
  private readonly guidance = new GuidanceDelivery({ send: (text) => this.peer?.send(text) ?? false });
  private recordingRetries = 0;
  /** The call is being closed: nothing new starts (no peer, no recording segment). */
  private closing = false;
  /** Everything is released. */
  private ended = false;
  private finishing: Promise<void> | null = null;
  /** The agent pressed 结束通话 (recordings are flushed while main still accepts them). */
  private endedByAgent = false;

  constructor(options: CallSessionOptions) {
    this.api = options.api;
    this.info = options.info;
    this.media = options.media;
    this.callStartedAt = options.callStartedAt;
    this.gen = options.lastGen;
    this.everConnected = options.resumed;
    this.recovering = options.resumed;
    this.recorder = new DualRecorder({
      api: this.api,
      callId: this.info.callId,
      onStatus: (status) => useAppStore.getState().upsertRecording(status),
      onFailure: (track, recordingId, code) => this.onRecordingFailure(track, recordingId, code),
    });
    this.persist();
    this.watchAgentCamera();
    window.addEventListener('pagehide', this.onPageHide);
  }

  /** A reload or a closed window kills the MediaRecorders: main is asked to close their recordings rather than leave them open. */
  private readonly onPageHide = () => {
    if (!this.closing) this.recorder.abandon();
  };

  // ---- events from main ------------------------------------------------------------------------------

  handleState(state: CallState): void {
    if (this.closing || state.callId !== this.info.callId) return;
    const previous = this.state;
    this.state = state;
    useAppStore.getState().patchCall({ state });
    // after a workstation reload the device report comes only with the state (call.current)
    if (state.device && !useAppStore.getState().call.device) useAppStore.getState().patchCall({ device: { ...state.device } });
    if (state.signaling === 'closed') {
      void this.finish(state.closedReason ?? null, false);
      return;
    }
    const joined = state.customerPresent && !previous?.customerPresent;
    if (joined && !this.peer?.connected) {
      // a (re)joined customer page has no peer: offer a fresh generation now, whatever the backoff
      this.rebuild(true);
    } else if (state.customerPresent && !this.peer && this.rebuildTimer === null) {
      this.rebuild(true);
    }
    this.syncRecording();
    this.updatePhase();
  }

  handleSignal(signal: CallSignal): void {
    if (this.closing || signal.callId !== this.info.callId) return;
    // only the current generation: a late answer or candidate of a replaced peer must not touch this one
    if (!this.peer || signal.gen !== this.peer.gen) return;
    this.peer.signal(signal.data);
  }

  handleCustomer(message: CallCustomerMessage): void {
    if (this.ended || message.callId !== this.info.callId) return;
    const store = useAppStore.getState();
    const m = message.message;
    if (m.kind === 'device') {
      store.patchCall({ device: { videoLabel: m.videoLabel, audioLabel: m.audioLabel, virtualCamera: message.virtualCamera, at: message.at } });
    } else if (m.kind === 'media') {
      store.patchCall({ customerMedia: m.state });
    }
    // consent: call.state carries the logged consent, which is what the UI shows
  }

  handleRecordingStatus(status: RecordingStatus): void {
    if (status.callId !== this.info.callId) return;
    useAppStore.getState().upsertRecording(status);
  }

  // ---- agent actions ---------------------------------------------------------------------------------

  pushGuidance(key: GuidanceKey): boolean {
    if (!this.peer?.connected) return false;
    const id = ++this.guidanceId;
    if (!this.guidance.push(id, key)) return false;
    useAppStore.getState().addGuidance({ id, key, sentAt: Date.now(), ackedAt: null });
    this.report('guidance_pushed', { gen: this.peer.gen, key });
    return true;
  }

  clearGuidance(): boolean {
    return this.guidance.clear();
  }

  /** Shows the active challenge's current step on the customer page (null clears it). */
  showChallenge(step: { action: ChallengeAction; step: number; of: number; seconds: number } | null): boolean {
    if (!this.peer?.connected) return false;
    if (!step) return this.peer.send(encodeChallengeClear());
    return this.peer.send(encodeChallenge(++this.guidanceId, step.action, step.step, step.of, step.seconds));
  }

  /** Shows the spoken code on the customer page (null clears it). */
  showCode(digits: string | null): boolean {
    if (!this.peer?.connected) return false;
    return this.peer.send(digits ? encodeCode(digits) : encodeCodeClear());
  }

  /** 结束通话: recorders first (their last chunks written), then call.end, then the media. */
  async end(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.endedByAgent = true;
    useAppStore.getState().patchCall({ ending: true });
    await this.recorder.stopAll();
    const result = await this.api.invoke('call.end', { callId: this.info.callId });
    if (!result.ok) useAppStore.getState().patchCall({ error: result.error });
    await this.finish(null, true);
  }

  // ---- peer generations ------------------------------------------------------------------------------

  /** Retires the current peer and builds the next generation, now or after the backoff. */
  private rebuild(immediate: boolean): void {
    this.retirePeer();
    if (this.rebuildTimer) clearTimeout(this.rebuildTimer);
    this.rebuildTimer = null;
    // an offer to an empty seat is lost: wait until the customer is present (handleState builds then)
    if (this.closing || !this.state?.customerPresent) return;
    if (immediate || this.failures === 0) {
      this.buildPeer();
      return;
    }
    this.rebuildTimer = setTimeout(() => {
      this.rebuildTimer = null;
      if (!this.peer) this.buildPeer();
    }, backoffMs(this.failures));
  }

  private buildPeer(): void {
    const state = this.state;
    if (this.closing || !state) return;
    const gen = ++this.gen;
    this.persist();
    this.iceDisconnected = false;
    useAppStore.getState().patchCall({ gen });
    this.peer = createPeerSession({
      gen,
      stream: this.media.compose(),
      iceServers: state.iceServers,
      iceTransportPolicy: state.iceTransportPolicy,
      onSignal: (data) => this.sendSignal(gen, data),
      onConnect: () => this.onConnect(gen),
      onStream: (stream) => this.onRemoteStream(gen, stream),
      onData: (text) => this.onData(text),
      onIceState: (ice) => {
        if (this.peer?.gen !== gen) return;
        this.iceDisconnected = ice === 'disconnected';
        this.updatePhase();
      },
      onDown: (reason, detail, wasConnected) => this.onPeerDown(gen, reason, detail, wasConnected),
    });
    this.updatePhase();
  }

  private sendSignal(gen: number, data: SignalData): void {
    void this.api.invoke('call.signal', { callId: this.info.callId, gen, data }).then((result) => {
      // the signal's content (SDP, candidates) is not logged
      if (!result.ok) console.warn('call.signal refused', result.error.code);
    });
  }

  private onConnect(gen: number): void {
    const peer = this.peer;
    if (!peer || peer.gen !== gen) return;
    const event: MediaEventName = this.everConnected && this.recovering ? 'recovered' : 'connected';
    this.everConnected = true;
    this.recovering = false;
    this.failures = 0;
    this.iceDisconnected = false;
    this.recordingRetries = 0;
    this.stopStats?.();
    const pc = peer.pc;
    if (pc) this.stopStats = startStatsPoller(pc, (stats) => this.peer === peer && useAppStore.getState().patchCall({ stats }));
    void currentPath(pc).then((path) => {
      this.lastPath = path ?? this.lastPath;
      this.report(event, { gen, path });
    });
    this.updatePhase();
    this.syncRecording();
    // a prompt the customer page never acknowledged goes out on the new generation
    this.guidance.connected();
  }

  private onPeerDown(gen: number, reason: PeerDownReason, detail: string, wasConnected: boolean): void {
    if (this.peer?.gen !== gen) return;
    this.peer = null;
    if (reason === 'ice_failed' || reason === 'error') this.report('failed', { gen, path: this.lastPath });
    if (detail) console.warn('peer generation down', gen, reason, detail);
    if (this.closing) return;
    if (this.everConnected && !this.recovering) {
      this.recovering = true;
      this.report('reconnecting', { gen: gen + 1, path: this.lastPath });
    }
    // a generation that had connected is rebuilt at once; one that never did counts towards the backoff
    this.failures = wasConnected ? 0 : this.failures + 1;
    this.rebuild(false);
    this.updatePhase();
  }

  /** Tears down everything that belongs to the current generation (its peer, stream, tap, stats, customer recording). */
  private retirePeer(): void {
    this.peer?.close();
    this.peer = null;
    this.iceDisconnected = false;
    this.stopStats?.();
    this.stopStats = null;
    this.dropRemoteStream();
    void this.recorder.stopCustomer();
  }

  // ---- the customer's stream -------------------------------------------------------------------------

  /** An engine result for this call's stream: lets the remote frame tap send the next frame. */
  noteAnalysis(capturedAt: number): void {
    this.pacer?.result(capturedAt);
  }

  private onRemoteStream(gen: number, stream: MediaStream): void {
    if (this.peer?.gen !== gen || this.remoteStream === stream) return;
    this.dropRemoteStream();
    this.remoteStream = stream;
    this.customerVideoLost = false;
    useAppStore.getState().patchCall({ remoteStream: stream });
    useAppStore.getState().patchCallFaults({ customerVideoLost: false });
    // the customer's video goes to the engine as fast as it analyses, under the call's own stream id
    this.pacer = new FramePacer();
    const pacer = this.pacer;
    this.stopRemoteTap = startFrameTap(stream, {
      streamId: this.info.streamId,
      maxWidth: () => useAppStore.getState().settings?.analysisWidth ?? 640,
      maySend: () => pacer.maySend(),
      onFrame: (capturedAt, metadata) => {
        pacer.sent(capturedAt);
        noteRemoteFrame(capturedAt, metadata);
      },
      send: (frame) => this.api.sendFrame(frame),
    });
    // customer_video_lost once per loss, only for the current stream (a replaced one ends on purpose)
    this.unwatchRemote = watchVideoTracks(stream, {
      lost: () => {
        if (this.remoteStream !== stream || this.closing || this.customerVideoLost) return;
        this.customerVideoLost = true;
        useAppStore.getState().patchCallFaults({ customerVideoLost: true });
        this.report('customer_video_lost', { gen: this.peer?.gen });
      },
      back: () => {
        if (this.remoteStream !== stream) return;
        this.customerVideoLost = false;
        useAppStore.getState().patchCallFaults({ customerVideoLost: false });
      },
    });
    this.syncRecording();
  }

  private dropRemoteStream(): void {
    this.stopRemoteTap?.();
    this.stopRemoteTap = null;
    this.unwatchRemote?.();
    this.unwatchRemote = null;
    if (this.remoteStream) {
      this.remoteStream = null;
      clearAnalysis();
      useAppStore.getState().patchCall({ remoteStream: null, stats: null });
    }
  }

  private onData(text: string): void {
    const message = parseDataMessage(text);
    if (message?.t !== 'guidance.ack') return;
    this.guidance.acked(message.id);
    useAppStore.getState().ackGuidance(message.id, Date.now());
  }

  // ---- the agent's camera ----------------------------------------------------------------------------

  private watchAgentCamera(): void {
    this.unwatchAgent = watchAgentCamera({
      lost: () => {
        if (this.closing) return;
        useAppStore.getState().patchCallFaults({ agentCameraLost: true });
        this.report('agent_camera_lost', { gen: this.peer?.gen });
      },
      replaced: (_stream, track) => {
        if (this.closing) return;
        // the camera is back (or another one was chosen): send it and record it, the call goes on
        useAppStore.getState().patchCallFaults({ agentCameraLost: false });
        const composed = this.media.compose();
        this.peer?.replaceVideoTrack(track, composed);
        void this.recorder.restartAgent(composed).then(() => this.syncRecording());
      },
    });
  }

  // ---- recordings ------------------------------------------------------------------------------------

  private syncRecording(): void {
    if (this.closing) return;
    void this.recorder.sync({
      consent: this.state?.consent.recording ?? null,
      connected: this.peer?.connected ?? false,
      remote: this.remoteStream,
      agent: () => this.media.compose(),
    });
  }

  private onRecordingFailure(track: RecordingTrack, recordingId: string | null, code: string): void {
    // main stops a call's recordings itself when the backend closes the call or consent is withdrawn:
    // chunks still on their way are refused then, which is no fault to show
    if ((this.closing && !this.endedByAgent) || this.state?.consent.recording !== true) return;
    if (recordingId === null && TRANSIENT_RECORDING_CODES.has(code) && this.recordingRetries < RECORDING_RETRIES) {
      this.recordingRetries += 1;
      setTimeout(() => this.syncRecording(), RECORDING_RETRY_MS);
      return;
    }
    useAppStore.getState().failRecording(track, recordingId, code);
  }

  // ---- the end ---------------------------------------------------------------------------------------

  private finish(reason: string | null, byAgent: boolean): Promise<void> {
    this.closing = true;
    this.finishing ??= (async () => {
      if (this.rebuildTimer) clearTimeout(this.rebuildTimer);
      this.rebuildTimer = null;
      this.guidance.stop();
      // flush before the media goes away (when main closed the call first, its answer to late chunks decides)
      await this.recorder.stopAll();
      this.ended = true;
      window.removeEventListener('pagehide', this.onPageHide);
      this.retirePeer();
      this.unwatchAgent?.();
      this.media.release();
      clearCall();
      useAppStore.getState().patchCall({ phase: 'ended', ending: false, endedReason: byAgent ? 'agent' : reason, remoteStream: null, stats: null });
    })();
    return this.finishing;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Releases everything without telling main (the page is leaving, or main no longer has the call). */
  dispose(reason: string): void {
    if (!this.closing) void this.finish(reason, false);
  }

  // ---- helpers ---------------------------------------------------------------------------------------

  private updatePhase(): void {
    if (this.closing) return;
    const phase = derivePhase({
      hasCall: true,
      ended: false,
      mediaConnected: this.peer?.connected ?? false,
      iceDisconnected: this.iceDisconnected,
      everConnected: this.everConnected,
      customerPresent: this.state?.customerPresent ?? false,
    });
    if (useAppStore.getState().call.phase !== phase) useAppStore.getState().patchCall({ phase });
  }

  private report(event: MediaEventName, extra: { gen?: number; path?: 'relay' | 'direct'; key?: string }): void {
    const params: CallMediaEvent = { callId: this.info.callId, event };
    if (extra.gen !== undefined && extra.gen >= 0) params.gen = extra.gen;
    if (extra.path) params.path = extra.path;
    if (extra.key) params.key = extra.key;
    void this.api.invoke('call.mediaEvent', params).then((result) => {
      if (!result.ok) console.warn('call.mediaEvent refused', event, result.error.code);
    });
  }

  private persist(): void {
    const { callId, caseId, roomId, streamId, joinExpiresAt } = this.info;
    saveCall({ callId, caseId, roomId, streamId, joinExpiresAt, gen: this.gen, callStartedAt: this.callStartedAt });
  }
}
