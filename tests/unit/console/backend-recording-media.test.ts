/**
 * The console's backend recordings end to end: a real backend (buildServer on PGlite, filesystem storage) holding
 * a recording a workstation uploaded, console.recordings listing it with a media URL, and the real headless host's
 * /media/backend-recordings/<id> proxying GET /api/v1/recordings/:id with the lead token — ranges byte for byte
 * the server's, tokens of the wrong kind or forged refused, a workstation token refused by the backend itself.
 */
import { request as httpRequest } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_BACKEND_RECORDINGS_PATH } from '../../../src/shared/review';
import { backendOrigin } from '../../../src/shared/settings';
import { createAppProtocolHandler } from '../../../src/main/app/app-protocol';
import { BACKEND_MEDIA_LABEL, BackendRecordingMedia } from '../../../src/main/console/backend-recording-media';
import { ConsoleService } from '../../../src/main/console/console-service';
import { buildHost } from '../../../src/main/host/host-server';
import { silentLogger } from '../../../src/main/log/logger';
import { mediaUrlFor } from '../../../src/main/review/case-review';
import { MediaTokens } from '../../../src/main/review/media-token';
import type { RecordingMedia } from '../../../src/main/review/recording-media';
import { EventBus } from '../../../src/main/rpc/event-bus';
import { Uploader } from '../../../src/main/upload/uploader';
import type { Workstation as Ws } from '../../../src/main/workstation';
import { auth, fsStorage, newWorkstation, randomChunks, record, startBackend, syncUp, tempDir, type Backend, type StorageFixture, type Workstation } from '../upload/helpers';

const UNKNOWN = '33333333-3333-4333-8333-333333333333';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

let storage: StorageFixture;
let backend: Backend;
let ws: Workstation;
let dir: { dir: string; cleanup: () => void };
let host: Awaited<ReturnType<typeof buildHost>>;
let port: number;
let current: string | undefined;
let recordingId: string;
let caseId: string;
let qa: ConsoleService;
const base = new MediaTokens();
const tokens = base.withLabel(BACKEND_MEDIA_LABEL);

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const url = (id: string, token?: string) => `${MEDIA_BACKEND_RECORDINGS_PATH}${id}${token === undefined ? '' : `?t=${encodeURIComponent(token)}`}`;
const fromServer = async (id: string, headers: Record<string, string> = {}) => {
  const r = await fetch(`${backend.url}/api/v1/recordings/${id}`, { headers: { ...auth(backend.lead), ...headers } });
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
};

beforeAll(async () => {
  storage = fsStorage();
  backend = await startBackend(storage.config);
  ws = await newWorkstation(backend.db);
  ({ recordingId, caseId } = record(ws, randomChunks([40_000, 70_000, 25_000])));
  await syncUp(ws, backend.url);
  const run = await new Uploader({ source: ws.source, serverUrl: backend.url, token: ws.token, maxRequestsPerSecond: 0 }).uploadOnce();
  expect(run).toMatchObject({ completed: 1 });
  current = backend.lead;
  const tokenFor = (origin: string) => (origin === backendOrigin(backend.url) ? current : undefined);
  const backendMedia = new BackendRecordingMedia({ backendUrl: () => backend.url, tokenFor, tokens, log: silentLogger });
  dir = tempDir('vd-backend-media-');
  const rendererDir = join(dir.dir, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<p>app</p>');
  const workstation: Ws = { bus: new EventBus(), dispatch: async () => ({ ok: true, value: null }), acceptFrame: () => false, media: {} as RecordingMedia, backendMedia, close: async () => {} };
  host = await buildHost({ workstation, rendererDir, log: silentLogger, secret: 'unit-test-secret-0123456789' });
  await host.listen({ port: 0, host: '127.0.0.1' });
  const address = host.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  qa = new ConsoleService({
    store: ws.store,
    dataDir: dir.dir,
    backendUrl: () => backend.url,
    tokenFor,
    backendMedia: { tokens, mediaUrl: mediaUrlFor('host', '', MEDIA_BACKEND_RECORDINGS_PATH) },
  });
});

afterAll(async () => {
  qa?.close();
  await host?.close();
  ws?.close();
  await backend?.close();
  await storage?.stop();
  dir?.cleanup();
});

describe('the console’s backend recordings through the host’s /media/backend-recordings route', () => {
  it('console.recordings lists the case’s upload with a media URL that plays', async () => {
    const list = await qa.recordings({ source: 'backend', caseId });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ recordingId, track: 'customer', state: 'stopped', bytes: 135_000 });
    const mediaUrl = list[0]!.mediaUrl!;
    expect(mediaUrl.startsWith(`${MEDIA_BACKEND_RECORDINGS_PATH}${recordingId}?t=`)).toBe(true);
    const all = await get(mediaUrl);
    const server = await fromServer(recordingId);
    expect(all.status).toBe(200);
    expect(server.status).toBe(200);
    expect(all.body.equals(server.body)).toBe(true);
    expect(all.body.length).toBe(135_000);
    await expect(qa.recordings({ source: 'local', caseId })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('passes a Range on: 206 with the server’s Content-Range and its very bytes; 416 past the end; HEAD', async () => {
    const { token } = tokens.mint(recordingId, 60_000);
    const range = await get(url(recordingId, token), { range: 'bytes=1000-54321' });
    const server = await fromServer(recordingId, { range: 'bytes=1000-54321' });
    expect(server.status).toBe(206);
    expect(range.status).toBe(206);
    expect(range.headers['content-range']).toBe(server.headers.get('content-range'));
    expect(range.headers['content-range']).toBe('bytes 1000-54321/135000');
    expect(range.headers['content-length']).toBe('53322');
    expect(range.headers['content-type']).toMatch(/^video\/webm/);
    expect(range.headers['cache-control']).toBe('no-store');
    expect(range.body.equals(server.body)).toBe(true);

    const past = await get(url(recordingId, token), { range: 'bytes=135000-' });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe('bytes */135000');

    const head = await get(url(recordingId, token), {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('135000');
    expect(head.body.length).toBe(0);
  });

  it('refuses a forged token, one for another recording, and a case-page (local) token: 403', async () => {
    const { token } = tokens.mint(recordingId, 60_000);
    const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'AB' : 'AA'}`;
    expect((await get(url(recordingId, forged))).status).toBe(403);
    expect((await get(url(recordingId))).status).toBe(403);
    expect((await get(url(recordingId, tokens.mint(UNKNOWN, 60_000).token))).status).toBe(403);
    // the same key, the local label: the two routes' tokens do not stand in for each other
    const local = base.mint(recordingId, 60_000).token;
    expect(base.check(recordingId, local)).toBe('ok');
    expect(tokens.check(recordingId, local)).toBe('invalid');
    expect((await get(url(recordingId, local))).status).toBe(403);
  });

  it('maps the backend’s 404, and a workstation token refused by the backend becomes 403', async () => {
    expect((await get(url(UNKNOWN, tokens.mint(UNKNOWN, 60_000).token))).status).toBe(404);
    const { token } = tokens.mint(recordingId, 60_000);
    current = ws.token;
    try {
      const direct = await fetch(`${backend.url}/api/v1/recordings/${recordingId}`, { headers: auth(ws.token) });
      expect(direct.status).toBe(403);
      const refused = await get(url(recordingId, token), { range: 'bytes=0-99' });
      expect(refused.status).toBe(403);
      expect(refused.body.length).toBe(0);
      // and the console method itself asks for a lead
      await expect(qa.recordings({ source: 'backend', caseId })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    } finally {
      current = backend.lead;
    }
  });
});

describe('BackendRecordingMedia status mapping', () => {
  const answer = (status: number, headers: Record<string, string> = {}) => {
    const seen: RequestInit[] = [];
    const media = new BackendRecordingMedia({
      backendUrl: () => 'http://backend.test',
      tokenFor: () => 'lead-token',
      tokens,
      log: silentLogger,
      fetchImpl: (async (_url: URL, init: RequestInit) => {
        seen.push(init);
        return new Response(status === 302 ? null : '{"error":{"code":"X","message":"x"}}', { status, headers });
      }) as unknown as typeof fetch,
    });
    return { media, seen };
  };
  const ask = (media: BackendRecordingMedia) => media.serve({ method: 'GET', recordingId, token: tokens.mint(recordingId, 60_000).token, range: 'bytes=0-9' });

  it.each([
    [404, 404],
    [409, 409],
    [410, 410],
    [401, 403],
    [403, 403],
    [302, 502],
    [500, 502],
  ])('backend %i → %i, no-store, no body', async (from, to) => {
    const { media, seen } = answer(from, from === 302 ? { location: 'http://elsewhere.test/' } : {});
    const reply = await ask(media);
    expect(reply.status).toBe(to);
    expect(reply.body).toBeNull();
    expect(reply.headers['Cache-Control']).toBe('no-store');
    // the lead token, the Range passed on, and never a followed redirect
    expect(seen[0]).toMatchObject({ redirect: 'manual', headers: { authorization: 'Bearer lead-token', range: 'bytes=0-9' } });
  });

  it('no token for the current backend: 503 without asking it', async () => {
    const media = new BackendRecordingMedia({ backendUrl: () => 'http://backend.test', tokenFor: () => undefined, tokens, log: silentLogger, fetchImpl: (() => Promise.reject(new Error('asked'))) as unknown as typeof fetch });
    expect((await ask(media)).status).toBe(503);
  });
});

describe('app://veridesk/media/backend-recordings/<id> (Electron)', () => {
  it('goes to the backend media route with the Range, and the local route never sees it', async () => {
    const asked: { recordingId: string; token: string | null; range: string | null }[] = [];
    const serve = async (r: { recordingId: string; token: string | null; range: string | null }) => {
      asked.push(r);
      return { status: 206, headers: { 'Content-Range': 'bytes 0-1/2', 'Cache-Control': 'no-store' }, body: null };
    };
    const handler = createAppProtocolHandler({
      root: dir.dir,
      media: { serve: async () => ({ status: 599, headers: {}, body: null }) },
      backendMedia: { serve },
    });
    const res = await handler(new Request(`app://veridesk${MEDIA_BACKEND_RECORDINGS_PATH}${recordingId}?t=abc`, { headers: { range: 'bytes=0-1' } }));
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 0-1/2');
    expect(asked).toEqual([expect.objectContaining({ recordingId, token: 'abc', range: 'bytes=0-1' })]);
    expect((await handler(new Request(`app://veridesk${MEDIA_BACKEND_RECORDINGS_PATH}not-an-id`))).status).toBe(404);
  });
});
