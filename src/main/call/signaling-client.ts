/**
 * The agent's seat in a signaling room: one `ws` connection to the backend's /api/v1/signal,
 * authenticated with the workstation token (an Authorization header: the renderer never sees it).
 *
 * While the call is active the connection is kept up: after a drop (network, a backend restart, a
 * load balancer moving us to another instance) it reconnects with jittered exponential backoff and
 * says hello again; media keeps flowing peer to peer meanwhile. Only a final refusal (the room is
 * closed or expired, the token is refused, another agent connection replaced this one) ends it.
 *
 * Never logged: the token, SDP or candidates (only message types, close codes and error codes).
 */
import WebSocket from 'ws';
import type { SignalingState } from '../../shared/call';
import {
  SIGNAL_CLOSE_CODES,
  SIGNAL_LIMITS,
  ServerMessageSchema,
  type ClientMessage,
  type ServerMessage,
  type SignalErrorCode,
  type Welcome,
} from '../../shared/signaling';
import type { Logger } from '../log/logger';

/** Refusals after which reconnecting cannot help: the call's signaling is over. */
export const FINAL_SIGNAL_ERRORS: ReadonlySet<SignalErrorCode> = new Set<SignalErrorCode>([
  'ROOM_CLOSED',
  'ROOM_EXPIRED',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'REPLACED',
  // the room was created by us; if the backend no longer knows it (database reset), retrying loops forever
  'ROOM_NOT_FOUND',
]);

const CODE_BY_CLOSE = new Map<number, SignalErrorCode>(Object.entries(SIGNAL_CLOSE_CODES).map(([code, close]) => [close, code as SignalErrorCode]));

/** Messages the client hands to its owner; pong, error and closed are handled here. */
export type RelayedServerMessage = Exclude<ServerMessage, { t: 'pong' } | { t: 'error' } | { t: 'closed' }>;

export interface SignalingTuning {
  /** First reconnect delay and its cap (jittered: each delay is drawn from [d/2, d]). */
  backoff?: { baseMs?: number; maxMs?: number };
  pingIntervalMs?: number;
  /** Nothing heard for this long (not even a pong) → the connection is dead, reconnect. */
  staleAfterMs?: number;
  /** From opening the socket to the welcome. */
  connectTimeoutMs?: number;
  /** Signals sent while reconnecting wait here (oldest dropped beyond this), flushed after the next welcome. */
  maxQueued?: number;
  random?: () => number;
}

export interface SignalingClientOptions extends SignalingTuning {
  /** ws(s)://…/api/v1/signal */
  url: string;
  token: string;
  roomId: string;
  log: Logger;
  onMessage(message: RelayedServerMessage): void;
  /** Every state change; `reason` with 'closed' is an error code, or 'ended' / 'expired' from the server. */
  onState(state: SignalingState, reason?: string): void;
}

export class SignalingClient {
  private ws: WebSocket | null = null;
  private state: SignalingState = 'connecting';
  private everConnected = false;
  private attempt = 0;
  private stopped = false;
  private readonly queue: string[] = [];
  private reconnectTimer: NodeJS.Timeout | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private lastHeardAt = 0;
  private byeWaiter: (() => void) | null = null;
  private readonly log: Logger;

  constructor(private readonly options: SignalingClientOptions) {
    this.log = options.log.child({ component: 'signaling', room: options.roomId });
  }

  current(): SignalingState {
    return this.state;
  }

  start(): void {
    if (this.stopped || this.ws) return;
    this.open();
  }

  /**
   * Sends one message. While the socket is down (reconnecting) signals and app messages wait and go
   * out after the next welcome, so a candidate the renderer produced meanwhile is not lost.
   */
  send(message: ClientMessage): void {
    if (this.stopped) return;
    const text = JSON.stringify(message);
    if (Buffer.byteLength(text) > SIGNAL_LIMITS.maxMessageBytes) {
      this.log.warn({ type: message.t }, 'signaling message too large, not sent');
      return;
    }
    if (this.state === 'connected' && this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(text);
      return;
    }
    if (message.t === 'ping') return;
    this.queue.push(text);
    const max = this.options.maxQueued ?? 100;
    if (this.queue.length > max) {
      this.queue.splice(0, this.queue.length - max);
      this.log.warn({ max }, 'signaling queue full while reconnecting, oldest messages dropped');
    }
  }

  /**
   * Ends the room for both parties: sends bye (waiting up to `timeoutMs` for a connection if the
   * socket is down right now), then closes. Resolves whether the bye went out.
   */
  async bye(timeoutMs = 2_000): Promise<boolean> {
    if (this.stopped) return false;
    let delivered = false;
    if (this.state !== 'connected') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.byeWaiter = null;
          resolve();
        }, timeoutMs);
        this.byeWaiter = () => {
          clearTimeout(timer);
          this.byeWaiter = null;
          resolve();
        };
      });
    }
    const ws = this.ws;
    if (!this.stopped && this.state === 'connected' && ws?.readyState === WebSocket.OPEN) {
      delivered = await new Promise<boolean>((resolve) => ws.send(JSON.stringify({ t: 'bye' } satisfies ClientMessage), (error) => resolve(!error)));
    }
    if (!delivered && !this.stopped) this.log.warn('bye not delivered: the room stays open on the backend until it expires');
    this.stop('ended');
    return delivered;
  }

  /** Stops for good (no reconnect); state 'closed'. */
  stop(reason = 'ended'): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimers();
    this.byeWaiter?.();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'bye');
      else ws.terminate();
    }
    this.setState('closed', reason);
  }

  private open(): void {
    const ws = new WebSocket(this.options.url, {
      headers: { authorization: `Bearer ${this.options.token}` },
      // the upgrade is never redirected elsewhere with the token (ws's default, stated because it matters)
      followRedirects: false,
      maxPayload: SIGNAL_LIMITS.maxMessageBytes * 2,
      handshakeTimeout: this.options.connectTimeoutMs ?? 10_000,
      perMessageDeflate: false,
    });
    this.ws = ws;
    this.connectTimer = setTimeout(() => {
      this.log.warn('no welcome in time, reconnecting');
      ws.terminate();
    }, this.options.connectTimeoutMs ?? 10_000);
    ws.on('open', () => {
      this.lastHeardAt = Date.now();
      ws.send(JSON.stringify({ t: 'hello', role: 'agent', room: this.options.roomId }));
    });
    ws.on('message', (data, isBinary) => {
      if (ws !== this.ws) return;
      this.lastHeardAt = Date.now();
      if (isBinary) return this.log.warn('binary signaling message dropped');
      this.onText(data.toString());
    });
    ws.on('unexpected-response', (_request, response) => {
      // the upgrade itself was refused (e.g. 401 from an auth layer in front of the WebSocket)
      const status = response.statusCode ?? 0;
      this.log.warn({ status }, 'signaling upgrade refused');
      if (status === 401) this.finish('UNAUTHENTICATED');
      else if (status === 403) this.finish('FORBIDDEN');
      else ws.terminate();
    });
    ws.on('error', (error) => {
      if (ws === this.ws) this.log.debug({ err: (error as NodeJS.ErrnoException).code ?? error.message }, 'signaling socket error');
    });
    ws.on('close', (code) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.clearTimers();
      const refusal = CODE_BY_CLOSE.get(code);
      if (refusal && FINAL_SIGNAL_ERRORS.has(refusal)) return this.finish(refusal);
      this.log.info({ code, refusal }, 'signaling connection lost');
      this.scheduleReconnect();
    });
  }

  private onText(text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.log.warn('non-JSON signaling message dropped');
    }
    const parsed = ServerMessageSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const type = typeof (json as { t?: unknown })?.t === 'string' ? String((json as { t: string }).t).slice(0, 32) : undefined;
      return this.log.warn({ type, path: issue?.path.join('.'), issue: issue?.code }, 'invalid signaling message dropped');
    }
    const message = parsed.data;
    switch (message.t) {
      case 'welcome':
        return this.onWelcome(message);
      case 'pong':
        return;
      case 'error':
        this.log.warn({ code: message.code }, 'signaling refusal');
        if (FINAL_SIGNAL_ERRORS.has(message.code)) this.finish(message.code);
        return; // a non-final refusal: the server closes the socket and we reconnect
      case 'closed':
        this.log.info({ reason: message.reason }, 'room closed by the backend');
        return this.finish(message.reason);
      default:
        if (this.state !== 'connected') return this.log.warn({ type: message.t }, 'signaling message before welcome dropped');
        this.options.onMessage(message);
    }
  }

  private onWelcome(welcome: Welcome): void {
    if (welcome.role !== 'agent' || welcome.room !== this.options.roomId) {
      this.log.warn({ role: welcome.role }, 'welcome for another seat, reconnecting');
      this.ws?.terminate();
      return;
    }
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.attempt = 0;
    this.everConnected = true;
    this.options.onMessage(welcome);
    this.setState('connected');
    const ws = this.ws;
    for (const text of this.queue.splice(0)) ws?.send(text);
    this.startPing();
    this.byeWaiter?.();
  }

  private startPing(): void {
    const interval = this.options.pingIntervalMs ?? 15_000;
    const staleAfter = this.options.staleAfterMs ?? interval * 2 + 5_000;
    this.pingTimer = setInterval(() => {
      const ws = this.ws;
      if (!ws) return;
      if (Date.now() - this.lastHeardAt > staleAfter) {
        // a half-open TCP connection (laptop slept, NAT dropped it) never closes by itself
        this.log.warn({ staleAfter }, 'signaling connection silent, reconnecting');
        ws.terminate();
        return;
      }
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ t: 'ping' } satisfies ClientMessage));
    }, interval);
    this.pingTimer.unref();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.setState(this.everConnected ? 'reconnecting' : 'connecting');
    const delay = this.backoffDelay();
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopped) this.open();
    }, delay);
  }

  /** Exponential backoff, full range [d/2, d] so that many workstations after a backend restart spread out. */
  backoffDelay(): number {
    const base = this.options.backoff?.baseMs ?? 250;
    const max = this.options.backoff?.maxMs ?? 5_000;
    const cap = Math.min(max, base * 2 ** Math.min(this.attempt, 20));
    const random = this.options.random ?? Math.random;
    return Math.round(cap / 2 + (random() * cap) / 2);
  }

  /** A final refusal or the room's end: no more reconnects. */
  private finish(reason: string): void {
    if (this.stopped) return;
    this.log.info({ reason }, 'signaling ended');
    this.stop(reason);
  }

  private clearTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.reconnectTimer = this.connectTimer = this.pingTimer = null;
  }

  private setState(state: SignalingState, reason?: string): void {
    if (state === this.state && state !== 'closed') return;
    this.state = state;
    this.options.onState(state, reason);
  }
}
