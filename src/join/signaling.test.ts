import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SignalErrorCode, Welcome } from '../shared/signaling';
import { Credentials } from './credentials';
import { SIGNALING_TIMING, SignalingClient, backoffDelay, type LinkStatus, type RelayedMessage } from './signaling';

const room = 'Room_0123456789abcdef';
const token = 't'.repeat(43);
const resume = 'r'.repeat(43);

class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  readonly sent: unknown[] = [];
  closedWith: number | null = null;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  autoPong = false;
  send(data: string) {
    const message = JSON.parse(data);
    this.sent.push(message);
    if (this.autoPong && message.t === 'ping') this.receive({ t: 'pong' });
  }
  close(code: number) {
    this.closedWith = code;
  }
  // test side
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(message: unknown) {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

const welcome = (extra: Partial<Welcome> = {}): Welcome => ({
  t: 'welcome',
  role: 'customer',
  room,
  caseId: 'case-1',
  resume,
  iceServers: [],
  iceTransportPolicy: 'all',
  peerPresent: true,
  iceExpiresAt: 0,
  roomExpiresAt: 0,
  ...extra,
});

function setup(credentials = new Credentials(room, token, { local: null, session: null })) {
  const statuses: LinkStatus[] = [];
  const welcomes: Welcome[] = [];
  const messages: RelayedMessage[] = [];
  const refused: SignalErrorCode[] = [];
  let invalid = 0;
  const client = new SignalingClient({
    url: 'ws://test/api/v1/signal',
    room,
    credentials,
    WebSocketImpl: FakeSocket as unknown as new (url: string) => WebSocket,
    random: () => 0.5,
    events: {
      onStatus: (s) => statuses.push(s),
      onWelcome: (w) => welcomes.push(w),
      onMessage: (m) => messages.push(m),
      onRefused: (c) => refused.push(c),
      onInvalid: (n) => (invalid = n),
    },
  });
  return { client, statuses, welcomes, messages, refused, invalid: () => invalid };
}

const last = () => FakeSocket.all.at(-1)!;

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

describe('signaling client', () => {
  it('says hello with the token, then rejoins with the resume secret after a drop', () => {
    const { client, welcomes, statuses } = setup();
    client.start();
    last().open();
    expect(last().sent[0]).toEqual({ t: 'hello', role: 'customer', room, token });
    last().receive(welcome());
    expect(welcomes).toHaveLength(1);
    expect(client.isOpen).toBe(true);
    last().drop();
    expect(statuses.at(-1)).toBe('reconnecting');
    vi.advanceTimersByTime(backoffDelay(0, () => 0.5));
    expect(FakeSocket.all).toHaveLength(2);
    last().open();
    expect(last().sent[0]).toEqual({ t: 'hello', role: 'customer', room, resume });
  });

  it('validates every inbound message and counts the invalid ones', () => {
    const { client, messages, invalid } = setup();
    client.start();
    last().open();
    last().receive({ t: 'signal', gen: 0, data: { type: 'offer', sdp: 'x' } }); // before welcome: not ours to act on
    last().receive(welcome());
    last().receive('{not json');
    last().receive({ t: 'signal', gen: -1, data: { type: 'offer', sdp: 'x' } });
    last().receive({ t: 'peer', state: 'joined', extra: 1 });
    last().receive({ t: 'signal', gen: 0, data: { type: 'offer', sdp: 'x' } });
    expect(messages).toEqual([{ t: 'signal', gen: 0, data: { type: 'offer', sdp: 'x' } }]);
    expect(invalid()).toBe(4);
  });

  it('refuses for good on TOKEN_USED (no credential left)', () => {
    const { client, refused } = setup();
    client.start();
    last().open();
    last().receive({ t: 'error', code: 'TOKEN_USED', message: 'used' });
    last().drop(4413);
    expect(refused).toEqual(['TOKEN_USED']);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('maps a bare close code to its refusal', () => {
    const { client, refused } = setup();
    client.start();
    last().open();
    last().drop(4000);
    expect(refused).toEqual(['REPLACED']);
  });

  it('falls back from a refused resume to the link token', () => {
    const local = new Map<string, string>();
    const store = {
      get length() {
        return local.size;
      },
      key: (i: number) => [...local.keys()][i] ?? null,
      getItem: (k: string) => local.get(k) ?? null,
      setItem: (k: string, v: string) => void local.set(k, v),
      removeItem: (k: string) => void local.delete(k),
    };
    new Credentials(room, null, { local: store, session: null }).welcomed(resume);
    const { client, refused } = setup(new Credentials(room, token, { local: store, session: null }));
    client.start();
    last().open();
    expect(last().sent[0]).toMatchObject({ resume });
    last().receive({ t: 'error', code: 'TOKEN_INVALID', message: 'bad resume' });
    last().drop(4402);
    expect(FakeSocket.all).toHaveLength(2);
    last().open();
    expect(last().sent[0]).toMatchObject({ token });
    expect(refused).toEqual([]);
  });

  it('retries transient refusals with backoff', () => {
    const { client, refused } = setup();
    client.start();
    last().open();
    last().receive({ t: 'error', code: 'UNAVAILABLE', message: 'db down' });
    last().drop(4503);
    expect(refused).toEqual([]);
    vi.advanceTimersByTime(backoffDelay(0, () => 0.5));
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('stops and never reconnects after closed', () => {
    const { client, messages, statuses } = setup();
    client.start();
    last().open();
    last().receive(welcome());
    last().receive({ t: 'closed', reason: 'ended' });
    expect(messages.at(-1)).toEqual({ t: 'closed', reason: 'ended' });
    expect(statuses.at(-1)).toBe('stopped');
    last().drop(1000);
    vi.advanceTimersByTime(120_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('abandons a silent socket and one that is never welcomed', () => {
    const { client } = setup();
    client.start();
    last().open();
    vi.advanceTimersByTime(SIGNALING_TIMING.connectTimeoutMs + 1);
    expect(FakeSocket.all[0]!.closedWith).toBe(4000);
    vi.advanceTimersByTime(backoffDelay(0, () => 0.5));
    expect(FakeSocket.all).toHaveLength(2);
    last().open();
    last().receive(welcome());
    vi.advanceTimersByTime(SIGNALING_TIMING.pingIntervalMs);
    expect(last().sent.at(-1)).toEqual({ t: 'ping' });
    vi.advanceTimersByTime(SIGNALING_TIMING.silenceTimeoutMs);
    expect(FakeSocket.all[1]!.closedWith).toBe(4000);
  });

  it('queues signals while down and flushes the current generation after the welcome', () => {
    const { client } = setup();
    client.start();
    client.sendOrQueue({ t: 'signal', gen: 1, data: { type: 'answer', sdp: 'old' } });
    client.sendOrQueue({ t: 'signal', gen: 2, data: { type: 'answer', sdp: 'new' } });
    last().open();
    last().receive(welcome());
    client.flushQueue((m) => m.t !== 'signal' || m.gen === 2);
    expect(last().sent.slice(1)).toEqual([{ t: 'signal', gen: 2, data: { type: 'answer', sdp: 'new' } }]);
  });

  it('refuses a welcome for another room', () => {
    const { client, welcomes } = setup();
    client.start();
    last().open();
    last().receive(welcome({ room: 'Another_0123456789ab' }));
    expect(welcomes).toHaveLength(0);
    expect(FakeSocket.all[0]!.closedWith).toBe(4000);
  });

  it('rejoins before the TURN credentials expire, never more often than the floor', () => {
    const { client, welcomes } = setup();
    client.start();
    last().autoPong = true;
    last().open();
    last().receive(welcome({ iceExpiresAt: Date.now() + 30 * 60_000 }));
    vi.advanceTimersByTime(29 * 60_000 - 1000);
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(2000);
    expect(FakeSocket.all).toHaveLength(2);
    expect(FakeSocket.all[0]!.closedWith).toBe(1000);
    last().autoPong = true;
    last().open();
    expect(last().sent[0]).toMatchObject({ resume });
    // a phone clock hours ahead of the server: expiry already "past", still only every 5 minutes
    last().receive(welcome({ iceExpiresAt: Date.now() - 3600_000 }));
    vi.advanceTimersByTime(SIGNALING_TIMING.minRefreshMs - 1000);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(2000);
    expect(FakeSocket.all).toHaveLength(3);
    expect(welcomes).toHaveLength(2);
  });
});
