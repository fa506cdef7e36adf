/**
 * Server-side retention of uploaded recordings (server/recordings/retention.ts): the periodic sweep, on an
 * injected clock, crypto-shreds and deletes recordings older than the retention period, on both storages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRecording } from '../../../server/recordings/repo';
import { sweepRecordings } from '../../../server/recordings/retention';
import type { RecordingStorage } from '../../../server/recordings/storage';
import { Uploader } from '../../../src/main/upload/uploader';
import { auth, newWorkstation, randomChunks, record, startBackend, storageFixtures, syncUp, type Backend, type StorageFixture, type Workstation } from './helpers';

const DAY = 86_400_000;

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

for (const fixture of storageFixtures) {
  describe(`recording retention on ${fixture.name} storage`, () => {
    let storage: StorageFixture;
    let backend: Backend;
    let ws: Workstation;
    let clock = Date.now();
    const now = () => clock;

    beforeAll(async () => {
      storage = await fixture.make();
      backend = await startBackend(storage.config, { now, recordings: { retentionDays: 30, sweepIntervalMs: 40 } });
      ws = await newWorkstation(backend.db, now);
    });
    afterAll(async () => {
      ws?.close();
      await backend?.close();
      await storage?.stop();
    });

    const upload = async () => {
      const chunks = randomChunks([3_000, 4_000, 5_000]);
      const r = record(ws, chunks);
      await syncUp(ws, backend.url);
      expect((await new Uploader({ source: ws.source, serverUrl: backend.url, token: ws.token, maxRequestsPerSecond: 0 }).uploadOnce()).completed).toBe(1);
      return { ...r, chunks };
    };
    const download = (id: string) => fetch(`${backend.url}/api/v1/recordings/${id}`, { headers: auth(backend.lead) });

    it('the periodic sweep purges what is older than the period, and only that', async () => {
      const old = await upload();
      clock += 20 * DAY;
      const young = await upload();
      expect(await backend.storage.list(`${old.recordingId}/`)).toHaveLength(3);

      clock += 11 * DAY;
      await until(async () => (await findRecording(backend.db, old.recordingId))?.objects_deleted === true);
      const row = (await findRecording(backend.db, old.recordingId))!;
      expect(row).toMatchObject({ state: 'purged', purged_at: clock, wrapped_key: null });
      expect(await backend.storage.list(`${old.recordingId}/`)).toEqual([]);
      const chunks = await backend.db.query('SELECT 1 FROM recording_chunks WHERE recording_id = $1', [old.recordingId]);
      expect(chunks.rows).toHaveLength(0);
      expect((await download(old.recordingId)).status).toBe(410);

      // the younger one is untouched
      expect((await findRecording(backend.db, young.recordingId))!.state).toBe('complete');
      const body = Buffer.from(await (await download(young.recordingId)).arrayBuffer());
      expect(body.equals(Buffer.concat(young.chunks))).toBe(true);

      // asked again (local notes lost), the server says purged and nothing is re-uploaded
      const status = await backend.app.inject({ method: 'POST', url: `/api/v1/recordings/${old.recordingId}/upload`, headers: { ...auth(ws.token), 'content-type': 'application/json' }, payload: JSON.stringify({ caseId: old.caseId }) });
      expect(status.json()).toMatchObject({ state: 'purged', held: [] });
      expect(await backend.storage.list(`${old.recordingId}/`)).toEqual([]);
    });

    it('a recording already past the period is recorded as purged at once and never stored', async () => {
      const chunks = randomChunks([1_000]);
      const r = record(ws, chunks);
      await syncUp(ws, backend.url);
      clock += 31 * DAY;
      const run = await new Uploader({ source: ws.source, serverUrl: backend.url, token: ws.token, maxRequestsPerSecond: 0 }).uploadOnce();
      expect(run).toMatchObject({ completed: 0, chunksSent: 0, pending: 0 });
      expect(await findRecording(backend.db, r.recordingId)).toMatchObject({ state: 'purged', wrapped_key: null });
      expect(await backend.storage.list(`${r.recordingId}/`)).toEqual([]);
    });

    it('a deletion storage refuses is retried by the next sweep; the key is shredded already', async () => {
      const r = await upload();
      let refuse = true;
      const flaky: RecordingStorage = Object.assign(Object.create(backend.storage) as RecordingStorage, {
        deletePrefix: async (prefix: string) => {
          if (refuse) throw new Error('storage down');
          return backend.storage.deletePrefix(prefix);
        },
      });
      // its own clock, 31 days on: the app's periodic sweep (still at today) does not get there first
      const later = clock + 31 * DAY;
      const direct = { db: backend.db, storage: flaky, now: () => later, retentionMs: 30 * DAY };
      const first = await sweepRecordings(direct);
      expect(first.purged).toContain(r.recordingId);
      expect(first.failed).toBeGreaterThan(0);
      // (objects_deleted is not looked at here: the app's own sweep may finish the deletion first)
      expect(await findRecording(backend.db, r.recordingId)).toMatchObject({ state: 'purged', wrapped_key: null });
      expect((await download(r.recordingId)).status).toBe(410);
      refuse = false;
      await sweepRecordings(direct);
      expect(await findRecording(backend.db, r.recordingId)).toMatchObject({ state: 'purged', objects_deleted: true });
      expect(await backend.storage.list(`${r.recordingId}/`)).toEqual([]);
    });
  });
}
