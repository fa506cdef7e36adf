/**
 * The playable WebM of an uploaded recording, decrypted on the fly — the very bytes the workstation's
 * `readPlayable` gives (src/main/recording/playable-layout.ts lays them out the same way): the seek header's
 * metadata first when there is one, then each chunk's plaintext with the original header bytes it replaces
 * skipped. Sizes come from the rows, so a Range is answered by opening only the objects it covers, one at a
 * time (memory: one chunk), each checked against its sha256 before a byte of it is sent.
 */
import { openPart, RecordingDecryptError } from './crypto';
import type { ChunkRow, RecordingRow } from './repo';
import type { RecordingStorage } from './storage';
import { sha256Hex } from './uploads';

interface Part {
  /** null: the seek header's metadata. */
  chunk: ChunkRow | null;
  /** First byte of its plaintext that is played. */
  from: number;
  /** Where its played bytes start in the playable WebM. */
  at: number;
  /** Played bytes. */
  length: number;
}

export interface PlayableLayout {
  parts: Part[];
  size: number;
}

/**
 * `original`: the recorded stream as it was written — every chunk whole, no seek header — whose sha256 is the one
 * in the case log's recording.stopped event, so a lead can check the download against the audit trail offline
 * (the seek header is derived from the chunks and no digest of it is in the case log).
 */
export function layoutPlayable(row: RecordingRow, chunks: readonly ChunkRow[], original = false): PlayableLayout {
  const parts: Part[] = [];
  let at = 0;
  let skip = 0;
  if (!original && row.seek_object && row.seek_bytes !== null) {
    parts.push({ chunk: null, from: 0, at, length: row.seek_bytes });
    at += row.seek_bytes;
    skip = row.seek_replaced ?? 0;
  }
  for (const c of chunks) {
    const from = Math.min(skip, c.bytes);
    skip -= from;
    if (c.bytes - from > 0) parts.push({ chunk: c, from, at, length: c.bytes - from });
    at += c.bytes - from;
  }
  return { parts, size: at };
}

/** Thrown mid-stream when storage does not give back what the rows say: the response is cut, never wrong. */
export class StoredRecordingDamaged extends Error {}

/** The bytes [start, end] (inclusive) of the playable WebM. */
export async function* playableRange(storage: RecordingStorage, key: Buffer, row: RecordingRow, layout: PlayableLayout, start: number, end: number): AsyncGenerator<Buffer> {
  const id = row.recording_id;
  for (const part of layout.parts) {
    if (part.at + part.length <= start) continue;
    if (part.at > end) break;
    const objectKey = part.chunk ? part.chunk.object_key : row.seek_object!;
    const sealed = await storage.get(objectKey);
    if (sealed === null) throw new StoredRecordingDamaged(`recording ${id}: ${part.chunk ? `chunk ${part.chunk.seq}` : 'the seek header'} is missing from storage`);
    let plain: Buffer;
    try {
      plain = openPart(key, id, part.chunk ? { kind: 'chunk', seq: part.chunk.seq } : { kind: 'seekHeader' }, sealed);
    } catch (error) {
      if (error instanceof RecordingDecryptError) throw new StoredRecordingDamaged(error.message);
      throw error;
    }
    const want = part.chunk ? part.chunk.sha256 : row.seek_sha256;
    if (sha256Hex(plain) !== want) throw new StoredRecordingDamaged(`recording ${id}: ${part.chunk ? `chunk ${part.chunk.seq}` : 'the seek header'} does not match its sha256`);
    const played = plain.subarray(part.from);
    const lo = Math.max(0, start - part.at);
    const hi = Math.min(part.length, end - part.at + 1);
    yield played.subarray(lo, hi);
  }
}

