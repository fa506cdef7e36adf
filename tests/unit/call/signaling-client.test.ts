/**
 * The agent's signaling connection against a scripted WebSocket server (real sockets): hello with the
 * token in a header, validation of every server message, reconnects, final refusals, bye, and logs
 * that never carry the token or SDP.
 */
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { SignalingState } from '../../../src/shared/call';
import { SIGNAL_CLOSE_CODES, type Welcome } from '../../../src/shared/signaling';
import { SignalingClient, type RelayedServerMessage } from '../../../src/main/call/signaling-client';
import { silentLogger } from '../../../src/main/log/logger';

const ROOM = 'room_abcdefghijklmnop';
const TOKEN = 'vd_secret-token-that-must-never-be-logged';
const SDP = 'v=0 o=- 4611731400430051336 2 IN IP4 127.0.0.1 secret-sdp';

const welcome = (over: Partial<Welcome> = {}): Welcome => ({
  t: 'welcome',
  role: 'agent',
  room: ROOM,
  caseId: 'case-1',
  iceServers: [{ urls: 'stun:127.0.0.1:3478' }],
  iceTransportPolicy: 'all',
  peerPresent: false,
  iceExpiresAt: Date.now() + 60_000,
  roomExpiresAt: Date.now() + 60_000,
  ...over,
});

interface Conn {
  ws: WebSocket;
  auth: string | undefined;
  received: unknown[];
}

/** A WebSocket server that records connections and lets the test script the replies. */
async function scriptedServer(onHello: (conn: Conn) => void = (c) => c.ws.send(JSON.stringify(welcome()))) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const conns: Conn[] = [];
  wss.on('connection', (ws, request) => {
    const conn: Conn = { ws, auth: request.headers.authorization, received: [] };
    conns.push(conn);
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { t: string };
      conn.received.push(message);
      if (message.t === 'hello') onHello(conn);
      if (message.t === 'ping') ws.send(JSON.stringify({ t: 'pong' }));
    });
  });
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/api/v1/signal`;
  const close = () =>
    new Promise<void>((r) => {
      for (const ws of wss.clients) ws.terminate();
      wss.close(() => r());
    });
  return { wss, conns, url, close };
}

function client(url: string, log = silentLogger, backoff = { baseMs: 20, maxMs: 100 }) {
  const states: Array<[SignalingState, string | undefined]> = [];
  const messages: RelayedServerMessage[] = [];
  const c = new SignalingClient({
    url,
    token: TOKEN,
    roomId: ROOM,
    log,
    backoff,
    onMessage: (m) => messages.push(m),
    onState: (s, reason) => states.push([s, reason]),
  });
  return { c, states, messages };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

describe('SignalingClient', () => {
  it('says hello as the agent with the token in the Authorization header, and is connected on the welcome', async () => {
    const server = await scriptedServer();
    cleanups.push(server.close);
    const { c, states, messages } = client(server.url);
    cleanups.push(() => c.stop());
    c.start();
    await expect.poll(() => c.current()).toBe('connected');
    expect(server.conns[0]!.auth).toBe(`Bearer ${TOKEN}`);
    expect(server.conns[0]!.received[0]).toEqual({ t: 'hello', role: 'agent', room: ROOM });
    expect(states).toEqual([['connected', undefined]]);
    expect(messages[0]).toMatchObject({ t: 'welcome', iceServers: [{ urls: 'stun:127.0.0.1:3478' }] });
  });

  it('drops invalid server messages (not JSON, unknown type, bad signal) and relays the valid ones', async () => {
    const server = await scriptedServer();
    cleanups.push(server.close);
    const { c, messages } = client(server.url);
    cleanups.push(() => c.stop());
    c.start();
    await expect.poll(() => c.current()).toBe('connected');
    const ws = server.conns[0]!.ws;
    ws.send('not json');
    ws.send(JSON.stringify({ t: 'steal', token: 'x' }));
    ws.send(JSON.stringify({ t: 'signal', gen: 0, data: { type: 'offer', sdp: SDP, extra: 1 } }));
    ws.send(JSON.stringify({ t: 'signal', gen: -1, data: { type: 'offer', sdp: SDP } }));
    ws.send(JSON.stringify({ t: 'app', data: { kind: 'consent', subject: 'recording', granted: 'yes', language: 'en' } }));
    ws.send(JSON.stringify({ t: 'signal', gen: 1, data: { type: 'answer', sdp: SDP } }));
    ws.send(JSON.stringify({ t: 'peer', state: 'joined' }));
    await expect.poll(() => messages.length).toBe(3);
    expect(messages.slice(1)).toEqual([
      { t: 'signal', gen: 1, data: { type: 'answer', sdp: SDP } },
      { t: 'peer', state: 'joined' },
    ]);
    expect(c.current()).toBe('connected');
  });

  it('reconnects after the connection drops (reconnecting → connected) and sends what was queued meanwhile', async () => {
    const server = await scriptedServer();
    cleanups.push(server.close);
    const { c, states } = client(server.url, silentLogger, { baseMs: 400, maxMs: 400 });
    cleanups.push(() => c.stop());
    c.start();
    await expect.poll(() => c.current()).toBe('connected');
    server.conns[0]!.ws.terminate();
    await expect.poll(() => c.current()).toBe('reconnecting'); // the next attempt waits 200–400 ms
    c.send({ t: 'signal', gen: 0, data: { type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' } } });
    await expect.poll(() => c.current()).toBe('connected');
    expect(states.map(([s]) => s)).toEqual(['connected', 'reconnecting', 'connected']);
    await expect.poll(() => server.conns[1]?.received.length).toBe(2);
    expect(server.conns[1]!.received).toEqual([
      { t: 'hello', role: 'agent', room: ROOM },
      { t: 'signal', gen: 0, data: { type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' } } },
    ]);
  });

  it('keeps retrying while nothing listens, then connects once the server is back', async () => {
    const server = await scriptedServer();
    const port = Number(new URL(server.url).port);
    await server.close();
    const { c, states } = client(server.url);
    cleanups.push(() => c.stop());
    c.start();
    await new Promise((r) => setTimeout(r, 300)); // several failed attempts
    expect(c.current()).toBe('connecting');
    const back = new WebSocketServer({ port, host: '127.0.0.1' });
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const ws of back.clients) ws.terminate();
          back.close(() => r());
        }),
    );
    back.on('connection', (ws) => ws.on('message', () => ws.send(JSON.stringify(welcome()))));
    await expect.poll(() => c.current(), { timeout: 5_000 }).toBe('connected');
    expect(states.map(([s]) => s)).toEqual(['connected']);
  });

  it.each([
    ['an error message with a final code', (ws: WebSocket) => ws.send(JSON.stringify({ t: 'error', code: 'ROOM_EXPIRED', message: 'expired' })), 'ROOM_EXPIRED'],
    ['the REPLACED close code', (ws: WebSocket) => ws.close(SIGNAL_CLOSE_CODES.REPLACED, 'replaced'), 'REPLACED'],
    ['the UNAUTHENTICATED close code', (ws: WebSocket) => ws.close(SIGNAL_CLOSE_CODES.UNAUTHENTICATED), 'UNAUTHENTICATED'],
    ['the room closing', (ws: WebSocket) => ws.send(JSON.stringify({ t: 'closed', reason: 'ended' })), 'ended'],
  ])('ends for good on %s', async (_what, refuse, reason) => {
    const server = await scriptedServer();
    cleanups.push(server.close);
    const { c, states } = client(server.url);
    cleanups.push(() => c.stop());
    c.start();
    await expect.poll(() => c.current()).toBe('connected');
    refuse(server.conns[0]!.ws);
    await expect.poll(() => c.current()).toBe('closed');
    expect(states.at(-1)).toEqual(['closed', reason]);
    await new Promise((r) => setTimeout(r, 250));
    expect(server.conns).toHaveLength(1);
  });

  it('reconnects after a non-final refusal (RATE_LIMITED)', async () => {
    const server = await scriptedServer();
    cleanups.push(server.close);
    const { c } = client(server.url);
    cleanups.push(() => c.stop());
    c.start();
    await expect.poll(() => c.current()).toBe('connected');
    const ws = server.conns[0]!.ws;
    ws.send(JSON.stringify({ t: 'error', code: 'RATE_LIMITED', message: 'slow down' }));
    ws.close(SIGNAL_CLOSE_CODES.RATE_LIMITED);
    await expect.poll(() => server.conns.length).toBe(2);
    await expect.poll(() => c.current()).toBe('connected');
  });

  it('sends bye and closes; waits for a connection to deliver it when reconnecting', async () => {
    const server = await scriptedServer();
    cleanups.push(server.close);
    const { c, states } = client(server.url, silentLogger, { baseMs: 400, maxMs: 400 });
    c.start();
    await expect.poll(() => c.current()).toBe('connected');
    server.conns[0]!.ws.terminate();
    await expect.poll(() => c.current()).toBe('reconnecting');
    expect(await c.bye(5_000)).toBe(true);
    await expect.poll(() => server.conns[1]?.received.at(-1)).toEqual({ t: 'bye' });
    expect(states.at(-1)).toEqual(['closed', 'ended']);
  });

  it('backs off with jitter from ~250 ms up to 5 s by default', () => {
    const draws: number[] = [];
    for (const random of [0, 1]) {
      const c = new SignalingClient({ url: 'ws://127.0.0.1:1', token: TOKEN, roomId: ROOM, log: silentLogger, random: () => random, onMessage: () => undefined, onState: () => undefined });
      const delays: number[] = [];
      for (let i = 0; i < 8; i++) {
        delays.push(c.backoffDelay());
        (c as unknown as { attempt: number }).attempt += 1;
      }
      draws.push(...delays);
      if (random === 0) expect(delays).toEqual([125, 250, 500, 1000, 2000, 2500, 2500, 2500]);
      else expect(delays).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
    }
  });

  it('never logs the token or SDP', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const log = pino({ level: 'debug' }, sink);
    const server = await scriptedServer();
    cleanups.push(server.close);
    const { c } = client(server.url, log);
    c.start();
    await expect.poll(() => c.current()).toBe('connected');
    const ws = server.conns[0]!.ws;
    ws.send(JSON.stringify({ t: 'signal', gen: 0, data: { type: 'offer', sdp: SDP, bogus: TOKEN } }));
    ws.send(JSON.stringify({ t: 'hello', token: TOKEN }));
    c.send({ t: 'signal', gen: 0, data: { type: 'offer', sdp: SDP } });
    ws.terminate();
    await expect.poll(() => server.conns.length).toBe(2);
    await expect.poll(() => c.current()).toBe('connected');
    await c.bye();
    expect(lines.length).toBeGreaterThan(2);
    const all = lines.join('\n');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('secret-sdp');
  });
});
