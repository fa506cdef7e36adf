/**
 * The plaintext range reader over real recordings (a WebM made here from the shared test video, written by the
 * real RecordingService): any range is exactly that slice of readPlayable(), a range reads only the records that
 * cover it, and a damaged record is named when (and only when) a range needs it.
 */
import { openSync, readSync, closeSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CaseStore } from '../../../src/main/caselog/store';
import type { TestMedia } from '../recording/helpers';
import { bufferRange, openPlaintextRange, type PlaintextRange } from '../../../src/main/review/recording-range';
import { mediaSkipReason, mediaTitle, openCase, openStore, seeded, tempDir, webmFromTestVideo, writeRecording } from './helpers';

let dir: string;
let cleanup: () => void;
let store: CaseStore;
let media: TestMedia;

beforeAll(() => {
  if (!mediaSkipReason) media = webmFromTestVideo('live_blink_talk.mp4', 5);
});
beforeEach(() => {
  ({ dir, cleanup } = tempDir('vd-range-'));
  store = openStore(dir);
});
afterEach(() => {
  store.close();
  cleanup();
});

const collect = (range: PlaintextRange, start: number, end: number) => Buffer.concat([...range.read(start, end)]);

/** Random [start, end] pairs over `size` bytes, short and long, near the edges too (seeded: reproducible). */
function randomRanges(size: number, n: number, seed: number): [number, number][] {
  const random = seeded(seed);
  const out: [number, number][] = [
    [0, size - 1],
    [0, 0],
    [size - 1, size - 1],
  ];
  for (let i = 0; i < n; i++) {
    const start = Math.floor(random() * size);
    const length = random() < 0.5 ? 1 + Math.floor(random() * 4096) : 1 + Math.floor(random() * size);
    out.push([start, Math.min(size - 1, start + length - 1)]);
  }
  return out;
}

describe.skipIf(mediaSkipReason)(mediaTitle('plaintext range reader'), () => {
  it('gives exactly the bytes of readPlayable for random ranges of a sealed, seekable recording', async () => {
    const { service, recordingId, chunks } = await writeRecording(store, openCase(store), media, { perSecond: 3 });
    expect(chunks.length).toBeGreaterThanOrEqual(10);
    const whole = await service.readPlayable(recordingId);
    const range = openPlaintextRange(service.playbackSource(recordingId));
    try {
      expect(range.seekable).toBe(true);
      expect(range.size).toBe(whole.length);
      // the seek header replaced the live header: the playable bytes differ from what was recorded
      expect(whole.equals(media.webm)).toBe(false);
      for (const [start, end] of randomRanges(whole.length, 200, 11)) {
        const got = collect(range, start, end);
        expect(got.length, `${start}-${end}`).toBe(end - start + 1);
        expect(got.equals(whole.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
      }
      // every boundary between pieces: the metadata's end and each chunk's first played byte
      for (let at = 1; at < whole.length; at += Math.ceil(whole.length / 97)) {
        expect(Buffer.concat([collect(range, 0, at - 1), collect(range, at, whole.length - 1)]).equals(whole)).toBe(true);
      }
    } finally {
      range.close();
    }
  });

  it('reads a recording still being written (not seekable yet) and one a crash left with a torn tail', async () => {
    const { service, recordingId, chunks } = await writeRecording(store, openCase(store), media, { stop: false });
    const live = await service.readPlayable(recordingId);
    expect(live.equals(media.webm)).toBe(true);
    const range = openPlaintextRange(service.playbackSource(recordingId));
    expect(range.seekable).toBe(false);
    for (const [start, end] of randomRanges(live.length, 60, 5)) expect(collect(range, start, end).equals(live.subarray(start, end + 1))).toBe(true);
    range.close();

    // cut the file inside the last chunk's record: the range ends with the chunk before, like readPlayable
    const file = join(dir, 'recordings', `${recordingId}.vdrs`);
    truncateSync(file, statSync(file).size - 10);
    const cut = await service.readPlayable(recordingId);
    expect(cut.length).toBe(live.length - chunks.at(-1)!.length);
    const torn = openPlaintextRange(service.playbackSource(recordingId));
    expect(torn.size).toBe(cut.length);
    expect(collect(torn, 0, torn.size - 1).equals(cut)).toBe(true);
    expect(() => [...torn.read(0, torn.size)]).toThrow(/outside the recording/);
    torn.close();
  });

  it('reads only the records covering a range: a damaged chunk fails the ranges that need it, naming its seq, and no other', async () => {
    const { service, recordingId } = await writeRecording(store, openCase(store), media, { perSecond: 3 });
    const whole = await service.readPlayable(recordingId);
    const source = service.playbackSource(recordingId);
    const victim = source.chunks[Math.floor(source.chunks.length / 2)]!;
    // flip one ciphertext byte in the middle chunk's record
    const fd = openSync(source.path, 'r+');
    const at = victim.offset + Math.floor(victim.length / 2);
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, at);
    writeSync(fd, Buffer.from([byte[0]! ^ 0xff]), 0, 1, at);
    closeSync(fd);

    const range = openPlaintextRange(service.playbackSource(recordingId));
    try {
      // the layout of each chunk in the output, from the reader's own map of the same source
      const before = collect(range, 0, 999);
      expect(before.equals(whole.subarray(0, 1000))).toBe(true);
      const last = range.size - 1;
      expect(collect(range, last - 999, last).equals(whole.subarray(last - 999))).toBe(true);
      expect(() => collect(range, 0, last)).toThrow(new RegExp(`chunk seq ${victim.seq} failed authentication`));
    } finally {
      range.close();
    }
    await expect(service.readPlayable(recordingId)).rejects.toThrow(new RegExp(`chunk seq ${victim.seq}`));
  });

  it('refuses a range outside the recording', async () => {
    const { service, recordingId } = await writeRecording(store, openCase(store), media);
    const range = openPlaintextRange(service.playbackSource(recordingId));
    for (const [s, e] of [
      [-1, 10],
      [10, 9],
      [0, range.size],
      [0.5, 10],
    ]) {
      expect(() => [...range.read(s!, e!)], `${s}-${e}`).toThrow(/outside the recording/);
    }
    range.close();
  });
});

describe('buffer range (legacy whole-file recordings)', () => {
  it('slices', () => {
    const r = bufferRange(Buffer.from('0123456789'));
    expect(Buffer.concat([...r.read(2, 5)]).toString()).toBe('2345');
    expect(() => [...r.read(5, 10)]).toThrow();
  });
});
