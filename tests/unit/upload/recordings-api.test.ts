/**
 * The backend's recording upload API end to end (server/recordings, src/main/upload): the same suite on the
 * filesystem store and on an S3-protocol server (s3rver on loopback).
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type ServerDb } from '../../../server/db/database';
import { startPostgres } from '../../../server/testing/pg-harness';
import { findRecording } from '../../../server/recordings/repo';
import { Uploader } from '../../../src/main/upload/uploader';
import { makeLiveWebm, mediaSkipReason, splitChunks } from '../recording/helpers';
import { auth, fsStorage, newWorkstation, randomChunks, record, startBackend, storageFixtures, syncUp, type Backend, type StorageFixture, type Workstation } from './helpers';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const API = '/api/v1/recordings';

const pgStart = await startPostgres();
afterAll(async () => {
  if (pgStart.ok) await pgStart.cluster.stop();
});

// Both storages on PGlite, and the filesystem on a real PostgreSQL too (the SQL is the same on both).
const combinations: { storage: (typeof storageFixtures)[number]; db: string; skip: string | null; open?: () => Promise<ServerDb> }[] = [
  ...storageFixtures.map((storage) => ({ storage, db: 'PGlite', skip: null })),
  {
    storage: { name: 'filesystem' as const, make: async () => fsStorage() },
    db: 'PostgreSQL',
    skip: pgStart.ok ? null : pgStart.reason,
    open: () => openPostgres(pgStart.ok ? pgStart.cluster.url : ''),
  },
];

for (const { storage: fixture, db: dbName, skip, open } of combinations) {
  describe.skipIf(skip !== null)(`recording uploads on ${fixture.name} storage, ${dbName}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let storage: StorageFixture;
    let backend: Backend;
    const made: Workstation[] = [];
    /** A workstation of its own per test: an uploader's counts are then this test's alone. */
    const fresh = async () => {
      const ws = await newWorkstation(backend.db);
      made.push(ws);
      return ws;
    };

    beforeAll(async () => {
      storage = await fixture.make();
      backend = await startBackend(storage.config, {}, open);
    });
    afterAll(async () => {
      for (const ws of made) ws.close();
      await backend?.close();
      await storage?.stop();
    });

    const uploader = (ws: Workstation, extra: Partial<ConstructorParameters<typeof Uploader>[0]> = {}) =>
      new Uploader({ source: ws.source, serverUrl: backend.url, token: ws.token, maxRequestsPerSecond: 0, ...extra });
    const download = (id: string, headers: Record<string, string> = {}, token = backend.lead, query = '') => fetch(`${backend.url}${API}/${id}${query}`, { headers: { ...auth(token), ...headers } });
    const inject = (method: 'GET' | 'POST' | 'PUT', url: string, token: string, body?: Buffer | object, headers: Record<string, string> = {}) =>
      backend.app.inject({
        method,
        url: `${API}${url}`,
        headers: { ...auth(token), ...(body === undefined ? {} : { 'content-type': Buffer.isBuffer(body) ? 'application/octet-stream' : 'application/json' }), ...headers },
        ...(body === undefined ? {} : { payload: Buffer.isBuffer(body) ? body : JSON.stringify(body) }),
      });
    const objectsOf = (id: string) => backend.storage.list(`${id}/`);

    it.skipIf(mediaSkipReason !== null)('a seekable WebM: the lead downloads exactly readPlayable’s bytes, ranges included', async () => {
      const a = await fresh();
      const media = makeLiveWebm(3);
      const { recordingId, caseId } = record(a, splitChunks(media, 3));
      expect(a.recordings.find(recordingId)?.seekable).toBe(true);
      await syncUp(a, backend.url);
      const run = await uploader(a).uploadOnce();
      expect(run).toMatchObject({ completed: 1, chunksHeld: 0, setAside: 0, pending: 0 });
      const playable = await a.recordings.readPlayable(recordingId);

      const whole = await download(recordingId);
      expect(whole.status).toBe(200);
      expect(whole.headers.get('content-type')).toBe('video/webm;codecs=vp8,opus');
      expect(whole.headers.get('accept-ranges')).toBe('bytes');
      expect(whole.headers.get('cache-control')).toBe('no-store');
      const body = Buffer.from(await whole.arrayBuffer());
      expect(body.length).toBe(playable.length);
      expect(sha(body)).toBe(sha(playable));
      // the seek header came along: the download is not the raw chunk stream
      expect(sha(body)).not.toBe(sha(media.webm));

      for (const [range, from, to] of [
        ['bytes=0-99', 0, 99],
        ['bytes=1000-', 1000, playable.length - 1],
        ['bytes=-777', playable.length - 777, playable.length - 1],
        [`bytes=${playable.length - 10}-${playable.length + 500}`, playable.length - 10, playable.length - 1],
      ] as const) {
        const r = await download(recordingId, { range });
        expect(r.status, range).toBe(206);
        expect(r.headers.get('content-range')).toBe(`bytes ${from}-${to}/${playable.length}`);
        expect(Buffer.from(await r.arrayBuffer()).equals(playable.subarray(from, to + 1)), range).toBe(true);
      }
      const past = await download(recordingId, { range: `bytes=${playable.length}-` });
      expect(past.status).toBe(416);
      expect(past.headers.get('content-range')).toBe(`bytes */${playable.length}`);

      const head = await fetch(`${backend.url}${API}/${recordingId}`, { method: 'HEAD', headers: auth(backend.lead) });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(playable.length));
      // the stream as recorded: its sha256 is the one in the case log (recording.stopped), checkable offline
      const original = await download(recordingId, {}, backend.lead, '?form=original');
      const originalBody = Buffer.from(await original.arrayBuffer());
      expect(originalBody.equals(media.webm)).toBe(true);
      expect(original.headers.get('x-recording-sha256')).toBe(sha(media.webm));
      expect(a.source.sealed().find((c) => c.recordingId === recordingId)!.sha256).toBe(sha(media.webm));

      const listed = await inject('GET', `?caseId=${caseId}`, backend.lead);
      expect(listed.json().recordings).toEqual([expect.objectContaining({ recordingId, caseId, state: 'complete', seekable: true, track: 'customer' })]);
    });

    it('random chunks: bytes exact, one stored object per chunk, each row once; nothing clear at rest', async () => {
      const a = await fresh();
      const chunks = randomChunks([40_000, 1, 65_536, 0, 120_000, 7]);
      const { recordingId } = record(a, chunks);
      await syncUp(a, backend.url);
      const statuses: string[] = [];
      const run = await uploader(a, { onStatus: (s) => statuses.push(s.state) }).uploadOnce();
      expect(run).toMatchObject({ completed: 1, chunksSent: chunks.length, chunksHeld: 0 });
      const body = Buffer.from(await (await download(recordingId)).arrayBuffer());
      expect(body.equals(Buffer.concat(chunks))).toBe(true);
      expect(body.equals(await a.recordings.readPlayable(recordingId))).toBe(true);
      const objects = await objectsOf(recordingId);
      expect(objects).toHaveLength(chunks.length);
      const rows = await backend.db.query<{ n: number }>('SELECT count(*)::int AS n FROM recording_chunks WHERE recording_id = $1', [recordingId]);
      expect(rows.rows[0]!.n).toBe(chunks.length);
      // sealed at rest: no 32-byte run of a chunk is in its object
      for (const key of objects) {
        const stored = (await backend.storage.get(key))!;
        for (const c of chunks) if (c.length >= 32) expect(stored.indexOf(c.subarray(0, 32))).toBe(-1);
      }
      // the uploader notes it done and does not ask again
      expect(a.source.isDone(new URL(backend.url).origin, recordingId)).toBe(true);
      expect((await uploader(a).uploadOnce()).completed).toBe(0);
      // a workstation token never downloads
      expect((await download(recordingId, {}, a.token)).status).toBe(403);
    });

    it('a chunk whose bytes do not match its digest is refused and stores nothing; a re-sent chunk is a no-op, other bytes 409', async () => {
      const a = await fresh();
      const chunks = randomChunks([10_000, 20_000, 30_000]);
      const { recordingId, caseId } = record(a, chunks);
      await syncUp(a, backend.url);
      expect((await inject('POST', `/${recordingId}/upload`, a.token, { caseId })).statusCode).toBe(201);
      expect((await inject('POST', `/${recordingId}/upload`, a.token, { caseId })).statusCode).toBe(200);

      const tampered = Buffer.from(chunks[0]!);
      tampered[5]! ^= 0xff;
      const refused = await inject('PUT', `/${recordingId}/chunks/0`, a.token, tampered, { 'x-chunk-sha256': sha(chunks[0]!) });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error.code).toBe('DIGEST_MISMATCH');
      expect(await objectsOf(recordingId)).toEqual([]);
      expect((await inject('GET', `/${recordingId}/status`, a.token)).json()).toMatchObject({ state: 'uploading', held: [], chunks: 3 });

      const put0 = () => inject('PUT', `/${recordingId}/chunks/0`, a.token, chunks[0]!, { 'x-chunk-sha256': sha(chunks[0]!) });
      expect((await put0()).statusCode).toBe(201);
      const again = await put0();
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual({ seq: 0, stored: false });
      const other = randomBytes(10_000);
      const conflict = await inject('PUT', `/${recordingId}/chunks/0`, a.token, other, { 'x-chunk-sha256': sha(other) });
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json().error.code).toBe('CHUNK_CONFLICT');
      expect(await objectsOf(recordingId)).toHaveLength(1);
      // seqs the case log does not have, a missing digest, too large a body
      expect((await inject('PUT', `/${recordingId}/chunks/3`, a.token, chunks[0]!, { 'x-chunk-sha256': sha(chunks[0]!) })).json().error.code).toBe('INVALID_PAYLOAD');
      expect((await inject('PUT', `/${recordingId}/chunks/1`, a.token, chunks[1]!)).json().error.code).toBe('INVALID_PAYLOAD');
      const huge = randomBytes(640 * 1024 + 1);
      expect((await inject('PUT', `/${recordingId}/chunks/1`, a.token, huge, { 'x-chunk-sha256': sha(huge) })).statusCode).toBe(413);
      // the uploader resumes from what is held
      const run = await uploader(a).uploadOnce();
      expect(run).toMatchObject({ completed: 1, chunksSent: 2, chunksHeld: 1 });
      expect(Buffer.from(await (await download(recordingId)).arrayBuffer()).equals(Buffer.concat(chunks))).toBe(true);
    });

    it('complete is refused when its digests are not the case log’s, or chunks are missing', async () => {
      const a = await fresh();
      const chunks = randomChunks([5_000, 6_000]);
      const { recordingId, caseId } = record(a, chunks);
      await syncUp(a, backend.url);
      const { sha256, chunkListSha256 } = a.source.sealed().find((c) => c.recordingId === recordingId)!;
      const info = { sha256, chunkListSha256 };
      await inject('POST', `/${recordingId}/upload`, a.token, { caseId });
      const complete = (digests: { sha256: string; chunkListSha256: string }) => inject('POST', `/${recordingId}/complete`, a.token, digests);
      const missing = await complete(info);
      expect(missing.statusCode).toBe(409);
      expect(missing.json().error).toMatchObject({ code: 'INCOMPLETE', missing: [0, 1] });
      for (const [seq, c] of chunks.entries()) expect((await inject('PUT', `/${recordingId}/chunks/${seq}`, a.token, c, { 'x-chunk-sha256': sha(c) })).statusCode).toBe(201);
      const wrongWhole = await complete({ ...info, sha256: sha(Buffer.from('not this recording')) });
      expect(wrongWhole.statusCode).toBe(409);
      expect(wrongWhole.json().error.code).toBe('DIGEST_MISMATCH');
      const wrongList = await complete({ ...info, chunkListSha256: sha(Buffer.from('nor this list')) });
      expect(wrongList.json().error.code).toBe('DIGEST_MISMATCH');
      expect((await findRecording(backend.db, recordingId))!.state).toBe('uploading');
      expect((await download(recordingId)).status).toBe(409);
      const ok = await complete(info);
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ state: 'complete', held: [0, 1] });
      // idempotent
      expect((await complete(info)).statusCode).toBe(200);
    });

    it('a workstation cannot upload into another workstation’s case, and no workstation downloads', async () => {
      const a = await fresh();
      const b = await fresh();
      const chunks = randomChunks([3_000, 4_000]);
      const { recordingId, caseId } = record(a, chunks);
      await syncUp(a, backend.url);
      const { sha256, chunkListSha256 } = a.source.sealed().find((c) => c.recordingId === recordingId)!;
      const info = { sha256, chunkListSha256 };
      const intruder = await inject('POST', `/${recordingId}/upload`, b.token, { caseId });
      expect(intruder.statusCode).toBe(403);
      expect(intruder.json().error.code).toBe('CASE_OWNED_ELSEWHERE');
      expect(await findRecording(backend.db, recordingId)).toBeNull();
      expect((await inject('POST', `/${recordingId}/upload`, a.token, { caseId })).statusCode).toBe(201);
      // begun by its owner: still nothing for the other workstation
      expect((await inject('POST', `/${recordingId}/upload`, b.token, { caseId })).statusCode).toBe(403);
      expect((await inject('PUT', `/${recordingId}/chunks/0`, b.token, chunks[0]!, { 'x-chunk-sha256': sha(chunks[0]!) })).statusCode).toBe(403);
      expect((await inject('GET', `/${recordingId}/status`, b.token)).statusCode).toBe(403);
      expect((await inject('POST', `/${recordingId}/complete`, b.token, info)).statusCode).toBe(403);
      expect(await objectsOf(recordingId)).toEqual([]);
      // a lead token does not upload; no token is 401
      expect((await inject('PUT', `/${recordingId}/chunks/0`, backend.lead, chunks[0]!, { 'x-chunk-sha256': sha(chunks[0]!) })).statusCode).toBe(403);
      expect((await backend.app.inject({ method: 'GET', url: `${API}/${recordingId}` })).statusCode).toBe(401);

      // b's uploader, pointed at a's recording through its own store, is refused too: its cases are its own
      const mine = record(b, chunks);
      await syncUp(b, backend.url);
      await uploader(a).uploadOnce();
      expect((await download(recordingId, {}, a.token)).status).toBe(403);
      expect((await download(recordingId, {}, b.token)).status).toBe(403);
      expect((await download(recordingId)).status).toBe(200);
      expect((await uploader(b).uploadOnce()).completed).toBe(1);
      expect((await inject('GET', `/${mine.recordingId}/status`, a.token)).statusCode).toBe(403);
    });

    it('a chunk storage lost or damaged before complete is found by the read-back and sent again', async () => {
      const a = await fresh();
      const chunks = randomChunks([8_000, 9_000, 10_000]);
      const { recordingId, caseId } = record(a, chunks);
      await syncUp(a, backend.url);
      await inject('POST', `/${recordingId}/upload`, a.token, { caseId });
      for (const [seq, c] of chunks.entries()) await inject('PUT', `/${recordingId}/chunks/${seq}`, a.token, c, { 'x-chunk-sha256': sha(c) });
      const [first, second] = await objectsOf(recordingId);
      await backend.storage.delete([first!]);
      const sealed = (await backend.storage.get(second!))!;
      sealed[sealed.length - 20]! ^= 1;
      await backend.storage.put(second!, sealed);
      const run = await uploader(a).uploadOnce();
      expect(run).toMatchObject({ completed: 1, chunksSent: 2 });
      expect(Buffer.from(await (await download(recordingId)).arrayBuffer()).equals(Buffer.concat(chunks))).toBe(true);
      expect(await objectsOf(recordingId)).toHaveLength(3);
      // damage after completion: the download is cut short at that chunk, never served wrong
      const [, , last] = await objectsOf(recordingId);
      const blob = (await backend.storage.get(last!))!;
      blob[40]! ^= 1;
      await backend.storage.put(last!, blob);
      const cut = await download(recordingId);
      expect(cut.status).toBe(200);
      await expect(cut.arrayBuffer()).rejects.toThrow();
      const head = await download(recordingId, { range: 'bytes=0-16999' });
      expect(Buffer.from(await head.arrayBuffer()).equals(Buffer.concat(chunks).subarray(0, 17_000))).toBe(true);
    });

    it('a recording whose case is not synced waits (NOT_SYNCED), then goes up once sync has pushed it', async () => {
      const b = await fresh();
      const chunks = randomChunks([2_000]);
      const { recordingId } = record(b, chunks);
      const up = uploader(b);
      const before = await up.uploadOnce();
      expect(before).toMatchObject({ completed: 0, deferred: 1, setAside: 0, pending: 1 });
      expect(await findRecording(backend.db, recordingId)).toBeNull();
      await syncUp(b, backend.url);
      up.retry();
      expect(await up.uploadOnce()).toMatchObject({ completed: 1, pending: 0 });
    });
  });
}
