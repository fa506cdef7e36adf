import { spawn } from 'node:child_process';
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CaseStore } from '../../../src/main/caselog/store';
import { silentLogger } from '../../../src/main/log/logger';
import { RecordingRepo } from '../../../src/main/recording/recording-repo';
import { RecordingService } from '../../../src/main/recording/recording-service';
import { ebmlLayout, makeLiveWebm, mediaSkipReason, mediaTitle, openStore, probe, tempDir, type TestMedia } from './helpers';

let media: TestMedia;
let dir: string;
let cleanup: () => void;
let store: CaseStore | null = null;

beforeAll(() => {
  if (!mediaSkipReason) media = makeLiveWebm(6);
});
beforeEach(() => {
  ({ dir, cleanup } = tempDir('vd-rec-crash-'));
});
afterEach(() => {
  store?.close();
  store = null;
  cleanup();
});

/** Runs the writer child, SIGKILLs it once `acks` chunks are durable; returns its recording. */
async function recordAndKill(chunkBytes: number, acks: number): Promise<{ recordingId: string; caseId: string }> {
  const webmPath = join(dir, 'source.webm');
  writeFileSync(webmPath, media.webm);
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'crash-writer.ts'), join(dir, 'cases.db'), webmPath, String(chunkBytes), '40'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if ((out.match(/^ack /gm) ?? []).length >= acks) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () => reject(new Error(`writer exited before ${acks} chunks: ${out} ${err}`)));
  });
  expect(await exited).toBe('SIGKILL');
  const m = /^ready (\S+) (\S+)$/m.exec(out);
  if (!m) throw new Error(`writer did not start: ${err}`);
  return { recordingId: m[1]!, caseId: m[2]! };
}

describe.skipIf(mediaSkipReason)(mediaTitle('recording crash safety (SIGKILLed writer)'), () => {
  it('a killed recording is sealed at startup, plays and lasts as long as what was written', async () => {
    const chunkBytes = Math.ceil(media.webm.length / 12); // ≈ 0.5 s each
    const { recordingId, caseId } = await recordAndKill(chunkBytes, 6);

    store = openStore(dir);
    const svc = new RecordingService({ store, log: silentLogger });
    expect(svc.status(recordingId).state).toBe('recording');
    const [recovered, ...more] = svc.recoverUnfinished();
    expect(more).toEqual([]);
    expect(recovered).toMatchObject({ recordingId, state: 'stopped' });
    const n = recovered!.chunks;
    expect(n).toBeGreaterThanOrEqual(6);
    expect(n).toBeLessThan(12);
    const event = store.events(caseId).at(-1)!;
    expect(event).toMatchObject({ type: 'recording.recovered', payload: { recordingId, chunks: n, seekable: true, droppedChunks: 0 } });

    const out = await svc.readPlayable(recordingId);
    const written = probe(media.webm.subarray(0, n * chunkBytes), dir);
    const p = probe(out, dir);
    expect(p.decodeErrors).not.toMatch(/^exit/);
    expect(p.packets).toBeGreaterThan(0);
    expect(p.packets).toBe(written.packets);
    expect(Math.abs(p.formatDuration! - written.lastPacketEnd)).toBeLessThan(0.3);
    expect(p.formatDuration!).toBeLessThan(media.seconds - 0.5);
    expect(ebmlLayout(out).cuesOnClusters).toBe(true);
    expect(store.verify().ok).toBe(true);
  });

  it('a file also cut at a random byte inside its last record plays up to the record before', async () => {
    const chunkBytes = Math.ceil(media.webm.length / 12);
    const { recordingId, caseId } = await recordAndKill(chunkBytes, 5);
    store = openStore(dir);
    const index = new RecordingRepo(store.db).chunks(recordingId);
    const last = index.at(-1)!;
    const file = join(dir, 'recordings', `${recordingId}.vdrs`);
    const cut = last.offset + 1 + Math.floor(Math.random() * (last.length - 1));
    truncateSync(file, cut);

    const svc = new RecordingService({ store, log: silentLogger });
    const [recovered] = svc.recoverUnfinished();
    expect(recovered).toMatchObject({ recordingId, state: 'stopped', chunks: index.length - 1 });
    expect(store.events(caseId).at(-1)).toMatchObject({ type: 'recording.recovered', payload: { droppedChunks: 1 } });
    const out = await svc.readPlayable(recordingId);
    const expected = probe(media.webm.subarray(0, (index.length - 1) * chunkBytes), dir);
    const p = probe(out, dir);
    expect(p.decodeErrors).not.toMatch(/^exit/);
    expect(p.packets).toBe(expected.packets);
    expect(p.formatDuration).not.toBeNull();
    // The torn tail was cut off and the seek header written after the last whole record.
    expect(statSync(file).size).toBeLessThan(cut + 4096);
    expect(readFileSync(file).length).toBe(new RecordingRepo(store.db).get(recordingId)!.file_bytes);
    expect(store.verify().ok).toBe(true);
  });
});
