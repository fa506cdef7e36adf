/**
 * The live call as main runs it (DESIGN.md §2, §8): one call at a time. Main opens the case, creates
 * the signaling room with the workstation's backend token, sits in the room as the agent, relays
 * simple-peer signals between the renderer and the customer, and writes what happens (consent,
 * device report, media events, start and end) to the case log. The renderer holds the peer
 * connection and never sees a backend credential; it only gets the customer's join URL.
 */
import { randomUUID } from 'node:crypto';
import type { CallInfo, CallMediaEvent, CallSignal, CallState, SignalingState } from '../../shared/call';
import type { EventName, EventPayload } from '../../shared/contract';
import type { EventType, ServiceType } from '../../shared/cases';
import { AppFailure } from '../../shared/errors';
import { platformOf, SIGNAL_PATH, virtualCameraMarker, type CustomerAppMessage, type CreateRoomResponse } from '../../shared/signaling';
import type { CaseStore } from '../caselog/store';
import type { Logger } from '../log/logger';
import type { TokenFor } from '../settings/backend-tokens';
import { backendOrigin } from '../../shared/settings';
import { signalingUrl } from './backend-urls';
import { callStreamId, newCallId } from './call-stream';
import { createRoom } from './room-client';
import { SignalingClient, type RelayedServerMessage, type SignalingTuning } from './signaling-client';

export type Emit = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export interface CallServiceOptions {
  store: Pick<CaseStore, 'openCase' | 'append'>;
  /** Read at each call start: the agent id and the backend URL from settings. */
  settings: () => { agentId: string; backendUrl: string };
  /**
   * The backend token for an origin (src/main/settings/backend-tokens.ts), asked at each call start for the origin
   * of the backend URL in effect then: a token is only ever sent to the backend it was entered for. Without one
   * no call can start.
   */
  tokenFor?: TokenFor;
  /** A fixed token instead of tokenFor (tests). */
  token?: string | undefined;
  log: Logger;
  emit: Emit;
  /** Stops a call's recordings (on end, on a backend close, on withdrawn recording consent). */
  stopRecordings?: (callId: string) => Promise<unknown> | unknown;
  /** Frees the call's frame stream (diagnostics slot and engine state). */
  releaseStream?: (streamId: string) => void;
  createRoom?: typeof createRoom;
  signaling?: SignalingTuning;
  /** How long `end` waits for a connection to deliver the bye when signaling is down (default 2 s). */
  byeTimeoutMs?: number;
  /** After a call's 'call.ended' is written (the agent ended it, or the backend closed the room): the queue tells the backend. */
  onEnded?: (ended: { callId: string; caseId: string; reason: string }) => void;
  now?: () => number;
}

/** A room the backend already made for this case (a queue offer accepted): the agent joins it, no room is created. */
export interface ExistingRoom {
  caseId: string;
  roomId: string;
  /** When the room closes (epoch ms, the backend's clock). */
  expiresAt: number;
  serviceType: ServiceType;
  /** Extra fields of the 'call.started' event (e.g. the queue request), never a secret. */
  startedPayload?: Record<string, unknown>;
}

/** What the recording gate and the analysis forwarder need to know about the active call. */
export interface ActiveCallView {
  callId: string;
  caseId: string;
  streamId: string;
  serviceType: ServiceType;
  closed: boolean;
  /** True only once the customer's recording consent is written to the case log. */
  recordingConsent: boolean;
}

interface Call {
  info: CallInfo;
  state: CallState;
  signaling: SignalingClient;
  agentId: string;
  serviceType: ServiceType;
  startedAt: number;
  /** 'call.ended' written and resources released. */
  finished: boolean;
  lastDevice: string | null;
  lastCustomerMedia: string | null;
}

const CUSTOMER = 'customer';
const SYSTEM = 'system';

export class CallService {
  private call: Call | null = null;
  private starting = false;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly options: CallServiceOptions) {
    this.log = options.log.child({ component: 'call' });
    this.now = options.now ?? Date.now;
  }

  /** The active call, or the last one while the backend closed it and the agent has not dismissed it. */
  current(): CallState | null {
    return this.call ? snapshot(this.call.state) : null;
  }

  active(): ActiveCallView | null {
    const call = this.call;
    if (!call) return null;
    return {
      callId: call.info.callId,
      caseId: call.info.caseId,
      streamId: call.info.streamId,
      serviceType: call.serviceType,
      closed: call.state.signaling === 'closed',
      recordingConsent: call.state.consent.recording === true,
    };
  }

  async start(params: { serviceType?: ServiceType; customerRef?: string }): Promise<CallInfo> {
    if (this.starting || (this.call && this.call.state.signaling !== 'closed')) throw new AppFailure('FORBIDDEN', 'a call is already active: end it first');
    const { agentId, backendUrl } = this.options.settings();
    const token = this.options.tokenFor ? this.options.tokenFor(backendOrigin(backendUrl)) : this.options.token;
    if (!token) throw new AppFailure('UNAVAILABLE', `no backend token for ${backendOrigin(backendUrl)}: enter one in 设置 (Settings); calls need the backend`);
    this.starting = true;
    try {
      const caseId = randomUUID();
      // The room first: when the backend is down no empty case is left behind in the log.
      const room: CreateRoomResponse = await (this.options.createRoom ?? createRoom)({ backendUrl, token, caseId });
      this.options.store.openCase({ caseId, agentId, serviceType: params.serviceType ?? 'transact', customerRef: params.customerRef ?? null, context: { channel: 'video_call' } });
      return this.join({ caseId, roomId: room.roomId, joinUrl: room.joinUrl, joinExpiresAt: room.joinExpiresAt, expiresAt: room.expiresAt, serviceType: params.serviceType ?? 'transact' }, agentId, backendUrl, token, {});
    } finally {
      this.starting = false;
    }
  }

  /**
   * Joins a room the backend made for a case that is already open (an accepted queue offer, src/main/queue/): no
   * room and no join link are created here; the customer joins with the secret their queue link carries.
   */
  startInRoom(room: ExistingRoom): CallInfo {
    if (this.starting || (this.call && this.call.state.signaling !== 'closed')) throw new AppFailure('FORBIDDEN', 'a call is already active: end it first');
    const { agentId, backendUrl } = this.options.settings();
    const token = this.options.tokenFor ? this.options.tokenFor(backendOrigin(backendUrl)) : this.options.token;
    if (!token) throw new AppFailure('UNAVAILABLE', `no backend token for ${backendOrigin(backendUrl)}: enter one in 设置 (Settings); calls need the backend`);
    return this.join({ caseId: room.caseId, roomId: room.roomId, joinUrl: '', joinExpiresAt: room.expiresAt, expiresAt: room.expiresAt, serviceType: room.serviceType }, agentId, backendUrl, token, room.startedPayload ?? {});
  }

  /** Writes 'call.started' and sits in the room as the agent. */
  private join(
    room: { caseId: string; roomId: string; joinUrl: string; joinExpiresAt: number; expiresAt: number; serviceType: ServiceType },
    agentId: string,
    backendUrl: string,
    token: string,
    extra: Record<string, unknown>,
  ): CallInfo {
    const { caseId } = room;
    const callId = newCallId();
    const info: CallInfo = { callId, caseId, roomId: room.roomId, joinUrl: room.joinUrl, joinExpiresAt: room.joinExpiresAt, streamId: callStreamId(callId) };
    // never the join URL: its fragment is the customer's token
    this.options.store.append({ caseId, type: 'call.started', actor: agentId, payload: { ...extra, callId, roomId: room.roomId, joinExpiresAt: room.joinExpiresAt, roomExpiresAt: room.expiresAt } });
    const state: CallState = {
      callId,
      caseId,
      roomId: room.roomId,
      signaling: 'connecting',
      customerPresent: false,
      iceServers: [],
      iceTransportPolicy: 'all',
      consent: { camera: null, recording: null },
      device: null,
    };
    const call: Call = { info, state, agentId, serviceType: room.serviceType, startedAt: this.now(), finished: false, lastDevice: null, lastCustomerMedia: null, signaling: null as unknown as SignalingClient };
    call.signaling = new SignalingClient({
      ...this.options.signaling,
      url: signalingUrl(backendUrl, SIGNAL_PATH),
      token,
      roomId: room.roomId,
      log: this.log,
      onMessage: (message) => this.onServerMessage(call, message),
      onState: (next, reason) => this.onSignalingState(call, next, reason),
    });
    this.call = call;
    this.log.info({ callId, caseId, roomId: room.roomId }, 'call started');
    this.emitState(call);
    call.signaling.start();
    return { ...info };
  }

  /** Renderer → customer: a simple-peer signal, relayed through the backend. */
  signal(params: CallSignal): null {
    const call = this.require(params.callId);
    call.signaling.send({ t: 'signal', gen: params.gen, data: params.data });
    return null;
  }

  /** The renderer's view of the media path, for the audit trail. */
  mediaEvent(params: CallMediaEvent): null {
    const call = this.require(params.callId);
    const { callId: _callId, ...rest } = params;
    this.append(call, 'media.event', call.agentId, { source: 'agent', ...rest });
    return null;
  }

  /** The agent ends the call: bye to the room (it closes for the customer too), recordings stopped, the case told. */
  async end(callId: string, reason: 'completed' | 'app_closed' = 'completed'): Promise<null> {
    const call = this.call;
    if (!call || call.info.callId !== callId) throw new AppFailure('NOT_FOUND', `no call ${callId}`);
    if (!call.finished) {
      call.finished = true;
      // tells the join page why (it shows "completed" or "the agent left"); queued and flushed first if reconnecting
      call.signaling.send({ t: 'app', data: { kind: 'end', reason: reason === 'completed' ? 'completed' : 'agent_left' } });
      await call.signaling.bye(this.options.byeTimeoutMs ?? 2_000);
      await this.wrapUp(call, reason);
      call.state.closedReason = 'ended';
      call.state.signaling = 'closed';
      this.emitState(call);
    }
    // dismissed: call.current is null from now on
    if (this.call === call) this.call = null;
    return null;
  }

  /** Workstation shutdown: ends an active call the way the agent would. */
  async close(): Promise<void> {
    const call = this.call;
    if (call) await this.end(call.info.callId, 'app_closed').catch((error: unknown) => this.log.warn({ err: error }, 'ending the call on close failed'));
  }

  // ---------------------------------------------------------------- from the backend

  private onServerMessage(call: Call, message: RelayedServerMessage): void {
    if (this.call !== call || call.finished) return;
    switch (message.t) {
      case 'welcome': {
        call.state.iceServers = message.iceServers;
        call.state.iceTransportPolicy = message.iceTransportPolicy;
        this.setCustomerPresent(call, message.peerPresent);
        // the 'connected' state change that follows emits it; a repeated welcome emits here
        if (call.state.signaling === 'connected') this.emitState(call);
        return;
      }
      case 'peer':
        this.setCustomerPresent(call, message.state === 'joined');
        this.emitState(call);
        return;
      case 'signal':
        this.options.emit('call.signal', { callId: call.info.callId, gen: message.gen, data: message.data });
        return;
      case 'app':
        if (message.data.kind === 'end') return this.log.warn('agent-only app message from the room dropped');
        return this.onCustomerMessage(call, message.data);
    }
  }

  private onCustomerMessage(call: Call, message: CustomerAppMessage): void {
    const at = this.now();
    switch (message.kind) {
      case 'consent': {
        const { subject, granted, language } = message;
        // the join page may resend its answers after a reconnect: one case event per answer given
        if (call.state.consent[subject] === granted) return;
        if (!this.append(call, 'consent.recorded', CUSTOMER, { subject, granted, language })) return;
        const withdrawn = subject === 'recording' && call.state.consent.recording === true && !granted;
        call.state.consent = { ...call.state.consent, [subject]: granted };
        this.log.info({ callId: call.info.callId, subject, granted }, 'customer consent');
        this.options.emit('call.customer', { callId: call.info.callId, message, virtualCamera: null, at });
        this.emitState(call);
        if (withdrawn) void this.stopRecordings(call);
        return;
      }
      case 'device': {
        const key = JSON.stringify(message);
        if (key === call.lastDevice) return;
        call.lastDevice = key;
        const virtualCamera = virtualCameraMarker(message.videoLabel);
        const platform = platformOf(message.userAgent);
        this.append(call, 'device.reported', CUSTOMER, { videoLabel: message.videoLabel, audioLabel: message.audioLabel, settings: message.settings, virtualCamera, platform });
        if (virtualCamera) this.log.warn({ callId: call.info.callId, marker: virtualCamera }, 'customer camera looks virtual');
        this.options.emit('call.customer', { callId: call.info.callId, message, virtualCamera, at });
        call.state.device = { videoLabel: message.videoLabel, audioLabel: message.audioLabel, virtualCamera, platform, at };
        this.emitState(call);
        return;
      }
      case 'media': {
        if (message.state === call.lastCustomerMedia) return;
        call.lastCustomerMedia = message.state;
        this.append(call, 'media.event', CUSTOMER, { source: 'customer', state: message.state });
        this.options.emit('call.customer', { callId: call.info.callId, message, virtualCamera: null, at });
        return;
      }
    }
  }

  private onSignalingState(call: Call, next: SignalingState, reason?: string): void {
    if (this.call !== call) return;
    const previous = call.state.signaling;
    if (call.finished) return; // end() reports 'closed' itself, after wrapping up
    if (next === 'reconnecting' && previous === 'connected') {
      this.append(call, 'media.event', SYSTEM, { source: 'signaling', state: 'reconnecting' });
      // nobody can tell whether the customer is there until the next welcome
    }
    if (next === 'connected' && previous === 'reconnecting') this.append(call, 'media.event', SYSTEM, { source: 'signaling', state: 'recovered' });
    call.state.signaling = next;
    if (next === 'closed') {
      // the backend ended it (room closed or expired) or refused us for good
      call.finished = true;
      call.state.closedReason = reason ?? 'closed';
      call.state.customerPresent = false;
      this.log.warn({ callId: call.info.callId, reason }, 'call closed by the backend');
      void this.wrapUp(call, reason ?? 'closed').finally(() => this.emitState(call));
      return;
    }
    this.emitState(call);
  }

  // ---------------------------------------------------------------- helpers

  private setCustomerPresent(call: Call, present: boolean): void {
    if (call.state.customerPresent === present) return;
    call.state.customerPresent = present;
    this.append(call, 'media.event', SYSTEM, { source: 'signaling', state: present ? 'customer_joined' : 'customer_left' });
  }

  /** Stops recordings, writes 'call.ended', frees the frame stream. Never throws: the call ends regardless. */
  private async wrapUp(call: Call, reason: string): Promise<void> {
    await this.stopRecordings(call);
    this.append(call, 'call.ended', call.agentId, { callId: call.info.callId, reason, durationMs: this.now() - call.startedAt });
    try {
      this.options.releaseStream?.(call.info.streamId);
    } catch (error) {
      this.log.warn({ err: error }, 'releasing the call stream failed');
    }
    this.log.info({ callId: call.info.callId, reason }, 'call ended');
    try {
      this.options.onEnded?.({ callId: call.info.callId, caseId: call.info.caseId, reason });
    } catch (error) {
      this.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'a call-ended listener failed');
    }
  }

  private async stopRecordings(call: Call): Promise<void> {
    try {
      await this.options.stopRecordings?.(call.info.callId);
    } catch (error) {
      this.log.error({ err: error, callId: call.info.callId }, 'stopping the call recordings failed');
    }
  }

  /** Appends a case event; a failure (disk full, case already closed) is logged, never thrown into signaling. */
  private append(call: Call, type: EventType, actor: string, payload: Record<string, unknown>): boolean {
    try {
      this.options.store.append({ caseId: call.info.caseId, type, actor, payload });
      return true;
    } catch (error) {
      this.log.error({ err: error instanceof Error ? error.message : String(error), caseId: call.info.caseId, type }, 'case event not written');
      return false;
    }
  }

  private require(callId: string): Call {
    const call = this.call;
    if (!call || call.info.callId !== callId || call.finished) throw new AppFailure('NOT_FOUND', `no active call ${callId}`);
    return call;
  }

  private emitState(call: Call): void {
    this.options.emit('call.state', snapshot(call.state));
  }
}

function snapshot(state: CallState): CallState {
  return { ...state, iceServers: state.iceServers.map((s) => ({ ...s })), consent: { ...state.consent }, device: state.device && { ...state.device } };
}
