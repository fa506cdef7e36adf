import { createHash } from 'node:crypto';
import { AppFailure } from '../../shared/errors';
import { readChunk, RecordFile, type ChunkIndex } from './chunk-reader';
import { decodeSeekHeader, openRecord, RECORD_KINDS } from './file-format';

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

export interface PlaybackSummary {
  /** Chunks delivered; fewer than indexed when the file ends early (torn tail). */
  chunks: number;
  complete: boolean;
  seekable: boolean;
}

/**
 * Yields a playable WebM, piece by piece (memory: one record): the seekable metadata first when there
 * is one, then each chunk's verified plaintext with the original header bytes it replaces skipped.
 * A file that ends inside a record yields everything before it (`complete: false`); a record that is
 * all there but not what was recorded throws CORRUPT_INPUT naming its seq.
 */
export function* playableStream(src: PlaybackSource): Generator<Buffer, PlaybackSummary> {
  let file: RecordFile;
  try {
    file = new RecordFile(src.path, src.recordingId);
  } catch (error) {
    throw new AppFailure('IO_ERROR', `recording ${src.recordingId}: cannot open its file (${(error as { code?: string }).code ?? 'error'})`);
  }
  try {
    const headerProblem = file.checkHeader();
    if (headerProblem) throw new AppFailure('CORRUPT_INPUT', `recording ${src.recordingId}: ${headerProblem}`);
    let skip = 0;
    let seekable = false;
    if (src.seek) {
      const raw = file.at(src.seek.offset);
      if (raw.status === 'ok') {
        const plain = openRecord(src.key, src.recordingId, RECORD_KINDS.seekHeader, src.seek.chunks, raw.record);
        const header = plain && decodeSeekHeader(plain);
        if (!header) throw new AppFailure('CORRUPT_INPUT', `recording ${src.recordingId}: the seekable header record failed authentication`);
        skip = header.replacedBytes;
        seekable = true;
        yield header.metadata;
      }
      // else the file was cut before it: play the original (live) stream instead.
    }
    const whole = createHash('sha256');
    let delivered = 0;
    for (const row of src.chunks) {
      const plain = readChunk(file, src.key, row);
      if (!plain) break;
      whole.update(plain);
      delivered++;
      if (skip >= plain.length) {
        skip -= plain.length;
        continue;
      }
      const out = skip > 0 ? plain.subarray(skip) : plain;
      skip = 0;
      yield out;
    }
    const complete = delivered === src.chunks.length;
    if (complete && src.sha256 && whole.digest('hex') !== src.sha256) {
      throw new AppFailure('CORRUPT_INPUT', `recording ${src.recordingId}: the chunks verify but the whole recording does not match its recorded sha256`);
    }
    return { chunks: delivered, complete, seekable };
  } finally {
    file.close();
  }
}
