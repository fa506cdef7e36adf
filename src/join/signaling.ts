/**
 * The customer's signaling socket (src/shared/signaling.ts): hello with the right secret, every
 * inbound message validated, and reconnection with backoff until the room ends or the server
 * refuses this browser for good. Phones lose sockets silently (tunnels, lifts, Wi-Fi ↔ 4G, the
 * OS freezing a background tab), so a watchdog treats a quiet socket as a dead one.
 */
import {
  ClientMessageSchema,
  SIGNAL_CLOSE_CODES,
  ServerMessageSchema,
  type ClientMessage,
  type ServerMessage,
  type SignalErrorCode,
  type Welcome,
} from '../shared/signaling';
import type { Credential, Credentials } from './credentials';

export type LinkStatus = 'connecting' | 'open' | 'reconnecting' | 'stopped';

/** Messages after the welcome that the page acts on. */
export type RelayedMessage = Extract<ServerMessage, { t: 'signal' | 'app' | 'peer' | 'closed' }>;

export interface SignalingEvents {
  onStatus(status: LinkStatus): void;
  onWelcome(welcome: Welcome): void;
  onMessage(message: RelayedMessage): void;
  /** A final refusal: the client has stopped and will not reconnect by itself. */
  onRefused(code: SignalErrorCode): void;
  /** An inbound message failed validation and was ignored. */
  onInvalid(count: number): void;
}

/** Refusals about the secret sent: try the next credential, if any is left. */
const CREDENTIAL_CODES: ReadonlySet<SignalErrorCode> = new Set(['TOKEN_INVALID', 'TOKEN_EXPIRED', 'TOKEN_USED', 'UNAUTHENTICATED', 'FORBIDDEN']);
/** Refusals about the room or this seat: retrying cannot help. */
const FINAL_CODES: ReadonlySet<SignalErrorCode> = new Set(['ROOM_NOT_FOUND', 'ROOM_CLOSED', 'ROOM_EXPIRED', 'ROOM_FULL', 'REPLACED']);
/** Refusals after which nothing of the room is worth keeping in storage. */
const ROOM_GONE_CODES: ReadonlySet<SignalErrorCode> = new Set(['ROOM_NOT_FOUND', 'ROOM_CLOSED', 'ROOM_EXPIRED']);

const CODE_BY_CLOSE = new Map<number, SignalErrorCode>(
  (Object.entries(SIGNAL_CLOSE_CODES) as [SignalErrorCode, number][]).filter(([, close]) => close >= 4000).map(([code, close]) => [close, code]),
);

export const SIGNALING_TIMING = {
  /** A socket that has not opened, or not been welcomed, by then is abandoned. */
  connectTimeoutMs: 10_000,
  pingIntervalMs: 20_000,
  /** No message at all for this long (pings are answered) means the socket is dead. */
  silenceTimeoutMs: 45_000,
  backoffBaseMs: 500,
  // short: a customer mid-call should be back within seconds of the server returning
  backoffMaxMs: 5_000,
  /**
   * A welcome's TURN credentials expire at iceExpiresAt (server clock): rejoin a minute before, so
   * the next peer generation gets fresh ones. Phone clocks can be far off, hence the bounds.
   */
  iceRefreshLeadMs: 60_000,
  minRefreshMs: 5 * 60_000,
  maxRefreshMs: 24 * 60 * 60_000,
  /** Outgoing signals kept while the socket is down (answer + candidates of one generation fit easily). */
  maxQueued: 200,
} as const;

export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(SIGNALING_TIMING.backoffMaxMs, SIGNALING_TIMING.backoffBaseMs * 2 ** Math.min(attempt, 10));
  // full jitter on the upper half: reconnect storms after a server restart spread out
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

type SocketCtor = new (url: string) => WebSocket;

export interface SignalingOptions {
  url: string;
  room: string;
  credentials: Credentials;
  events: SignalingEvents;
  WebSocketImpl?: SocketCtor;
  random?: () => number;
}

export class SignalingClient {
  private socket: WebSocket | null = null;
  private sent: Credential | null = null;
  private welcomed = false;
  private everWelcomed = false;
  private stopped = false;
  private attempt = 0;
  private invalid = 0;
  private lastRefusal: SignalErrorCode | null = null;
  private queue: ClientMessage[] = [];
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private lastInbound = 0;
  private readonly Socket: SocketCtor;
  private readonly random: () => number;

  constructor(private readonly options: SignalingOptions) {
    this.Socket = options.WebSocketImpl ?? WebSocket;
    this.random = options.random ?? Math.random;
  }

  get isOpen(): boolean {
    return this.welcomed;
  }

  get invalidCount(): number {
    return this.invalid;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Stops for good (room over, refused, page ending); closes the socket. */
  stop(): void {
    this.stopped = true;
    this.welcomed = false;
    clearTimeout(this.reconnectTimer);
    this.teardown(1000);
    this.queue = [];
    this.options.events.onStatus('stopped');
  }

  /** Skips the backoff wait (the network came back, the tab became visible, the page was restored). */
  reconnectNow(): void {
    if (this.stopped || this.socket) return;
    clearTimeout(this.reconnectTimer);
    this.connect();
  }

  /** Restarts after a final refusal the customer chose to override (REPLACED → "continue here"). */
  restart(): void {
    this.stopped = false;
    this.attempt = 0;
    clearTimeout(this.reconnectTimer);
    this.teardown(1000);
    this.connect();
  }

  /** Sends now if welcomed; returns false when the message was not sent. */
  send(message: ClientMessage): boolean {
    if (!ClientMessageSchema.safeParse(message).success) {
      console.warn('[join] outgoing message failed validation, dropped', message.t);
      return false;
    }
    if (!this.welcomed || !this.socket || this.socket.readyState !== 1) return false;
    try {
      this.socket.send(JSON.stringify(message));
      return true;
    } catch {
      return false;
    }
  }

  /** Sends now, or keeps it for the next welcome (peer signals must not be lost to a short drop). */
  sendOrQueue(message: ClientMessage): void {
    if (this.send(message)) return;
    if (this.stopped) return;
    this.queue.push(message);
    if (this.queue.length > SIGNALING_TIMING.maxQueued) this.queue.shift();
  }

  /** Sends what was queued, dropping what `keep` says is stale (signals of an older peer generation). */
  flushQueue(keep: (message: ClientMessage) => boolean): void {
    const queued = this.queue;
    this.queue = [];
    for (const message of queued) if (keep(message)) this.send(message);
  }

  private connect(): void {
    if (this.stopped) return;
    const credential = this.options.credentials.current();
    if (!credential) {
      this.refuse(this.lastRefusal ?? 'TOKEN_INVALID');
      return;
    }
    this.options.events.onStatus(this.everWelcomed || this.attempt > 0 ? 'reconnecting' : 'connecting');
    let socket: WebSocket;
    try {
      socket = new this.Socket(this.options.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.sent = credential;
    this.lastRefusal = null;
    this.connectTimer = setTimeout(() => this.abandon(), SIGNALING_TIMING.connectTimeoutMs);

    socket.onopen = () => {
      const hello =
        credential.kind === 'resume'
          ? { t: 'hello', role: 'customer', room: this.options.room, resume: credential.secret }
          : { t: 'hello', role: 'customer', room: this.options.room, token: credential.secret };
      socket.send(JSON.stringify(hello));
    };
    socket.onmessage = (event: MessageEvent) => this.onMessage(socket, event.data);
    socket.onclose = (event: CloseEvent) => {
      if (socket !== this.socket) return;
      this.onClosed(event.code);
    };
    // 'error' is always followed by 'close'; the close handler decides
    socket.onerror = () => undefined;
  }

  private onMessage(socket: WebSocket, data: unknown): void {
    if (socket !== this.socket) return;
    this.lastInbound = Date.now();
    let parsed: unknown;
    try {
      parsed = typeof data === 'string' ? JSON.parse(data) : undefined;
    } catch {
      parsed = undefined;
    }
    const result = ServerMessageSchema.safeParse(parsed);
    if (!result.success) {
      this.invalid += 1;
      this.options.events.onInvalid(this.invalid);
      return;
    }
    const message = result.data;
    switch (message.t) {
      case 'welcome':
        if (message.room !== this.options.room || message.role !== 'customer') {
          // Not our seat: never act on it, and do not trust this socket any more.
          this.invalid += 1;
          this.options.events.onInvalid(this.invalid);
          this.abandon();
          return;
        }
        clearTimeout(this.connectTimer);
        this.welcomed = true;
        this.everWelcomed = true;
        this.attempt = 0;
        this.options.credentials.welcomed(message.resume);
        this.startKeepalive(socket);
        this.scheduleRefresh(message.iceExpiresAt);
        this.options.events.onStatus('open');
        this.options.events.onWelcome(message);
        return;
      case 'error':
        // The server closes right after; remember why so the close handler can act on it.
        this.lastRefusal = message.code;
        return;
      case 'pong':
        return;
      case 'closed':
        this.options.credentials.forget();
        this.stopped = true;
        this.options.events.onMessage(message);
        this.stop();
        return;
      default:
        if (!this.welcomed) {
          this.invalid += 1;
          this.options.events.onInvalid(this.invalid);
          return;
        }
        this.options.events.onMessage(message);
    }
  }

  private onClosed(closeCode: number): void {
    const code = this.lastRefusal ?? CODE_BY_CLOSE.get(closeCode) ?? null;
    const credential = this.sent;
    this.teardown();
    if (this.stopped) return;
    if (code && CREDENTIAL_CODES.has(code) && credential) {
      if (this.options.credentials.refused(credential)) {
        this.connect();
      } else {
        this.refuse(code);
      }
      return;
    }
    if (code && FINAL_CODES.has(code)) {
      if (ROOM_GONE_CODES.has(code)) this.options.credentials.forget();
      this.refuse(code);
      return;
    }
    this.scheduleReconnect();
  }

  private refuse(code: SignalErrorCode): void {
    this.stop();
    this.options.events.onRefused(code);
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.options.events.onStatus('reconnecting');
    const delay = backoffDelay(this.attempt, this.random);
    this.attempt += 1;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  /** Gives up on the current socket without waiting for its close handshake (which a dead network never finishes). */
  private abandon(): void {
    this.teardown(4000);
    this.scheduleReconnect();
  }

  private startKeepalive(socket: WebSocket): void {
    clearInterval(this.pingTimer);
    this.lastInbound = Date.now();
    this.pingTimer = setInterval(() => {
      if (socket !== this.socket) return;
      if (Date.now() - this.lastInbound > SIGNALING_TIMING.silenceTimeoutMs) {
        this.abandon();
        return;
      }
      this.send({ t: 'ping' });
    }, SIGNALING_TIMING.pingIntervalMs);
  }

  private scheduleRefresh(iceExpiresAt: number): void {
    clearTimeout(this.refreshTimer);
    if (!iceExpiresAt) return;
    const { iceRefreshLeadMs, minRefreshMs, maxRefreshMs } = SIGNALING_TIMING;
    const delay = Math.min(maxRefreshMs, Math.max(minRefreshMs, iceExpiresAt - Date.now() - iceRefreshLeadMs));
    this.refreshTimer = setTimeout(() => {
      if (this.stopped || !this.welcomed) return;
      // a planned rejoin with the resume secret; the media path is untouched
      this.teardown(1000);
      this.connect();
    }, delay);
  }

  private teardown(closeCode?: number): void {
    clearTimeout(this.connectTimer);
    clearTimeout(this.refreshTimer);
    clearInterval(this.pingTimer);
    const socket = this.socket;
    this.socket = null;
    this.welcomed = false;
    if (!socket) return;
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = null;
    if (closeCode !== undefined) {
      try {
        socket.close(closeCode === 1000 ? 1000 : 4000);
      } catch {
        // already closing
      }
    }
  }
}
