import { createHash } from 'node:crypto';
import { AppFailure } from '../../shared/errors';
import { readChunk, RecordFile } from './chunk-reader';
import { layoutPlayable, type PlaybackSource } from './playable-layout';

export type { PlaybackSource } from './playable-layout';

export interface PlaybackSummary {
  /** Chunks delivered; fewer than indexed when the file ends early (torn tail). */
  chunks: number;
  complete: boolean;
  seekable: boolean;
}

/** Opens a recording's file, or IO_ERROR naming the recording (never the path's contents). */
export function openRecordFile(src: Pick<PlaybackSource, 'path' | 'recordingId'>): RecordFile {
  try {
    return new RecordFile(src.path, src.recordingId);
  } catch (error) {
    throw new AppFailure('IO_ERROR', `recording ${src.recordingId}: cannot open its file (${(error as { code?: string }).code ?? 'error'})`);
  }
}

/**
 * Yields a playable WebM, piece by piece (memory: one record): the seekable metadata first when there
 * is one, then each chunk's verified plaintext with the original header bytes it replaces skipped
 * (the layout is playable-layout.ts, shared with the range reader). Every chunk is read, the skipped
 * ones too, so the whole recording's sha256 is checked at the end.
 * A file that ends inside a record yields everything before it (`complete: false`); a record that is
 * all there but not what was recorded throws CORRUPT_INPUT naming its seq.
 */
export function* playableStream(src: PlaybackSource): Generator<Buffer, PlaybackSummary> {
  const file = openRecordFile(src);
  try {
    const layout = layoutPlayable(file, src);
    if (layout.metadata) yield layout.metadata;
    const whole = createHash('sha256');
    let delivered = 0;
    for (const part of layout.parts) {
      const plain = readChunk(file, src.key, part.row);
      if (!plain) break;
      whole.update(plain);
      delivered++;
      if (part.from >= plain.length) continue;
      yield part.from > 0 ? plain.subarray(part.from) : plain;
    }
    const complete = delivered === src.chunks.length;
    if (complete && src.sha256 && whole.digest('hex') !== src.sha256) {
      throw new AppFailure('CORRUPT_INPUT', `recording ${src.recordingId}: the chunks verify but the whole recording does not match its recorded sha256`);
    }
    return { chunks: delivered, complete, seekable: layout.seekable };
  } finally {
    file.close();
  }
}
