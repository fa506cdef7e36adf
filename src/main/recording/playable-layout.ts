import { AppFailure } from '../../shared/errors';
import type { ChunkIndex, RecordFile } from './chunk-reader';
import { decodeSeekHeader, openRecord, RECORD_KINDS, RECORD_OVERHEAD } from './file-format';

/** What a reader needs to assemble a recording's playable WebM from its `.vdrs` file (docs/recording.md). */
export interface PlaybackSource {
  recordingId: string;
  path: string;
  key: Buffer;
  /** The committed index, in seq order. */
  chunks: ChunkIndex[];
  /** Sealed recordings: the whole-plaintext digest to check once every chunk was read. */
  sha256: string | null;
  /** The seek-header record, when the recording was made seekable. */
  seek: { offset: number; chunks: number } | null;
}

/** One chunk's place in the playable bytes. */
export interface PlayablePart {
  row: ChunkIndex;
  /** Its plaintext length (AES-GCM adds no padding: the record minus its fixed overhead). */
  length: number;
  /** The first of its plaintext bytes that is played: the original header the seek header replaces is skipped. */
  from: number;
  /** Where its played bytes start in the playable WebM (after the seek header's metadata). */
  at: number;
}

/**
 * The playable WebM as a map, before any chunk is decrypted: the seekable metadata (emitted first), then each
 * chunk's plaintext with the replaced header bytes skipped. Shared by the sequential reader (playback.ts) and the
 * range reader (src/main/review/recording-range.ts), so both produce the very same bytes.
 */
export interface PlayableLayout {
  metadata: Buffer | null;
  /** Every chunk that is all there in the file, in seq order (a fully skipped one has from === length). */
  parts: PlayablePart[];
  /** Bytes of the playable WebM. */
  size: number;
  /** Every indexed chunk is in the file (false: the file was cut, the parts stop before the first missing one). */
  complete: boolean;
  seekable: boolean;
}

export const plaintextLength = (row: ChunkIndex): number => row.length - RECORD_OVERHEAD;

/**
 * Lays the recording out. Decrypts only the seek-header record (a few KiB); throws CORRUPT_INPUT when the file is
 * not this recording's or that record fails authentication. A file cut before the seek header plays the original
 * (live) stream, not seekable.
 */
export function layoutPlayable(file: RecordFile, src: PlaybackSource): PlayableLayout {
  const headerProblem = file.checkHeader();
  if (headerProblem) throw new AppFailure('CORRUPT_INPUT', `recording ${src.recordingId}: ${headerProblem}`);
  let metadata: Buffer | null = null;
  let skip = 0;
  if (src.seek) {
    const raw = file.at(src.seek.offset);
    if (raw.status === 'ok') {
      const plain = openRecord(src.key, src.recordingId, RECORD_KINDS.seekHeader, src.seek.chunks, raw.record);
      const header = plain && decodeSeekHeader(plain);
      if (!header) throw new AppFailure('CORRUPT_INPUT', `recording ${src.recordingId}: the seekable header record failed authentication`);
      metadata = header.metadata;
      skip = header.replacedBytes;
    }
  }
  const parts: PlayablePart[] = [];
  let at = metadata?.length ?? 0;
  for (const row of src.chunks) {
    // the first chunk not all in the file ends playback (a torn tail); readers never look past it
    if (row.offset + row.length > file.size) break;
    const length = plaintextLength(row);
    const from = Math.min(skip, length);
    skip -= from;
    parts.push({ row, length, from, at });
    at += length - from;
  }
  return { metadata, parts, size: at, complete: parts.length === src.chunks.length, seekable: metadata !== null };
}
