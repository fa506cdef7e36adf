/**
 * Random access to a recording's playable WebM, decrypted on the fly (issue 11 item 2): a <video> seeks with HTTP
 * Range requests, and each one must cost the records that cover it, not the whole recording. Nothing clear is
 * ever written: the bytes exist only in the buffers handed to the transport.
 *
 * The byte layout (seek-header metadata first, the replaced original header skipped) comes from
 * src/main/recording/playable-layout.ts, the same map playback.ts streams from, so a range here is exactly the
 * same bytes as that slice of readPlayable(). Each chunk read is verified (GCM tag under its AAD, its row's
 * length and sha256); the whole-recording digest cannot be checked without reading everything, so a range
 * does not check it (per-chunk verification already catches any tampered byte it serves).
 */
import { AppFailure } from '../../shared/errors';
import { readChunk, type RecordFile } from '../recording/chunk-reader';
import { layoutPlayable, type PlayableLayout, type PlaybackSource } from '../recording/playable-layout';
import { openRecordFile } from '../recording/playback';

/** A playable recording that can be read at any offset. `end` is inclusive, as in HTTP. */
export interface PlaintextRange {
  readonly size: number;
  readonly seekable: boolean;
  /** The bytes [start, end], piece by piece (memory: one record). */
  read(start: number, end: number): Generator<Buffer>;
  close(): void;
}

/** Opens a `.vdrs` recording for range reads: decrypts only its seek header until a range is asked for. */
export function openPlaintextRange(src: PlaybackSource): PlaintextRange {
  const file = openRecordFile(src);
  let layout: PlayableLayout;
  try {
    layout = layoutPlayable(file, src);
  } catch (error) {
    file.close();
    throw error;
  }
  return new VdrsRange(file, src, layout);
}

class VdrsRange implements PlaintextRange {
  constructor(
    private readonly file: RecordFile,
    private readonly src: PlaybackSource,
    private readonly layout: PlayableLayout,
  ) {}

  get size(): number {
    return this.layout.size;
  }

  get seekable(): boolean {
    return this.layout.seekable;
  }

  *read(start: number, end: number): Generator<Buffer> {
    checkRange(start, end, this.size);
    const { metadata, parts } = this.layout;
    let pos = start;
    if (metadata && pos < metadata.length) {
      const stop = Math.min(end + 1, metadata.length);
      yield metadata.subarray(pos, stop);
      pos = stop;
    }
    for (let i = firstPartAt(parts, pos); i < parts.length && pos <= end; i++) {
      const part = parts[i]!;
      const played = part.length - part.from;
      if (played === 0) continue;
      const plain = readChunk(this.file, this.src.key, part.row);
      // the layout only holds chunks that are all in the file, so this is the file changing under us
      if (!plain || plain.length !== part.length) throw new AppFailure('CORRUPT_INPUT', `recording ${this.src.recordingId}: chunk seq ${part.row.seq} changed while it was read`);
      const from = part.from + (pos - part.at);
      const to = part.from + Math.min(played, end + 1 - part.at);
      yield plain.subarray(from, to);
      pos = part.at + (to - part.from);
    }
  }

  close(): void {
    this.file.close();
  }
}

/** A recording held whole in memory (legacy whole-file recordings, format vdr1): slices of it. */
export function bufferRange(bytes: Buffer): PlaintextRange {
  return {
    size: bytes.length,
    seekable: false,
    *read(start, end) {
      checkRange(start, end, bytes.length);
      yield bytes.subarray(start, end + 1);
    },
    close() {},
  };
}

function checkRange(start: number, end: number, size: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end >= size) {
    throw new AppFailure('INVALID_INPUT', `byte range ${start}-${end} is outside the recording (${size} bytes)`);
  }
}

/** The last part whose played bytes start at or before `pos` (binary search: parts are in output order). */
function firstPartAt(parts: readonly { at: number }[], pos: number): number {
  let lo = 0;
  let hi = parts.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (parts[mid]!.at <= pos) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
