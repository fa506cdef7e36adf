import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_RECORDING_CHUNK_BYTES, type RecordingStatus } from '../../../src/shared/call';
import { AppFailure } from '../../../src/shared/errors';
import type { CaseStore } from '../../../src/main/caselog/store';
import { silentLogger } from '../../../src/main/log/logger';
import { nodeFileOps, type RecordingFileOps } from '../../../src/main/recording/file-ops';
import { RECORD_OVERHEAD } from '../../../src/main/recording/file-format';
import { RecordingService } from '../../../src/main/recording/recording-service';
import { RecordingRepo } from '../../../src/main/recording/recording-repo';
import { ChunkWriter } from '../../../src/main/recording/chunk-writer';
import { ebmlLayout, makeLiveWebm, mediaSkipReason, mediaTitle, openCase, openStore, probe, splitChunks, tempDir, withUnknownSizeClusters, type TestMedia } from './helpers';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const CALL = 'call-0000test';

let dir: string;
let cleanup: () => void;
let store: CaseStore;
let statuses: RecordingStatus[];
let media: TestMedia;
let chunks: Buffer[];

function service(fs?: RecordingFileOps): RecordingService {
  return new RecordingService({ store, log: silentLogger, onStatus: (s) => void statuses.push(s), fs });
}

function startOn(svc: RecordingService, caseId: string, track: 'customer' | 'agent' = 'customer'): string {
  return svc.start({ caseId, callId: CALL, track, mimeType: 'video/webm;codecs=vp8,opus', startedAt: 1_700_000_000_000, actor: 'agent-7' }).recordingId;
}

async function rejection(p: Promise<unknown>): Promise<AppFailure> {
  try {
    await p;
  } catch (error) {
    if (error instanceof AppFailure) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

function failure(fn: () => unknown): AppFailure {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppFailure) return error;
    throw error;
  }
  throw new Error('expected an AppFailure');
}

const fileOf = (id: string) => join(dir, 'recordings', `${id}.vdrs`);

beforeAll(() => {
  if (mediaSkipReason) return;
  media = makeLiveWebm(4);
  chunks = splitChunks(media, 1);
});

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  store = openStore(dir);
  statuses = [];
});
afterEach(() => {
  store.close();
  cleanup();
});

describe.skipIf(mediaSkipReason)(mediaTitle('recording service with real WebM'), () => {
  it('streams chunks durably, then makes the WebM seekable on stop', async () => {
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    const caseId = openCase(store);
    const svc = service();
    const id = startOn(svc, caseId);
    for (const [seq, c] of chunks.entries()) expect(svc.appendChunk(id, seq, c)).toMatchObject({ state: 'recording', chunks: seq + 1 });

    // While recording: what is stored is exactly what was sent, and it already plays.
    const live = await svc.readPlayable(id);
    expect(live.equals(media.webm)).toBe(true);
    expect(probe(live, dir).formatDuration).toBeNull();

    const stopped = await svc.stop(id);
    expect(stopped).toMatchObject({ state: 'stopped', chunks: chunks.length, bytes: media.webm.length, track: 'customer', callId: CALL });
    const out = await svc.readPlayable(id);
    const p = probe(out, dir);
    expect(p.decodeErrors).toBe('');
    expect(p.formatDuration).not.toBeNull();
    expect(Math.abs(p.formatDuration! - media.seconds)).toBeLessThan(0.25);
    expect(Math.abs(p.lastPacketEnd - media.seconds)).toBeLessThan(0.25);
    const layout = ebmlLayout(out);
    expect(layout.hasDuration).toBe(true);
    expect(layout.cuePoints).toBeGreaterThanOrEqual(3);
    expect(layout.cuesOnClusters).toBe(true);
    expect(layout.names.indexOf('Cues')).toBeLessThan(layout.names.indexOf('Cluster'));
    // The clusters are the original bytes: only the header was replaced.
    expect(out.subarray(out.length - 50_000).equals(media.webm.subarray(media.webm.length - 50_000))).toBe(true);

    const events = store.events(caseId);
    expect(events.map((e) => e.type)).toEqual(['case.opened', 'recording.started', 'recording.stopped']);
    const listHash = sha(Buffer.concat(chunks.map((c) => Buffer.from(sha(c), 'hex'))));
    expect(events[2]!.payload).toMatchObject({ recordingId: id, chunks: chunks.length, bytes: media.webm.length, sha256: sha(media.webm), chunkListSha256: listHash, seekable: true });
    expect(Math.abs((events[2]!.payload.durationMs as number) - 4000)).toBeLessThan(250);
    // Payloads describe the media, never carry it.
    expect(JSON.stringify(events).length).toBeLessThan(3000);
    expect(statuses.map((s) => s.state)).toEqual(['recording', 'stopped']);
    expect(store.verify().ok).toBe(true);

    // Idempotent stop; a stopped recording takes no more chunks.
    expect(await svc.stop(id)).toMatchObject({ state: 'stopped' });
    expect(failure(() => svc.appendChunk(id, chunks.length, chunks[0]!)).code).toBe('INVALID_PAYLOAD');
    expect(store.events(caseId)).toHaveLength(3);
  });

  it('makes a Chrome-style stream (clusters of unknown size) seekable too', async () => {
    const chrome = withUnknownSizeClusters(media);
    expect(probe(chrome.webm, dir).formatDuration).toBeNull();
    const caseId = openCase(store);
    const svc = service();
    const id = startOn(svc, caseId);
    splitChunks(chrome, 1).forEach((c, seq) => svc.appendChunk(id, seq, c));
    expect(await svc.stop(id)).toMatchObject({ state: 'stopped' });
    const out = await svc.readPlayable(id);
    const p = probe(out, dir);
    expect(p.decodeErrors).toBe('');
    expect(Math.abs(p.formatDuration! - media.seconds)).toBeLessThan(0.25);
    expect(ebmlLayout(out)).toMatchObject({ hasDuration: true, cuesOnClusters: true });
  });

  it('encrypts every record: the file holds no plaintext media', () => {
    const caseId = openCase(store);
    const svc = service();
    const id = startOn(svc, caseId);
    svc.appendChunk(id, 0, chunks[0]!);
    const file = readFileSync(fileOf(id));
    expect(file.length).toBe(chunks[0]!.length + RECORD_OVERHEAD + 8 + 36);
    expect(file.includes(chunks[0]!.subarray(0, 32))).toBe(false); // EBML header + DocType 'webm'
    expect(file.includes(Buffer.from('webm'))).toBe(false);
    expect(statSync(fileOf(id)).mode & 0o777).toBe(0o600);
  });

  it('sequence rules: next seq only, last seq again is a no-op, gaps and stale seqs refused, oversize refused', () => {
    const caseId = openCase(store);
    const svc = service();
    const id = startOn(svc, caseId);
    svc.appendChunk(id, 0, chunks[0]!);
    svc.appendChunk(id, 1, chunks[1]!);
    const size = statSync(fileOf(id)).size;
    expect(svc.appendChunk(id, 1, chunks[1]!)).toMatchObject({ chunks: 2 });
    expect(statSync(fileOf(id)).size).toBe(size);
    expect(failure(() => svc.appendChunk(id, 1, chunks[2]!))).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringMatching(/seq 1 was already stored with different bytes/) });
    expect(failure(() => svc.appendChunk(id, 3, chunks[2]!))).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringMatching(/gap \(expected 2\)/) });
    expect(failure(() => svc.appendChunk(id, 0, chunks[0]!))).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringMatching(/older/) });
    expect(failure(() => svc.appendChunk(id, 2, Buffer.alloc(MAX_RECORDING_CHUNK_BYTES + 1))).code).toBe('PAYLOAD_TOO_LARGE');
    expect(failure(() => svc.appendChunk('00000000-0000-0000-0000-000000000000', 0, chunks[0]!)).code).toBe('NOT_FOUND');
    expect(svc.appendChunk(id, 2, Buffer.alloc(MAX_RECORDING_CHUNK_BYTES, 1))).toMatchObject({ chunks: 3 });
    expect(svc.status(id)).toMatchObject({ state: 'recording', chunks: 3, bytes: chunks[0]!.length + chunks[1]!.length + MAX_RECORDING_CHUNK_BYTES });
    expect(new RecordingRepo(store.db).chunks(id).map((c) => c.seq)).toEqual([0, 1, 2]);
  });

  it('names the seq of a tampered record, and of records swapped into each other’s place', async () => {
    const caseId = openCase(store);
    const svc = service();
    const id = startOn(svc, caseId);
    // Equal-sized chunks so two records can trade places without changing offsets.
    const equal = [chunks[0]!, Buffer.from(chunks[1]!), Buffer.from(chunks[2]!.subarray(0, chunks[1]!.length)), Buffer.alloc(100, 1)];
    equal.forEach((c, seq) => svc.appendChunk(id, seq, c));
    await svc.stop(id);
    const index = new RecordingRepo(store.db).chunks(id);
    const file = fileOf(id);
    const original = readFileSync(file);

    const flipped = Buffer.from(original);
    flipped[index[2]!.offset + 40]! ^= 0x01;
    writeFileSync(file, flipped);
    const e1 = await rejection(svc.readPlayable(id));
    expect(e1.code).toBe('CORRUPT_INPUT');
    expect(e1.message).toMatch(/chunk seq 2 failed authentication/);

    const r1 = index[1]!;
    const r2 = index[2]!;
    expect(r1.length).toBe(r2.length);
    const swapped = Buffer.from(original);
    original.copy(swapped, r1.offset, r2.offset, r2.offset + r2.length);
    original.copy(swapped, r2.offset, r1.offset, r1.offset + r1.length);
    // …with their clear-text seq fields fixed up too, as a forger would: only the AAD can tell.
    swapped.writeUInt32BE(1, r1.offset + 5);
    swapped.writeUInt32BE(2, r2.offset + 5);
    writeFileSync(file, swapped);
    expect((await rejection(svc.readPlayable(id))).message).toMatch(/chunk seq 1 failed authentication/);

    // A damaged length prefix inside the file is damage, not a torn tail.
    const badLength = Buffer.from(original);
    badLength.writeUInt32BE(5, index[1]!.offset);
    writeFileSync(file, badLength);
    expect((await rejection(svc.readPlayable(id))).message).toMatch(/chunk seq 1 /);

    writeFileSync(file, original);
    expect((await svc.readPlayable(id)).length).toBeGreaterThan(0);
  });

  it('a record cannot be moved into another recording', async () => {
    const caseId = openCase(store);
    const svc = service();
    const a = startOn(svc, caseId, 'customer');
    const b = startOn(svc, caseId, 'agent');
    svc.appendChunk(a, 0, chunks[0]!);
    svc.appendChunk(b, 0, chunks[0]!);
    writeFileSync(fileOf(b), Buffer.concat([readFileSync(fileOf(b)).subarray(0, 44), readFileSync(fileOf(a)).subarray(44)]));
    expect((await rejection(svc.readPlayable(b))).message).toMatch(/chunk seq 0 failed authentication/);
  });

  it('a file cut inside its last record still plays up to the record before', async () => {
    const caseId = openCase(store);
    const svc = service();
    const id = startOn(svc, caseId);
    chunks.forEach((c, seq) => svc.appendChunk(id, seq, c));
    await svc.stop(id);
    const last = new RecordingRepo(store.db).chunks(id).at(-1)!;
    const cut = last.offset + 1 + Math.floor(Math.random() * (last.length - 1));
    truncateSync(fileOf(id), cut);
    const out = await svc.readPlayable(id);
    // The seek header was after the cut: the original live stream of the first n-1 chunks.
    expect(out.equals(Buffer.concat(chunks.slice(0, -1)))).toBe(true);
    expect(probe(out, dir).packets).toBeGreaterThan(0);
  });

  it('disk full: the recording fails cleanly, with an event, and what was written stays readable', async () => {
    let writes = 0;
    const fs: RecordingFileOps = {
      ...nodeFileOps,
      write(fd, bytes, position) {
        // header, chunk 0, chunk 1 succeed; chunk 2 writes half of itself, then the disk is full.
        if (++writes === 4) {
          nodeFileOps.write(fd, bytes.subarray(0, bytes.length >> 1), position);
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
        }
        nodeFileOps.write(fd, bytes, position);
      },
    };
    const caseId = openCase(store);
    const svc = service(fs);
    const id = startOn(svc, caseId);
    svc.appendChunk(id, 0, chunks[0]!);
    svc.appendChunk(id, 1, chunks[1]!);
    const e = failure(() => svc.appendChunk(id, 2, chunks[2]!));
    expect(e.code).toBe('DISK_FULL');
    expect(svc.status(id)).toMatchObject({ state: 'failed', errorCode: 'DISK_FULL', chunks: 2 });
    expect(statuses.at(-1)).toMatchObject({ recordingId: id, state: 'failed', errorCode: 'DISK_FULL' });
    expect(failure(() => svc.appendChunk(id, 2, chunks[2]!)).code).toBe('DISK_FULL');
    expect(failure(() => svc.appendChunk(id, 3, chunks[3]!)).code).toBe('DISK_FULL');

    const failed = store.events(caseId).at(-1)!;
    expect(failed).toMatchObject({ type: 'recording.failed', payload: { recordingId: id, errorCode: 'DISK_FULL', chunks: 2, sha256: sha(Buffer.concat(chunks.slice(0, 2))) } });
    expect(JSON.stringify(failed.payload)).not.toMatch(/webm/i);
    // The torn half record was rolled back.
    const index = new RecordingRepo(store.db).chunks(id);
    expect(statSync(fileOf(id)).size).toBe(index[1]!.offset + index[1]!.length);
    const out = await svc.readPlayable(id);
    expect(out.equals(Buffer.concat(chunks.slice(0, 2)))).toBe(true);
    expect(probe(out, dir).packets).toBeGreaterThan(0);

    expect(await svc.stop(id)).toMatchObject({ state: 'failed', errorCode: 'DISK_FULL' });
    expect(failure(() => svc.appendChunk(id, 2, chunks[2]!)).code).toBe('DISK_FULL');
    expect(store.events(caseId).filter((x) => x.type.startsWith('recording.')).map((x) => x.type)).toEqual(['recording.started', 'recording.failed']);
    expect(store.verify().ok).toBe(true);
  });

  it('an fsync failure (EIO) fails the recording with IO_ERROR', () => {
    let syncs = 0;
    const fs: RecordingFileOps = {
      ...nodeFileOps,
      fsync(fd) {
        if (++syncs === 3) throw Object.assign(new Error('EIO'), { code: 'EIO', syscall: 'fsync' });
        nodeFileOps.fsync(fd);
      },
    };
    const caseId = openCase(store);
    const svc = service(fs);
    const id = startOn(svc, caseId);
    svc.appendChunk(id, 0, chunks[0]!);
    expect(failure(() => svc.appendChunk(id, 1, chunks[1]!)).code).toBe('IO_ERROR');
    expect(svc.status(id)).toMatchObject({ state: 'failed', errorCode: 'IO_ERROR', chunks: 1 });
  });

  it('stops both tracks of a call; a restart of a track seals the previous recording of it', async () => {
    const caseId = openCase(store);
    const svc = service();
    const c = startOn(svc, caseId, 'customer');
    const a = startOn(svc, caseId, 'agent');
    chunks.forEach((x, seq) => {
      svc.appendChunk(c, seq, x);
      svc.appendChunk(a, seq, x);
    });
    await svc.stopAllForCall(CALL);
    expect(svc.list(caseId).map((s) => [s.track, s.state])).toEqual([
      ['customer', 'stopped'],
      ['agent', 'stopped'],
    ]);
    const again = startOn(svc, caseId, 'agent');
    svc.appendChunk(again, 0, chunks[0]!);
    const replaced = startOn(svc, caseId, 'agent');
    expect(svc.status(again)).toMatchObject({ state: 'stopped', chunks: 1 });
    expect(svc.status(replaced)).toMatchObject({ state: 'recording', chunks: 0 });
    expect(svc.info(caseId).filter((r) => r.seekable).map((r) => r.recordingId)).toEqual([c, a, again]);
  });

  it('recovery adopts a durable record that missed its row and drops a torn tail', async () => {
    const caseId = openCase(store);
    const svc = service();
    const id = startOn(svc, caseId);
    svc.appendChunk(id, 0, chunks[0]!);
    svc.appendChunk(id, 1, chunks[1]!);
    // "Crash" right after chunk 2 was fsynced, before its row: write the record with a second writer.
    const row = new RecordingRepo(store.db).get(id)!;
    const key = store.unwrapItemKey(row.wrapped_key!, `recording:${id}`);
    const w = ChunkWriter.reopen(nodeFileOps, fileOf(id), id, key, row.file_bytes);
    w.append(1, 2, chunks[2]!);
    w.close();
    writeFileSync(fileOf(id), Buffer.concat([readFileSync(fileOf(id)), Buffer.from([0, 0, 1, 0, 1, 0])])); // a torn fourth record
    store.close();

    store = openStore(dir);
    const fresh = service();
    const recovered = fresh.recoverUnfinished();
    expect(recovered).toEqual([expect.objectContaining({ recordingId: id, state: 'stopped', chunks: 3 })]);
    const ev = store.events(caseId).at(-1)!;
    expect(ev).toMatchObject({ type: 'recording.recovered', payload: { adoptedChunks: 1, droppedChunks: 0, chunks: 3, seekable: true, sha256: sha(Buffer.concat(chunks.slice(0, 3))) } });
    const out = await fresh.readPlayable(id);
    const p = probe(out, dir);
    expect(p.formatDuration).not.toBeNull();
    expect(p.packets).toBeGreaterThan(0);
    expect(ebmlLayout(out).cuesOnClusters).toBe(true);
    expect(fresh.recoverUnfinished()).toEqual([]);
    expect(store.verify().ok).toBe(true);
  });

  it('recovery does not cut a damaged committed chunk away: it marks the recording failed and keeps the file', async () => {
    const caseId = openCase(store);
    const svc = service();
    const id = startOn(svc, caseId);
    chunks.forEach((c, seq) => svc.appendChunk(id, seq, c));
    store.close(); // crash: never stopped
    const index = (() => {
      const s = openStore(dir);
      try {
        return new RecordingRepo(s.db).chunks(id);
      } finally {
        s.close();
      }
    })();
    const damaged = readFileSync(fileOf(id));
    damaged[index[1]!.offset + 30]! ^= 0xff;
    writeFileSync(fileOf(id), damaged);

    store = openStore(dir);
    const fresh = service();
    expect(fresh.recoverUnfinished()).toEqual([expect.objectContaining({ recordingId: id, state: 'failed', errorCode: 'CORRUPT_INPUT', chunks: chunks.length })]);
    expect(statSync(fileOf(id)).size).toBe(damaged.length);
    expect(store.events(caseId).at(-1)).toMatchObject({ type: 'recording.recovered', payload: { state: 'failed', errorCode: 'CORRUPT_INPUT' } });
    expect((await rejection(fresh.readPlayable(id))).message).toMatch(/chunk seq 1 failed authentication/);
    expect(store.verify().ok).toBe(true);
  });

  it('retention purges recordings: key shredded, index and file gone, audit events kept', async () => {
    let now = Date.UTC(2025, 0, 1);
    store.close();
    store = openStore(dir, () => now);
    const caseId = openCase(store);
    const svc = new RecordingService({ store, log: silentLogger, now: () => now });
    const done = startOn(svc, caseId, 'customer');
    svc.appendChunk(done, 0, chunks[0]!);
    await svc.stop(done);
    const live = startOn(svc, caseId, 'agent');
    svc.appendChunk(live, 0, chunks[0]!);
    now += 40 * 86_400_000;
    expect(store.purgeBiometrics(30)).toMatchObject({ recordingsPurged: 1 });
    expect(existsSync(fileOf(done))).toBe(false);
    expect(existsSync(fileOf(live))).toBe(true);
    const row = new RecordingRepo(store.db).get(done)!;
    expect(row.wrapped_key).toBeNull();
    expect(row.purged_at).toBe(now);
    expect(new RecordingRepo(store.db).chunks(done)).toEqual([]);
    expect((await rejection(svc.readPlayable(done))).message).toMatch(/purged/);
    expect(store.events(caseId).at(-1)).toMatchObject({ type: 'biometric.purged', payload: { recordingIds: [done] } });
    expect(store.events(caseId).map((e) => e.type)).toContain('recording.stopped');
    expect(store.verify().ok).toBe(true);
  });
});

describe('recording service without media', () => {
  it('refuses to start on a closed or unknown case and leaves no file behind', () => {
    const svc = service();
    const caseId = openCase(store);
    store.closeCase(caseId, { verdict: 'verified', actor: 'agent-7' });
    expect(failure(() => startOn(svc, caseId)).code).toBe('INVALID_PAYLOAD');
    expect(failure(() => startOn(svc, 'no-such-case')).code).toBe('NOT_FOUND');
    expect(existsSync(join(dir, 'recordings')) ? readdirSync(join(dir, 'recordings')) : []).toEqual([]);
    expect(svc.list()).toEqual([]);
  });

  it('can stop after the case was closed (a recording may outlive the case decision)', async () => {
    const svc = service();
    const caseId = openCase(store);
    const id = startOn(svc, caseId);
    svc.appendChunk(id, 0, Buffer.from('not webm at all'));
    store.closeCase(caseId, { verdict: 'verified', actor: 'agent-7' });
    expect(await svc.stop(id)).toMatchObject({ state: 'stopped', chunks: 1 });
    expect(store.events(caseId).at(-1)).toMatchObject({ type: 'recording.stopped', payload: { seekable: false } });
    expect((await svc.readPlayable(id)).toString()).toBe('not webm at all');
  });

  it('a disk full when creating the file is DISK_FULL and records nothing', () => {
    const fs: RecordingFileOps = {
      ...nodeFileOps,
      write() {
        throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
      },
    };
    const caseId = openCase(store);
    const svc = service(fs);
    expect(failure(() => startOn(svc, caseId)).code).toBe('DISK_FULL');
    expect(svc.list()).toEqual([]);
    expect(readdirSync(join(dir, 'recordings'))).toEqual([]);
    expect(store.events(caseId).map((e) => e.type)).toEqual(['case.opened']);
  });
});
