/**
 * The customer's side of the WebRTC call, one simple-peer per generation (src/shared/signaling.ts:
 * the agent always initiates; after an ICE failure it starts gen + 1, and simple-peer has no ICE
 * restart, so a higher gen means "drop yours and answer this one").
 *
 * A peer is only built once the page is ready to send media (camera open, consents answered) and
 * an offer for the newest generation is known. Until then that generation's signals are kept, so
 * an offer the agent made while the customer was still reading the consent text is answered
 * when they finish, without the agent having to start over.
 */
import { DataChannelMessageSchema, SignalDataSchema, type DataChannelMessage, type IceServer, type SignalData } from '../shared/signaling';

/** The part of a simple-peer instance this module uses (tests pass fakes). */
export interface PeerLike {
  readonly connected: boolean;
  signal(data: object): void;
  send(data: string): void;
  addTrack(track: MediaStreamTrack, stream: MediaStream): void;
  replaceTrack(oldTrack: MediaStreamTrack, newTrack: MediaStreamTrack, stream: MediaStream): void;
  destroy(): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

export interface PeerFactoryOptions {
  initiator: false;
  trickle: true;
  stream: MediaStream;
  config: RTCConfiguration;
  objectMode: true;
}

/**
 * waiting: no peer for the newest generation yet; connecting: answering it; connected: media and
 * data channel up; unstable: ICE disconnected (it may recover by itself); failed: this generation's
 * peer is gone and the agent's next generation is awaited.
 */
export type PeerStatus = 'waiting' | 'connecting' | 'connected' | 'unstable' | 'failed';

export interface PeerEvents {
  sendSignal(gen: number, data: SignalData): void;
  onStatus(status: PeerStatus, gen: number): void;
  onRemoteStream(stream: MediaStream): void;
  onChannelMessage(message: DataChannelMessage): void;
  onInvalid(what: 'signal-out' | 'channel-in' | 'stale-signal'): void;
}

const MAX_PENDING = 100;
const MAX_CHANNEL_MESSAGE = 4096;
const KINDS = ['audio', 'video'] as const;

const isOffer = (data: SignalData): boolean => 'type' in data && data.type === 'offer';

/**
 * simple-peer emits `{type:'renegotiate', renegotiate:true}` and `{type:'transceiverRequest', …}`,
 * but the wire schema (strict) has no `type` on those two; simple-peer's receiving side looks only
 * at `renegotiate` / `transceiverRequest`, so dropping `type` loses nothing.
 */
export function normalizeOutgoingSignal(data: unknown): SignalData | null {
  if (typeof data !== 'object' || data === null) return null;
  const record = data as Record<string, unknown>;
  let candidate: unknown = data;
  if (record.type === 'renegotiate') candidate = { renegotiate: true };
  else if (record.type === 'transceiverRequest' && typeof record.transceiverRequest === 'object' && record.transceiverRequest !== null) {
    const { kind, init } = record.transceiverRequest as { kind?: unknown; init?: unknown };
    candidate = { transceiverRequest: init === undefined ? { kind } : { kind, init } };
  }
  const parsed = SignalDataSchema.safeParse(candidate);
  return parsed.success ? parsed.data : null;
}

/** A data channel message from the agent, validated; null for anything else. */
export function parseChannelMessage(data: unknown): DataChannelMessage | null {
  let text: string | null = null;
  if (typeof data === 'string') text = data;
  else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.byteLength <= MAX_CHANNEL_MESSAGE) text = new TextDecoder().decode(bytes);
  }
  if (text === null || text.length > MAX_CHANNEL_MESSAGE) return null;
  try {
    const parsed = DataChannelMessageSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export class PeerGenerations {
  private gen = -1;
  private peer: PeerLike | null = null;
  /** simple-peer keys its senders by (track, stream): the stream the current peer was built with. */
  private peerStream: MediaStream | null = null;
  private readonly sending = new Map<(typeof KINDS)[number], MediaStreamTrack>();
  /** The current generation's peer failed: ignore its signals until the agent starts the next one. */
  private failed = false;
  private pending: SignalData[] = [];
  private stream: MediaStream | null = null;
  private ice: RTCConfiguration | null = null;
  private held = true;
  private agentRejoined = false;
  private destroyed = false;

  constructor(
    private readonly createPeer: (options: PeerFactoryOptions) => PeerLike,
    private readonly events: PeerEvents,
  ) {}

  get generation(): number {
    return this.gen;
  }

  get isConnected(): boolean {
    return this.peer?.connected ?? false;
  }

  /** ICE servers and policy from the latest welcome (TURN credentials are short-lived). */
  setIce(iceServers: IceServer[], iceTransportPolicy: RTCIceTransportPolicy): void {
    this.ice = { iceServers: iceServers.map((server) => ({ ...server })), iceTransportPolicy };
    this.tryStart();
  }

  /** The page may now send media (both consent questions answered). */
  release(): void {
    this.held = false;
    this.tryStart();
  }

  /** A new camera stream: the first one, or a replacement after the camera was lost. */
  setStream(stream: MediaStream): void {
    this.stream = stream;
    const peer = this.peer;
    const peerStream = this.peerStream;
    if (peer && peerStream) {
      for (const kind of KINDS) {
        const next = stream.getTracks().find((track) => track.kind === kind);
        if (!next) continue;
        const previous = this.sending.get(kind);
        try {
          // replaceTrack needs no renegotiation; a kind the peer never sent has to be added (the agent renegotiates)
          if (previous) peer.replaceTrack(previous, next, peerStream);
          else peer.addTrack(next, peerStream);
          this.sending.set(kind, next);
        } catch (error) {
          console.warn('[join] could not hand the new camera track to the peer', kind, error);
        }
      }
    }
    this.tryStart();
  }

  /** The agent's seat (re)joined the room: an offer with a lower generation may now be a restarted workstation. */
  agentJoined(): void {
    this.agentRejoined = true;
  }

  handleSignal(gen: number, data: SignalData): void {
    if (this.destroyed) return;
    if (gen < this.gen) {
      // An older generation's late signal, unless the workstation restarted and counts from 0 again.
      if (!(this.agentRejoined && isOffer(data))) {
        this.events.onInvalid('stale-signal');
        return;
      }
      this.newGeneration(gen);
    } else if (gen > this.gen) {
      this.newGeneration(gen);
    }
    if (this.failed) return;
    if (this.peer) {
      this.peer.signal(data);
      return;
    }
    // Not built yet: a later offer supersedes an earlier one; candidates all stay (same ICE session).
    if (isOffer(data)) this.pending = this.pending.filter((item) => !isOffer(item));
    this.pending.push(data);
    if (this.pending.length > MAX_PENDING) this.pending.shift();
    this.tryStart();
  }

  /** Sends a message to the agent over the data channel; false when it is not open. */
  sendToAgent(message: DataChannelMessage): boolean {
    const peer = this.peer;
    if (!peer || !peer.connected) return false;
    try {
      peer.send(JSON.stringify(message));
      return true;
    } catch {
      return false;
    }
  }

  /** Ends every peer for good (room over, refused, page replaced). */
  destroy(): void {
    this.destroyed = true;
    this.dropPeer();
    this.pending = [];
  }

  private newGeneration(gen: number): void {
    this.dropPeer();
    this.gen = gen;
    this.pending = [];
    this.failed = false;
    this.agentRejoined = false;
    this.events.onStatus('waiting', gen);
  }

  private dropPeer(): void {
    const peer = this.peer;
    this.peer = null;
    this.peerStream = null;
    this.sending.clear();
    if (peer) {
      try {
        peer.destroy();
      } catch {
        // already destroyed
      }
    }
  }

  private tryStart(): void {
    if (this.destroyed || this.peer || this.failed || this.held || !this.stream || !this.ice) return;
    if (!this.pending.some(isOffer)) return;
    const gen = this.gen;
    const stream = this.stream;
    let peer: PeerLike;
    try {
      peer = this.createPeer({ initiator: false, trickle: true, stream, config: this.ice, objectMode: true });
    } catch (error) {
      console.warn('[join] could not create a peer', error);
      this.failed = true;
      this.events.onStatus('failed', gen);
      return;
    }
    this.peer = peer;
    this.peerStream = stream;
    for (const track of stream.getTracks()) if (track.kind === 'audio' || track.kind === 'video') this.sending.set(track.kind, track);
    const current = () => this.peer === peer;

    peer.on('signal', (data: unknown) => {
      if (!current()) return;
      const normalized = normalizeOutgoingSignal(data);
      if (normalized) this.events.sendSignal(gen, normalized);
      else this.events.onInvalid('signal-out');
    });
    peer.on('connect', () => {
      if (current()) this.events.onStatus('connected', gen);
    });
    peer.on('iceStateChange', (iceConnectionState: RTCIceConnectionState) => {
      if (!current()) return;
      if (iceConnectionState === 'disconnected') this.events.onStatus('unstable', gen);
      else if ((iceConnectionState === 'connected' || iceConnectionState === 'completed') && peer.connected) this.events.onStatus('connected', gen);
    });
    peer.on('track', (_track: MediaStreamTrack, remote: MediaStream) => {
      if (current()) this.events.onRemoteStream(remote);
    });
    peer.on('data', (data: unknown) => {
      if (!current()) return;
      const message = parseChannelMessage(data);
      if (message) this.events.onChannelMessage(message);
      else this.events.onInvalid('channel-in');
    });
    peer.on('error', (error: Error & { code?: string }) => {
      // Codes only: an error message may quote SDP or candidate addresses.
      if (current()) console.warn('[join] peer error', gen, error.code ?? error.name);
    });
    peer.on('close', () => {
      if (!current()) return;
      this.peer = null;
      this.peerStream = null;
      this.sending.clear();
      this.failed = true;
      this.events.onStatus('failed', gen);
    });

    this.events.onStatus('connecting', gen);
    const queued = this.pending;
    this.pending = [];
    for (const data of queued) {
      if (!current()) break;
      peer.signal(data);
    }
  }
}
