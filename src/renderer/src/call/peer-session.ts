/**
 * One WebRTC peer generation (simple-peer), agent side. The agent is always the initiator.
 *
 * simple-peer has no ICE restart and destroys itself when ICE fails, so recovery means building a
 * new session with gen + 1 (see call-session.ts). This module only reports *that* a generation is
 * down, once, and why; after `close()` or a reported `down` it never calls back again, so a late
 * event from a dead generation can never touch the current one.
 */
import SimplePeer, { type SimplePeerInstance } from 'simple-peer/simplepeer.min.js';
import type { IceServer, SignalData } from '../../../shared/signaling';

/** ICE `disconnected` often heals by itself within a few seconds; longer than this, rebuild. */
export const DISCONNECTED_GRACE_MS = 4_000;
/** A generation that has not connected this long after its last inbound signal is given up. */
export const CONNECT_TIMEOUT_MS = 20_000;

export type PeerDownReason = 'ice_failed' | 'ice_disconnected' | 'connect_timeout' | 'error' | 'closed';

export interface PeerSessionOptions {
  gen: number;
  /** The agent's camera video and microphone; null or partial when either is unavailable. */
  stream: MediaStream | null;
  iceServers: IceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
  onSignal(data: SignalData): void;
  /** The data channel is open, so ICE and DTLS are up. */
  onConnect(): void;
  onStream(stream: MediaStream): void;
  onData(text: string): void;
  onIceState(state: RTCIceConnectionState): void;
  /** Called at most once; the session is already destroyed. `wasConnected`: it had connected before. */
  onDown(reason: PeerDownReason, detail: string, wasConnected: boolean): void;
}

export interface PeerSession {
  readonly gen: number;
  readonly connected: boolean;
  /** The RTCPeerConnection, for getStats() and track replacement; null once destroyed. */
  readonly pc: RTCPeerConnection | null;
  signal(data: SignalData): void;
  /** Sends a text message over the data channel; false when it is not open. */
  send(text: string): boolean;
  /** Sends a new camera track (after the agent's camera came back) without renegotiating when possible. */
  replaceVideoTrack(track: MediaStreamTrack, stream: MediaStream): void;
  /** Destroys the peer without reporting it as down. */
  close(): void;
}

const ICE_FAILURE_CODES = new Set(['ERR_ICE_CONNECTION_FAILURE', 'ERR_CONNECTION_FAILURE']);
/** The data channel errors when the other side goes away abruptly (a reload, a closed tab): a close, not a failure. */
const REMOTE_GONE_CODES = new Set(['ERR_DATA_CHANNEL', 'ERR_ICE_CONNECTION_CLOSED']);

export function downReason(code: string | undefined): PeerDownReason {
  if (code && ICE_FAILURE_CODES.has(code)) return 'ice_failed';
  if (code && REMOTE_GONE_CODES.has(code)) return 'closed';
  return 'error';
}

export function createPeerSession(options: PeerSessionOptions): PeerSession {
  const { gen } = options;
  let retired = false;
  let connected = false;
  let disconnectedTimer: ReturnType<typeof setTimeout> | null = null;
  let connectTimer: ReturnType<typeof setTimeout> | null = null;
  const decoder = new TextDecoder();

  const peer: SimplePeerInstance = new SimplePeer({
    initiator: true,
    trickle: true,
    stream: options.stream ?? undefined,
    config: { iceServers: options.iceServers, iceTransportPolicy: options.iceTransportPolicy },
  });
  // Receive the customer's audio and video even when the agent has no camera or microphone:
  // an offer without those m-lines would leave the customer's tracks unnegotiated.
  if (!options.stream?.getAudioTracks().length) peer.addTransceiver('audio', { direction: 'recvonly' });
  if (!options.stream?.getVideoTracks().length) peer.addTransceiver('video', { direction: 'recvonly' });

  const clearTimers = () => {
    if (disconnectedTimer) clearTimeout(disconnectedTimer);
    if (connectTimer) clearTimeout(connectTimer);
    disconnectedTimer = connectTimer = null;
  };
  const down = (reason: PeerDownReason, detail: string) => {
    if (retired) return;
    retired = true;
    clearTimers();
    const wasConnected = connected;
    connected = false;
    peer.destroy();
    options.onDown(reason, detail, wasConnected);
  };
  const armConnectTimer = () => {
    if (connected || retired) return;
    if (connectTimer) clearTimeout(connectTimer);
    connectTimer = setTimeout(() => down('connect_timeout', ''), CONNECT_TIMEOUT_MS);
  };

  peer.on('signal', (data) => {
    if (!retired) options.onSignal(data as SignalData);
  });
  peer.on('connect', () => {
    if (retired) return;
    connected = true;
    if (connectTimer) clearTimeout(connectTimer);
    connectTimer = null;
    options.onConnect();
  });
  peer.on('stream', (stream) => {
    if (!retired) options.onStream(stream);
  });
  peer.on('data', (chunk) => {
    if (!retired) options.onData(typeof chunk === 'string' ? chunk : decoder.decode(chunk));
  });
  peer.on('iceStateChange', (state) => {
    if (retired) return;
    options.onIceState(state);
    if (state === 'disconnected') {
      disconnectedTimer ??= setTimeout(() => down('ice_disconnected', ''), DISCONNECTED_GRACE_MS);
    } else if (disconnectedTimer) {
      clearTimeout(disconnectedTimer);
      disconnectedTimer = null;
    }
  });
  peer.on('error', (error) => down(downReason(error.code), error.code ?? error.name));
  peer.on('close', () => down('closed', ''));
  armConnectTimer();

  return {
    gen,
    get connected() {
      return connected && !retired;
    },
    get pc() {
      return retired ? null : peer._pc;
    },
    signal(data) {
      if (retired) return;
      armConnectTimer();
      try {
        peer.signal(data);
      } catch (error) {
        down('error', error instanceof Error ? error.name : 'signal');
      }
    },
    send(text) {
      if (retired || !connected) return false;
      try {
        peer.send(text);
        return true;
      } catch {
        return false;
      }
    },
    replaceVideoTrack(track, stream) {
      if (retired) return;
      const sender = peer._pc.getSenders().find((s) => s.track?.kind === 'video');
      if (sender) {
        void sender.replaceTrack(track).catch(() => undefined);
      } else {
        // the call started without a camera: adding the track renegotiates (simple-peer does it as initiator)
        try {
          peer.addTrack(track, stream);
        } catch {
          /* the peer is going down; the next generation picks the camera up */
        }
      }
    },
    close() {
      if (retired) return;
      retired = true;
      clearTimers();
      peer.destroy();
    },
  };
}
