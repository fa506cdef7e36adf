/**
 * The uploader as the workstation wires it (src/main/workstation.ts): a recording sealed before the start goes up
 * after sync has pushed its case, with the backend URL and token sync uses; sync.status carries the progress.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createToken } from '../../../server/auth/tokens';
import { findRecording } from '../../../server/recordings/repo';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { CaseStore } from '../../../src/main/caselog/store';
import { silentLogger } from '../../../src/main/log/logger';
import { RecordingService } from '../../../src/main/recording/recording-service';
import { createWorkstation } from '../../../src/main/workstation';
import type { SyncStatus } from '../../../src/shared/cases';
import { auth, fsStorage, randomChunks, startBackend } from './helpers';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('the workstation uploads its recordings', () => {
  it('after sync connects, to the same backend with the same token; sync.status shows the upload', async () => {
    const storage = fsStorage();
    const backend = await startBackend(storage.config);
    cleanups.push(() => storage.stop(), () => backend.close());
    const dir = mkdtempSync(join(tmpdir(), 'vd-ws-upload-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const keyProvider = new StaticKeyProvider(Buffer.alloc(32, 5));

    // a call recorded in an earlier run of the app
    const store = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider });
    const recordings = new RecordingService({ store, log: silentLogger });
    const caseId = store.openCase({ agentId: 'agent-7', serviceType: 'transact' }).caseId;
    const { recordingId } = recordings.start({ caseId, callId: 'call-ws-upload', track: 'agent', mimeType: 'video/webm', startedAt: Date.now(), actor: 'agent-7' });
    const chunks = randomChunks([30_000, 30_000, 12_345]);
    chunks.forEach((c, seq) => recordings.appendChunk(recordingId, seq, c));
    recordings.stopSync(recordingId);
    const token = await createToken(backend.db, store.workstationId);
    store.close();

    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ backendUrl: backend.url }));
    const ws = await createWorkstation({ dataDir: dir, transport: 'host', version: 'test', log: silentLogger, modelsDir: null, keyProvider, backendToken: token, syncTuning: { intervalMs: 40 } });
    cleanups.push(() => ws.close());
    const statuses: SyncStatus[] = [];
    ws.bus.subscribe((event, payload) => event === 'sync.status' && statuses.push(payload as SyncStatus));

    await expect.poll(async () => (await findRecording(backend.db, recordingId))?.state, { timeout: 20_000 }).toBe('complete');
    const body = Buffer.from(await (await fetch(`${backend.url}/api/v1/recordings/${recordingId}`, { headers: auth(backend.lead) })).arrayBuffer());
    expect(body.equals(Buffer.concat(chunks))).toBe(true);
    await expect.poll(async () => ((await ws.dispatch('sync.status', {})) as { ok: true; value: SyncStatus }).value.upload?.pending, { timeout: 10_000 }).toBe(0);
    const reply = (await ws.dispatch('sync.status', {})) as { ok: true; value: SyncStatus };
    expect(reply.value.upload).toMatchObject({ server: new URL(backend.url).origin, pending: 0, lastSuccessAt: expect.any(Number) });
    expect(statuses.some((s) => s.upload?.current?.recordingId === recordingId || s.upload?.state === 'uploading')).toBe(true);
  });
});
