import { describe, expect, it } from 'vitest';
import type { SignalData } from '../shared/signaling';
import { PeerGenerations, normalizeOutgoingSignal, parseChannelMessage, type PeerEvents, type PeerFactoryOptions, type PeerLike, type PeerStatus } from './peer';

class FakePeer implements PeerLike {
  connected = false;
  destroyed = false;
  readonly signals: object[] = [];
  readonly sent: string[] = [];
  readonly replaced: [string, string][] = [];
  readonly listeners = new Map<string, ((...args: never[]) => void)[]>();
  constructor(readonly options: PeerFactoryOptions) {}
  signal(data: object) {
    this.signals.push(data);
  }
  send(data: string) {
    this.sent.push(data);
  }
  addTrack() {}
  replaceTrack(oldTrack: MediaStreamTrack, newTrack: MediaStreamTrack) {
    this.replaced.push([oldTrack.id, newTrack.id]);
  }
  destroy() {
    this.destroyed = true;
  }
  on(event: string, listener: (...args: never[]) => void) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  emit(event: string, ...args: unknown[]) {
    for (const listener of this.listeners.get(event) ?? []) (listener as (...a: unknown[]) => void)(...args);
  }
}

const track = (kind: string, id: string) => ({ kind, id }) as MediaStreamTrack;
const stream = (...tracks: MediaStreamTrack[]) => ({ getTracks: () => tracks }) as unknown as MediaStream;
const offer: SignalData = { type: 'offer', sdp: 'v=0 offer' };
const candidate: SignalData = { type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 10.0.0.1 5000 typ host', sdpMLineIndex: 0, sdpMid: '0' } };

function setup() {
  const peers: FakePeer[] = [];
  const out: { gen: number; data: SignalData }[] = [];
  const statuses: [PeerStatus, number][] = [];
  const invalid: string[] = [];
  const messages: unknown[] = [];
  const events: PeerEvents = {
    sendSignal: (gen, data) => out.push({ gen, data }),
    onStatus: (status, gen) => statuses.push([status, gen]),
    onRemoteStream: () => undefined,
    onChannelMessage: (m) => messages.push(m),
    onInvalid: (what) => invalid.push(what),
  };
  const generations = new PeerGenerations((options) => {
    const peer = new FakePeer(options);
    peers.push(peer);
    return peer;
  }, events);
  return { generations, peers, out, statuses, invalid, messages };
}

function ready(g: PeerGenerations, s = stream(track('video', 'v1'), track('audio', 'a1'))) {
  g.setIce([{ urls: 'stun:stun.example:3478' }], 'all');
  g.setStream(s);
  g.release();
  return s;
}

describe('peer generations', () => {
  it('holds the offer until camera and consent are ready, then answers as a non-initiator', () => {
    const { generations, peers } = setup();
    generations.handleSignal(0, offer);
    generations.handleSignal(0, candidate);
    expect(peers).toHaveLength(0);
    generations.setIce([{ urls: 'turn:turn.example', username: 'u', credential: 'c' }], 'relay');
    generations.setStream(stream(track('video', 'v1')));
    expect(peers).toHaveLength(0);
    generations.release();
    expect(peers).toHaveLength(1);
    expect(peers[0]!.options).toMatchObject({ initiator: false, trickle: true, objectMode: true, config: { iceTransportPolicy: 'relay' } });
    expect(peers[0]!.signals).toEqual([offer, candidate]);
  });

  it('builds a new peer for a higher generation and ignores lower ones', () => {
    const { generations, peers, invalid } = setup();
    ready(generations);
    generations.handleSignal(1, offer);
    generations.handleSignal(1, candidate);
    expect(peers).toHaveLength(1);
    generations.handleSignal(2, offer);
    expect(peers).toHaveLength(2);
    expect(peers[0]!.destroyed).toBe(true);
    generations.handleSignal(1, candidate);
    expect(peers[0]!.signals).toHaveLength(2);
    expect(peers[1]!.signals).toEqual([offer]);
    expect(invalid).toEqual(['stale-signal']);
    expect(generations.generation).toBe(2);
  });

  it('accepts a lower-generation offer after the agent rejoined (restarted workstation)', () => {
    const { generations, peers } = setup();
    ready(generations);
    generations.handleSignal(5, offer);
    generations.agentJoined();
    generations.handleSignal(0, offer);
    expect(peers).toHaveLength(2);
    expect(generations.generation).toBe(0);
  });

  it('a failed peer waits for the next generation', () => {
    const { generations, peers, statuses } = setup();
    ready(generations);
    generations.handleSignal(0, offer);
    peers[0]!.emit('close');
    expect(statuses.at(-1)).toEqual(['failed', 0]);
    generations.handleSignal(0, candidate);
    expect(peers).toHaveLength(1);
    generations.handleSignal(1, offer);
    expect(peers).toHaveLength(2);
  });

  it('sends normalized signals tagged with its generation, and drops invalid ones', () => {
    const { generations, peers, out, invalid } = setup();
    ready(generations);
    generations.handleSignal(3, offer);
    peers[0]!.emit('signal', { type: 'answer', sdp: 'v=0 answer' });
    peers[0]!.emit('signal', { type: 'renegotiate', renegotiate: true });
    peers[0]!.emit('signal', { type: 'transceiverRequest', transceiverRequest: { kind: 'video' } });
    peers[0]!.emit('signal', { type: 'bogus' });
    expect(out).toEqual([
      { gen: 3, data: { type: 'answer', sdp: 'v=0 answer' } },
      { gen: 3, data: { renegotiate: true } },
      { gen: 3, data: { transceiverRequest: { kind: 'video' } } },
    ]);
    expect(invalid).toEqual(['signal-out']);
  });

  it('replaces the camera tracks of a live peer without renegotiating', () => {
    const { generations, peers } = setup();
    ready(generations);
    generations.handleSignal(0, offer);
    generations.setStream(stream(track('video', 'v2'), track('audio', 'a2')));
    generations.setStream(stream(track('video', 'v3'), track('audio', 'a3')));
    expect(peers[0]!.replaced).toEqual([
      ['a1', 'a2'],
      ['v1', 'v2'],
      ['a2', 'a3'],
      ['v2', 'v3'],
    ]);
  });

  it('validates data channel messages and replies only when connected', () => {
    const { generations, peers, messages, invalid } = setup();
    ready(generations);
    generations.handleSignal(0, offer);
    const peer = peers[0]!;
    peer.emit('data', JSON.stringify({ t: 'guidance', id: 7, key: 'move_to_light' }));
    peer.emit('data', new TextEncoder().encode(JSON.stringify({ t: 'guidance.clear' })));
    peer.emit('data', JSON.stringify({ t: 'guidance', id: 8, key: 'not_a_key' }));
    peer.emit('data', 'not json');
    expect(messages).toEqual([{ t: 'guidance', id: 7, key: 'move_to_light' }, { t: 'guidance.clear' }]);
    expect(invalid).toEqual(['channel-in', 'channel-in']);
    expect(generations.sendToAgent({ t: 'guidance.ack', id: 7 })).toBe(false);
    peer.connected = true;
    expect(generations.sendToAgent({ t: 'guidance.ack', id: 7 })).toBe(true);
    expect(peer.sent).toEqual([JSON.stringify({ t: 'guidance.ack', id: 7 })]);
  });

  it('accepts challenge steps and the spoken code, and refuses a code that is not 4 digits or an unknown action', () => {
    const { generations, peers, messages, invalid } = setup();
    ready(generations);
    generations.handleSignal(0, offer);
    const peer = peers[0]!;
    peer.emit('data', JSON.stringify({ t: 'challenge', id: 1, action: 'turn_left', step: 1, of: 3, seconds: 6 }));
    peer.emit('data', JSON.stringify({ t: 'code', digits: '4071' }));
    peer.emit('data', JSON.stringify({ t: 'code', digits: '40712' }));
    peer.emit('data', JSON.stringify({ t: 'challenge', id: 2, action: 'smile', step: 1, of: 3, seconds: 6 }));
    peer.emit('data', JSON.stringify({ t: 'challenge', id: 3, action: 'blink', step: 1, of: 3, seconds: 6, score: 0.9 }));
    peer.emit('data', JSON.stringify({ t: 'challenge.clear' }));
    peer.emit('data', JSON.stringify({ t: 'code.clear' }));
    expect(messages).toEqual([
      { t: 'challenge', id: 1, action: 'turn_left', step: 1, of: 3, seconds: 6 },
      { t: 'code', digits: '4071' },
      { t: 'challenge.clear' },
      { t: 'code.clear' },
    ]);
    // a longer code, an unknown action and an extra field (a score must never reach this page) are refused
    expect(invalid).toEqual(['channel-in', 'channel-in', 'channel-in']);
  });

  it('keeps only the newest offer while held', () => {
    const { generations, peers } = setup();
    generations.handleSignal(0, offer);
    generations.handleSignal(0, candidate);
    const second: SignalData = { type: 'offer', sdp: 'v=0 second' };
    generations.handleSignal(0, second);
    ready(generations);
    expect(peers[0]!.signals).toEqual([candidate, second]);
  });
});

describe('wire helpers', () => {
  it('rejects oversized channel messages', () => {
    expect(parseChannelMessage('x'.repeat(5000))).toBeNull();
    expect(normalizeOutgoingSignal(null)).toBeNull();
  });
});
