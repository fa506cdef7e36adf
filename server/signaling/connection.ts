/**
 * One signaling WebSocket: hello → (admission) → ready → closed. Every inbound message is checked
 * on arrival (rate, type, JSON, schema) so a hostile client is cut off at once; accepted work then
 * runs through one promise chain per connection, so a `signal` sent right after `hello` is relayed
 * after the welcome and a close is handled after whatever it interrupted.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import {
  AgentAppMessageSchema,
  ClientMessageSchema,
  CustomerAppMessageSchema,
  HelloSchema,
  SIGNAL_CLOSE_CODES,
  type ClientMessage,
  type Hello,
  type Role,
  type ServerMessage,
  type SignalErrorCode,
  type Welcome,
} from '../../src/shared/signaling';
import type { Admission } from './admission';
import type { SeatHolder } from './hub';
import { TokenBucket } from './rate-limit';
import type { SignalLimits } from './service';

/** What a connection asks of the signaling service. */
export interface ConnectionPort {
  readonly limits: SignalLimits;
  admit(hello: Hello, authorization: string | undefined): Promise<Admission>;
  /** Claims the seat, then calls `conn.welcome(...)`; refuses the connection itself when it cannot. */
  join(conn: SignalConnection, admitted: Extract<Admission, { ok: true }>): Promise<void>;
  forward(conn: SignalConnection, message: ServerMessage): Promise<void>;
  end(conn: SignalConnection): Promise<void>;
  leave(conn: SignalConnection): Promise<void>;
  /** Drops the connection from this instance's tables (synchronous: no more deliveries to it). */
  detach(conn: SignalConnection): void;
}

type State = 'hello' | 'joining' | 'ready' | 'closed';

export class SignalConnection implements SeatHolder {
  /** Identifies this connection in the seat table (not a secret). */
  readonly id = randomBytes(12).toString('base64url');
  room = '';
  role: Role = 'agent';
  epoch = 0;
  /** Resolves when the socket is closed and its seat is released. */
  readonly finished: Promise<void>;

  private state: State = 'hello';
  private seated = false;
  private roomEnded = false;
  private alive = true;
  private queue: Promise<void> = Promise.resolve();
  private readonly bucket: TokenBucket;
  private helloTimer: NodeJS.Timeout | null;
  private resolveFinished!: () => void;

  constructor(
    private readonly socket: WebSocket,
    private readonly authorization: string | undefined,
    private readonly port: ConnectionPort,
    private readonly log: Logger,
  ) {
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.bucket = new TokenBucket(port.limits.messagesPerSecond, port.limits.burst);
    this.helloTimer = setTimeout(() => this.refuse('HELLO_TIMEOUT', `send hello within ${port.limits.helloTimeoutMs} ms`), port.limits.helloTimeoutMs);
    socket.on('message', (data: RawData, isBinary: boolean) => this.received(data, isBinary));
    socket.on('pong', () => (this.alive = true));
    // ws reports a frame over maxPayload as an error and closes with 1009 itself.
    socket.on('error', (error) => this.log.debug({ err: error.message, room: this.room || undefined }, 'signaling socket error'));
    socket.on('close', () => this.closed());
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  send(message: ServerMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  /** Sends `{t:'error'}` and closes with the code's close code. */
  refuse(code: SignalErrorCode, message: string): void {
    if (this.state === 'closed') return;
    this.log.info({ code, room: this.room || undefined, role: this.state === 'hello' ? undefined : this.role }, 'signaling connection refused');
    this.send({ t: 'error', code, message });
    this.close(SIGNAL_CLOSE_CODES[code], code);
  }

  roomClosed(reason: 'ended' | 'expired'): void {
    if (this.state === 'closed') return;
    this.roomEnded = true;
    this.send({ t: 'closed', reason });
    this.close(1000, `room ${reason}`);
  }

  /** Server shutdown: 1001 tells the client to reconnect (to another instance). */
  shutdown(): void {
    this.close(1001, 'server shutting down');
    setTimeout(() => this.socket.terminate(), 1_000).unref();
  }

  /** The keep-alive tick: a socket that did not answer the previous ping is dead (half-open TCP). */
  checkAlive(): void {
    if (!this.alive) return this.socket.terminate();
    this.alive = false;
    if (this.socket.readyState === this.socket.OPEN) this.socket.ping();
  }

  /** Called by the service once the seat is claimed. */
  bind(room: string, role: Role, epoch: number): void {
    this.room = room;
    this.role = role;
    this.epoch = epoch;
    this.seated = true;
  }

  /** Sends the welcome and starts relaying; false when the socket closed meanwhile. */
  welcome(welcome: Welcome): boolean {
    if (this.state !== 'joining') return false;
    this.send(welcome);
    this.state = 'ready';
    return true;
  }

  private close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.port.detach(this);
    this.clearHelloTimer();
    this.socket.close(code, reason);
  }

  private closed(): void {
    if (this.state !== 'closed') {
      this.state = 'closed';
      this.port.detach(this);
      this.clearHelloTimer();
    }
    // After any join still in flight, so a seat claimed by a socket that just dropped is freed.
    this.enqueue(async () => {
      if (this.seated && !this.roomEnded) await this.port.leave(this);
    });
    void this.queue.then(() => this.resolveFinished());
  }

  private clearHelloTimer(): void {
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.helloTimer = null;
  }

  private received(data: RawData, isBinary: boolean): void {
    if (this.state === 'closed') return;
    if (!this.bucket.take()) return this.refuse('RATE_LIMITED', `more than ${this.port.limits.messagesPerSecond} messages per second`);
    if (isBinary) return this.refuse('MALFORMED_MESSAGE', 'signaling messages are JSON text');
    const text = (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer)).toString('utf8');
    if (Buffer.byteLength(text) > this.port.limits.maxMessageBytes) return this.refuse('MESSAGE_TOO_LARGE', 'message too large');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.refuse('MALFORMED_MESSAGE', 'message is not valid JSON');
    }
    if (this.state === 'hello') return this.hello(json);
    const parsed = ClientMessageSchema.safeParse(json);
    if (!parsed.success) return this.refuse('MALFORMED_MESSAGE', 'not a valid signaling message (the room is bound at hello)');
    const message = parsed.data;
    this.enqueue(() => this.handle(message));
  }

  private hello(json: unknown): void {
    const hello = HelloSchema.safeParse(json);
    if (!hello.success) return this.refuse('MALFORMED_MESSAGE', 'the first message must be a valid hello');
    this.clearHelloTimer();
    this.state = 'joining';
    this.room = hello.data.room;
    this.role = hello.data.role;
    this.enqueue(async () => {
      const admission = await this.port.admit(hello.data, this.authorization);
      if (this.state !== 'joining') return;
      if (!admission.ok) return this.refuse(admission.code, admission.message);
      await this.port.join(this, admission);
    });
  }

  private async handle(message: ClientMessage): Promise<void> {
    if (this.state !== 'ready') return;
    switch (message.t) {
      case 'ping':
        return this.send({ t: 'pong' });
      case 'signal':
        return this.port.forward(this, { t: 'signal', gen: message.gen, data: message.data });
      case 'app': {
        // Each side may send only its own kind: a customer cannot end the call for the agent.
        const schema = this.role === 'customer' ? CustomerAppMessageSchema : AgentAppMessageSchema;
        if (!schema.safeParse(message.data).success) return this.refuse('MALFORMED_MESSAGE', `not an application message a ${this.role} may send`);
        return this.port.forward(this, { t: 'app', data: message.data });
      }
      case 'bye':
        // The agent ends the room for both; a customer's bye only means it is leaving.
        if (this.role === 'agent') return this.port.end(this);
        return this.close(1000, 'bye');
    }
  }

  private enqueue(task: () => Promise<void> | void): void {
    this.queue = this.queue.then(task).catch((error: unknown) => {
      this.log.error({ err: error instanceof Error ? error.message : String(error), room: this.room || undefined }, 'signaling: handling a message failed');
      this.refuse('UNAVAILABLE', 'the signaling service is temporarily unavailable; reconnect');
    });
  }
}
