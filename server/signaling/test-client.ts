/**
 * A small signaling client for tests (unit and end-to-end): a `ws` socket whose every inbound
 * message is checked against ServerMessageSchema, so a server that breaks the protocol fails the
 * test that saw it. Not used by the server itself.
 */
import WebSocket from 'ws';
import { ServerMessageSchema, SIGNAL_PATH, type ServerMessage } from '../../src/shared/signaling';

type Waiter = { ts: readonly ServerMessage['t'][]; resolve: (m: ServerMessage) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class SignalTestClient {
  /** Messages received and not yet taken by next(). */
  readonly inbox: ServerMessage[] = [];
  /** Everything received, in order. */
  readonly log: ServerMessage[] = [];
  readonly violations: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters: Waiter[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '<binary>' : data.toString();
      let parsed: ServerMessage;
      try {
        const result = ServerMessageSchema.safeParse(JSON.parse(text));
        if (!result.success) throw new Error(result.error.message);
        parsed = result.data;
      } catch (error) {
        this.violations.push(`not a ServerMessage: ${text.slice(0, 200)} (${String(error).slice(0, 200)})`);
        return;
      }
      this.log.push(parsed);
      const i = this.waiters.findIndex((w) => w.ts.includes(parsed.t));
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        clearTimeout(w!.timer);
        w!.resolve(parsed);
      } else this.inbox.push(parsed);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => undefined);
  }

  /** Opens `ws://<base>/api/v1/signal` (base = `http://127.0.0.1:port`). */
  static connect(base: string, headers: Record<string, string> = {}): Promise<SignalTestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${base.replace(/^http/, 'ws')}${SIGNAL_PATH}`, { headers, maxPayload: 1024 * 1024 });
      const client = new SignalTestClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  /** The next (oldest untaken) message of type `t`, waiting up to `timeoutMs`. */
  next<T extends ServerMessage['t']>(t: T, timeoutMs = 5_000): Promise<Extract<ServerMessage, { t: T }>> {
    return this.nextOf([t], timeoutMs);
  }

  /** The next untaken message whose type is one of `ts`. */
  nextOf<T extends ServerMessage['t']>(ts: readonly T[], timeoutMs = 5_000): Promise<Extract<ServerMessage, { t: T }>> {
    const i = this.inbox.findIndex((m) => (ts as readonly string[]).includes(m.t));
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as Extract<ServerMessage, { t: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const j = this.waiters.findIndex((w) => w.timer === timer);
        if (j >= 0) this.waiters.splice(j, 1);
        reject(new Error(`no ${ts.join('/')} message within ${timeoutMs} ms; received: ${JSON.stringify(this.log.map((m) => m.t))}`));
      }, timeoutMs);
      this.waiters.push({ ts, resolve: resolve as (m: ServerMessage) => void, reject, timer });
    });
  }

  /** Sends hello and resolves with the welcome, or with the error the server answered. */
  hello(hello: Record<string, unknown>): Promise<Extract<ServerMessage, { t: 'welcome' | 'error' }>> {
    this.send({ t: 'hello', ...hello });
    return this.nextOf(['welcome', 'error']);
  }

  /** Resolves with what arrived in the next `ms` that was not taken (for "nothing was delivered"). */
  async idle(ms: number): Promise<ServerMessage[]> {
    await new Promise((r) => setTimeout(r, ms));
    return [...this.inbox];
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }
}
