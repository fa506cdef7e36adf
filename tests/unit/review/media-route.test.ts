/**
 * The recordings' media route on the real headless host server (buildHost, listening on loopback, plain HTTP
 * requests as a <video> sends them): 206 ranges that are exactly readPlayable's bytes, 403 without a good token,
 * 404 for an unknown recording, 410 once purged, 421 for a foreign Host. And the same answers through Electron's
 * app:// handler.
 */
import { request as httpRequest } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseStore } from '../../../src/main/caselog/store';
import { createAppProtocolHandler } from '../../../src/main/app/app-protocol';
import { buildHost } from '../../../src/main/host/host-server';
import { silentLogger } from '../../../src/main/log/logger';
import { MediaTokens } from '../../../src/main/review/media-token';
import { RecordingMedia } from '../../../src/main/review/recording-media';
import { EventBus } from '../../../src/main/rpc/event-bus';
import type { Workstation } from '../../../src/main/workstation';
import { mediaSkipReason, mediaTitle, openCase, openStore, tempDir, webmFromTestVideo, writeRecording } from './helpers';

const UNKNOWN = '33333333-3333-4333-8333-333333333333';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

let dir: string;
let cleanup: () => void;
let store: CaseStore;
let skew = 0;
let now = Date.now();
let tokens: MediaTokens;
let media: RecordingMedia;
let host: Awaited<ReturnType<typeof buildHost>>;
let port: number;
let recordingId: string;
let purgedId: string;
let whole: Buffer;

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

const url = (id: string, token?: string) => `/media/recordings/${id}${token === undefined ? '' : `?t=${encodeURIComponent(token)}`}`;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('vd-media-route-'));
  store = openStore(dir, () => Date.now() + skew);
  tokens = new MediaTokens({ now: () => now });
  if (!mediaSkipReason) {
    const webm = webmFromTestVideo('live_head_motion.mp4', 4);
    const caseId = openCase(store);
    const written = await writeRecording(store, caseId, webm);
    recordingId = written.recordingId;
    whole = await written.service.readPlayable(recordingId);
    purgedId = (await writeRecording(store, caseId, webm, { track: 'agent', service: written.service })).recordingId;
    media = new RecordingMedia({ recordings: written.service, tokens, log: silentLogger });
  }
  const rendererDir = join(dir, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<p>app</p>');
  const workstation: Workstation = { bus: new EventBus(), dispatch: async () => ({ ok: true, value: null }), acceptFrame: () => false, media, close: async () => {} };
  host = await buildHost({ workstation, rendererDir, log: silentLogger, secret: 'unit-test-secret-0123456789' });
  await host.listen({ port: 0, host: '127.0.0.1' });
  const address = host.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});

afterAll(async () => {
  await host?.close();
  store?.close();
  cleanup?.();
});

describe.skipIf(mediaSkipReason)(mediaTitle('GET /media/recordings/<id> on the headless host'), () => {
  it('answers a Range with 206, Content-Range and the very bytes readPlayable gives; no Range gives all of it', async () => {
    const { token } = tokens.mint(recordingId, 60_000);
    const first = await get(url(recordingId, token), { range: 'bytes=0-' });
    expect(first.status).toBe(206);
    expect(first.headers['accept-ranges']).toBe('bytes');
    expect(first.headers['content-range']).toBe(`bytes 0-${whole.length - 1}/${whole.length}`);
    expect(first.headers['content-type']).toMatch(/^video\/webm/);
    // a decrypted recording must not land in the browser's disk cache
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.body.equals(whole)).toBe(true);

    const middle = await get(url(recordingId, token), { range: 'bytes=1000-54321' });
    expect(middle.status).toBe(206);
    expect(middle.headers['content-range']).toBe(`bytes 1000-54321/${whole.length}`);
    expect(Number(middle.headers['content-length'])).toBe(53322);
    expect(middle.body.equals(whole.subarray(1000, 54322))).toBe(true);

    const tail = await get(url(recordingId, token), { range: 'bytes=-500' });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(whole.subarray(whole.length - 500))).toBe(true);

    const all = await get(url(recordingId, token));
    expect(all.status).toBe(200);
    expect(all.body.equals(whole)).toBe(true);

    const head = await get(url(recordingId, token), {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(whole.length);
    expect(head.body.length).toBe(0);

    const past = await get(url(recordingId, token), { range: `bytes=${whole.length}-` });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${whole.length}`);
  });

  it('403 without a token, with a forged or expired one, or with one for another recording', async () => {
    expect((await get(url(recordingId))).status).toBe(403);
    expect((await get(url(recordingId, 'abc.def'))).status).toBe(403);
    const { token } = tokens.mint(recordingId, 1000);
    const [stamp, mac] = token.split('.') as [string, string];
    // one character changed in the middle (real MAC bits), and the last one (spare bits: another spelling of the same bytes)
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    expect((await get(url(recordingId, `${stamp}.${mac.slice(0, 10)}${flip(mac[10]!)}${mac.slice(11)}`))).status).toBe(403);
    expect((await get(url(recordingId, `${stamp}.${mac.slice(0, -1)}${flip(mac.at(-1)!)}`))).status).toBe(403);
    expect((await get(url(recordingId, tokens.mint(purgedId, 60_000).token), { range: 'bytes=0-' })).status).toBe(403);
    now += 1000;
    try {
      const expired = await get(url(recordingId, token), { range: 'bytes=0-' });
      expect(expired.status).toBe(403);
      expect(expired.body.length).toBe(0);
    } finally {
      now -= 1000;
    }
  });

  it('404 for an unknown recording (even with a token for that id), 421 for a foreign Host', async () => {
    expect((await get(url(UNKNOWN, tokens.mint(UNKNOWN, 60_000).token))).status).toBe(404);
    expect((await get(`/media/recordings/..%2f..%2fcases.db?t=x`)).status).toBe(404);
    const foreign = await get(url(recordingId, tokens.mint(recordingId, 60_000).token), { host: `evil.example:${port}` });
    expect(foreign.status).toBe(421);
  });

  it('410 once retention purged the recording', async () => {
    const token = tokens.mint(purgedId, 60_000).token;
    expect((await get(url(purgedId, token), { range: 'bytes=0-99' })).status).toBe(206);
    skew = 60_000;
    try {
      const report = store.purgeBiometrics(0);
      expect(report.recordingsPurged).toBeGreaterThanOrEqual(1);
    } finally {
      skew = 0;
    }
    expect((await get(url(purgedId, token), { range: 'bytes=0-99' })).status).toBe(410);
  });
});

describe.skipIf(mediaSkipReason)(mediaTitle("app://veridesk/media/recordings/<id> (Electron's protocol handler)"), () => {
  it('serves the same ranges, refuses the same way, and still refuses traversal under /media', async () => {
    // a recording not purged by the test above: write one for this check
    const written = await writeRecording(store, openCase(store), webmFromTestVideo('live_blink_talk.mp4', 2));
    const served = new RecordingMedia({ recordings: written.service, tokens, log: silentLogger });
    const expected = await written.service.readPlayable(written.recordingId);
    const handler = createAppProtocolHandler({ root: join(dir, 'renderer'), media: served });
    const { token } = tokens.mint(written.recordingId, 60_000);
    const base = `app://veridesk/media/recordings/${written.recordingId}`;

    const ranged = await handler(new Request(`${base}?t=${token}`, { headers: { range: 'bytes=10-2009' } }));
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 10-2009/${expected.length}`);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(expected.subarray(10, 2010))).toBe(true);

    const all = await handler(new Request(`${base}?t=${token}`));
    expect(all.status).toBe(200);
    expect(Buffer.from(await all.arrayBuffer()).equals(expected)).toBe(true);

    expect((await handler(new Request(base))).status).toBe(403);
    expect((await handler(new Request(`app://veridesk/media/recordings/${UNKNOWN}?t=${tokens.mint(UNKNOWN, 60_000).token}`))).status).toBe(404);
    for (const bad of ['app://veridesk/media/..%2f..%2fcases.db', 'app://veridesk/media/recordings/..%2f..%2f..%2fetc%2fpasswd', 'app://veridesk/media/recordings/%2e%2e%2f%2e%2e%2fsecret']) {
      expect((await handler(new Request(bad))).status, bad).toBe(403);
    }
    // anything else under /media is just a file that is not there
    expect((await handler(new Request('app://veridesk/media/recordings/not-a-uuid'))).status).toBe(404);
    expect((await handler(new Request(`${base}?t=${token}`, { method: 'POST' }))).status).toBe(405);
  });
});
