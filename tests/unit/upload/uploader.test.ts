/**
 * The uploader's loop (src/main/upload/uploader.ts): the sync client's rules for what is retried, what blocks,
 * where the token may go, and the status the UI shows.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UploadStatus } from '../../../src/shared/cases';
import { RecordingUploads } from '../../../src/main/upload/recording-uploads';
import { Uploader } from '../../../src/main/upload/uploader';
import { silentLogger } from '../../../src/main/log/logger';
import { fsStorage, newWorkstation, randomChunks, record, startBackend, syncUp, type Backend, type StorageFixture, type Workstation } from './helpers';

let storage: StorageFixture;
let backend: Backend;
const made: Workstation[] = [];
const fresh = async () => {
  const ws = await newWorkstation(backend.db);
  made.push(ws);
  return ws;
};

beforeAll(async () => {
  storage = fsStorage();
  backend = await startBackend(storage.config);
});
afterAll(async () => {
  for (const ws of made) ws.close();
  await backend?.close();
  await storage?.stop();
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('uploader', () => {
  it('refuses a plain-http backend that is not on loopback, and needs a token', async () => {
    const ws = await fresh();
    expect(() => new Uploader({ source: ws.source, serverUrl: 'http://backend.example', token: 't' })).toThrow(/https/i);
    expect(() => new Uploader({ source: ws.source, serverUrl: 'https://backend.example' })).toThrow(/token/);
  });

  it('a refused token blocks (no retry until a person acts); an unreachable backend backs off with jitter', async () => {
    const ws = await fresh();
    record(ws, randomChunks([1000]));
    await syncUp(ws, backend.url);
    const bad = new Uploader({ source: ws.source, serverUrl: backend.url, token: 'vd_not-a-valid-token-0000', maxRequestsPerSecond: 0 });
    expect(await bad.attempt()).toBeNull();
    expect(bad.status()).toMatchObject({ state: 'blocked', nextAttemptAt: null, lastError: { code: 'UNAUTHENTICATED' }, pending: 1 });

    const down = new Uploader({ source: ws.source, serverUrl: 'http://127.0.0.1:9', token: ws.token, backoff: { baseMs: 100, maxMs: 1000 }, random: () => 1 });
    expect(await down.attempt()).toBeNull();
    const s = down.status();
    expect(s).toMatchObject({ state: 'backoff', lastError: { code: 'UNAVAILABLE' } });
    expect(s.nextAttemptAt! - Date.now()).toBeLessThanOrEqual(100);
    expect(await down.attempt()).toBeNull();
    expect(down.backoffDelay()).toBe(200);
    const jitter = new Uploader({ source: ws.source, serverUrl: 'http://127.0.0.1:9', token: ws.token, backoff: { baseMs: 100, maxMs: 1000 }, random: () => 0 });
    (jitter as unknown as { failures: number }).failures = 4;
    expect(jitter.backoffDelay()).toBe(400);
    (jitter as unknown as { failures: number }).failures = 9;
    expect(jitter.backoffDelay()).toBe(500);
  });

  it('never follows a redirect: the token stays with the configured origin', async () => {
    const ws = await fresh();
    record(ws, randomChunks([1000]));
    const seen: IncomingHttpHeaders[] = [];
    const elsewhere = await listen((req, res) => {
      seen.push(req.headers);
      res.end('{}');
    });
    const redirector = await listen((req, res) => {
      res.writeHead(307, { location: `${elsewhere.url}${req.url}` });
      res.end();
    });
    try {
      const up = new Uploader({ source: ws.source, serverUrl: redirector.url, token: ws.token, maxRequestsPerSecond: 0 });
      await up.attempt();
      expect(up.status()).toMatchObject({ state: 'blocked', lastError: { code: 'REDIRECT_REFUSED' } });
      expect(seen).toEqual([]);
    } finally {
      redirector.server.close();
      elsewhere.server.close();
    }
  });

  it('a 429 is waited out for at least its Retry-After', async () => {
    const ws = await fresh();
    record(ws, randomChunks([1000]));
    const limited = await listen((_req, res) => {
      res.writeHead(429, { 'retry-after': '7', 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'RATE_LIMITED', message: 'slow down' } }));
    });
    try {
      const up = new Uploader({ source: ws.source, serverUrl: limited.url, token: ws.token, backoff: { baseMs: 10, maxMs: 10 } });
      await up.attempt();
      const s = up.status();
      expect(s).toMatchObject({ state: 'backoff', lastError: { code: 'RATE_LIMITED' } });
      expect(s.nextAttemptAt! - Date.now()).toBeGreaterThan(6_000);
    } finally {
      limited.server.close();
    }
  });

  it('reports progress the UI can show, and paces its requests', async () => {
    const ws = await fresh();
    const chunks = randomChunks([5_000, 5_000, 5_000, 5_000, 5_000, 5_000]);
    const { recordingId, caseId } = record(ws, chunks);
    await syncUp(ws, backend.url);
    const statuses: UploadStatus[] = [];
    const started = performance.now();
    const up = new Uploader({ source: ws.source, serverUrl: backend.url, token: ws.token, maxRequestsPerSecond: 20, onStatus: (s) => statuses.push(s) });
    expect(up.status().pending).toBe(1);
    await up.attempt();
    // begin + 6 chunks + complete = 8 requests at 20/s: at least 7 gaps of 50 ms
    expect(performance.now() - started).toBeGreaterThanOrEqual(340);
    const progress = statuses.filter((s) => s.current).map((s) => s.current!);
    expect(progress.at(-1)).toEqual({ recordingId, caseId, chunksDone: 6, chunks: 6, bytesDone: 30_000, bytes: 30_000 });
    expect(statuses.at(-1)).toMatchObject({ state: 'idle', pending: 0, current: null, lastError: null });
  });

  it('the manager follows the backend URL and its token, and stops cleanly', async () => {
    const ws = await fresh();
    record(ws, randomChunks([2_000, 3_000]));
    await syncUp(ws, backend.url);
    const statuses: UploadStatus[] = [];
    const held: { token?: string } = {};
    const uploads = new RecordingUploads({ source: ws.source, tokenFor: () => held.token, log: silentLogger, onStatus: (s) => statuses.push(s), uploader: { intervalMs: 50, maxRequestsPerSecond: 0 } });
    await uploads.connect(backend.url);
    expect(uploads.status()).toMatchObject({ state: 'disabled', server: new URL(backend.url).origin });
    held.token = ws.token;
    await uploads.refresh();
    const deadline = Date.now() + 10_000;
    while (uploads.status().pending !== 0 || uploads.status().state !== 'idle') {
      if (Date.now() > deadline) throw new Error(`not uploaded: ${JSON.stringify(uploads.status())}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(statuses.some((s) => s.state === 'uploading')).toBe(true);
    await uploads.stop();
    expect(uploads.status().state).toBe('disabled');
  });
});
