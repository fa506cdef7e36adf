import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** A stand-in for simple-peer: records what the session asks of it and lets the test fire its events. */
class FakePeer {
  static last: FakePeer;
  readonly listeners = new Map<string, Array<(...args: unknown[]) => void>>();
  readonly transceivers: string[] = [];
  readonly signals: unknown[] = [];
  readonly sent: unknown[] = [];
  destroyed = 0;
  readonly _pc = { getSenders: () => [] };
  constructor(readonly options: Record<string, unknown>) {
    FakePeer.last = this;
  }
  on(event: string, listener: (...args: unknown[]) => void) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  emit(event: string, ...args: unknown[]) {
    this.listeners.get(event)?.forEach((listener) => listener(...args));
  }
  addTransceiver(kind: string) {
    this.transceivers.push(kind);
  }
  signal(data: unknown) {
    this.signals.push(data);
  }
  send(data: unknown) {
    this.sent.push(data);
  }
  destroy() {
    this.destroyed += 1;
  }
}

vi.mock('simple-peer/simplepeer.min.js', () => ({ default: FakePeer }));

const { CONNECT_TIMEOUT_MS, DISCONNECTED_GRACE_MS, createPeerSession, downReason } = await import('./peer-session');

function session() {
  const calls = { down: [] as unknown[][], connect: 0, signals: [] as unknown[], data: [] as string[] };
  const peer = createPeerSession({
    gen: 3,
    stream: null,
    iceServers: [{ urls: 'turn:turn.example:3478', username: 'u', credential: 'c' }],
    iceTransportPolicy: 'relay',
    onSignal: (data) => calls.signals.push(data),
    onConnect: () => (calls.connect += 1),
    onStream: () => undefined,
    onData: (text) => calls.data.push(text),
    onIceState: () => undefined,
    onDown: (...args) => calls.down.push(args),
  });
  return { peer, fake: FakePeer.last, calls };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('createPeerSession', () => {
  it('is the initiator with trickle ICE and the call’s ICE config, and receives audio and video without local tracks', () => {
    const { fake } = session();
    expect(fake.options).toMatchObject({ initiator: true, trickle: true, config: { iceTransportPolicy: 'relay', iceServers: [{ urls: 'turn:turn.example:3478' }] } });
    expect(fake.transceivers).toEqual(['audio', 'video']);
  });

  it('rebuild cue: ICE disconnected for longer than the grace period', () => {
    const { fake, calls } = session();
    fake.emit('connect');
    fake.emit('iceStateChange', 'disconnected');
    vi.advanceTimersByTime(DISCONNECTED_GRACE_MS - 1);
    expect(calls.down).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(calls.down).toEqual([['ice_disconnected', '', true]]);
    expect(fake.destroyed).toBe(1);
  });

  it('a disconnect that heals within the grace period is not a rebuild', () => {
    const { fake, calls } = session();
    fake.emit('connect');
    fake.emit('iceStateChange', 'disconnected');
    vi.advanceTimersByTime(DISCONNECTED_GRACE_MS / 2);
    fake.emit('iceStateChange', 'connected');
    vi.advanceTimersByTime(DISCONNECTED_GRACE_MS * 2);
    expect(calls.down).toEqual([]);
  });

  it('reports an ICE failure once, although simple-peer emits error and then close', () => {
    const { fake, calls } = session();
    fake.emit('error', Object.assign(new Error('Ice connection failed.'), { code: 'ERR_ICE_CONNECTION_FAILURE' }));
    fake.emit('close');
    expect(calls.down).toEqual([['ice_failed', 'ERR_ICE_CONNECTION_FAILURE', false]]);
  });

  it('never calls back after close()', () => {
    const { peer, fake, calls } = session();
    peer.close();
    fake.emit('signal', { type: 'offer', sdp: 'v=0' });
    fake.emit('connect');
    fake.emit('data', new TextEncoder().encode('{}'));
    fake.emit('close');
    vi.advanceTimersByTime(CONNECT_TIMEOUT_MS * 2);
    expect(calls).toEqual({ down: [], connect: 0, signals: [], data: [] });
    expect(peer.pc).toBeNull();
  });

  it('gives up a generation that never connects, counting from the last inbound signal', () => {
    const { peer, calls } = session();
    vi.advanceTimersByTime(CONNECT_TIMEOUT_MS - 1_000);
    peer.signal({ type: 'answer', sdp: 'v=0' });
    vi.advanceTimersByTime(CONNECT_TIMEOUT_MS - 1);
    expect(calls.down).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(calls.down).toEqual([['connect_timeout', '', false]]);
  });

  it('sends only once connected, and decodes inbound bytes as text', () => {
    const { peer, fake, calls } = session();
    expect(peer.send('x')).toBe(false);
    fake.emit('connect');
    expect(peer.send('x')).toBe(true);
    expect(fake.sent).toEqual(['x']);
    fake.emit('data', new TextEncoder().encode('{"t":"guidance.ack","id":1}'));
    expect(calls.data).toEqual(['{"t":"guidance.ack","id":1}']);
  });

  it('classifies simple-peer error codes', () => {
    expect(downReason('ERR_CONNECTION_FAILURE')).toBe('ice_failed');
    expect(downReason('ERR_DATA_CHANNEL')).toBe('closed');
    expect(downReason('ERR_SET_REMOTE_DESCRIPTION')).toBe('error');
    expect(downReason(undefined)).toBe('error');
  });
});
