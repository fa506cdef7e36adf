import { Decoder, Reader, type EBMLElementDetail } from 'ts-ebml';
import { children, element, float64, IDS, readVint, uint, UNKNOWN_SIZE } from './ebml-writer';

/**
 * Makes MediaRecorder WebM seekable without ffmpeg and without rewriting the file.
 *
 * MediaRecorder writes a live WebM: a Segment of unknown size, no Duration, no Cues. The indexer is fed
 * the plaintext stream chunk by chunk as it is recorded (or re-read in recovery); ts-ebml's Decoder and
 * Reader find the header, the tracks and one cue point per cluster. At the end it builds new metadata:
 * the original EBML header, a Segment of unknown size, SeekHead, Info with Duration, the original
 * Tracks, and Cues. On read, that metadata replaces the first `replacedBytes` bytes of the original
 * stream and the clusters follow unchanged; the cue positions account for the size change.
 * (The layout is what ts-ebml's `tools.makeMetadataSeekable` writes; it is built here because that
 * function's encoder took ~7 s for the 1,200 cues of a 5-minute stream, and grows with the call.)
 *
 * Memory bound: the decoder holds at most the unparsed remainder (≤ one chunk + one partial element,
 * capped at MAX_PENDING_BYTES); the reader holds the header elements (a few KiB), one small object per
 * element of the current cluster (their media bytes are dropped as soon as they are parsed) and one cue
 * per cluster (≈ 100 bytes). No media bytes are kept beyond the current chunk.
 */
export interface SeekableResult {
  /** Bytes of the original stream that `metadata` replaces (the original header: EBML … Tracks). */
  replacedBytes: number;
  metadata: Buffer;
  durationMs: number;
  cues: number;
}

/**
 * The decoder buffers an element until all of it has arrived. A frame is at most a few MiB; an element
 * claiming more is damage (or hostile), and buffering it would hold the rest of the recording in memory.
 */
const MAX_PENDING_BYTES = 16 * 1024 * 1024;
/** The header (EBML … Tracks) is a few hundred bytes; more than this is not a MediaRecorder stream. */
const MAX_HEADER_BYTES = 1024 * 1024;

export class SeekableIndexer {
  private decoder: Decoder | null = new Decoder();
  private readonly reader = new Reader();
  private fed = 0;
  private consumed = 0;
  /** The raw bytes up to the first cluster: the header that the new metadata replaces. */
  private head: Buffer[] = [];
  private headBytes = 0;
  private headTrimmed = false;
  private clusterTimestamp = 0;
  private firstClusterSeen = false;
  /** Per track: the last two absolute block timestamps (timestamp-scale units), for the end time. */
  private readonly lastBlocks = new Map<number, [number, number]>();
  private broken: string | null = null;

  constructor() {
    // Keep DefaultDuration (we compute the duration ourselves) and stop ts-ebml warning on the console.
    this.reader.drop_default_duration = false;
    this.reader.logging = false;
    // Its per-cluster events compute a duration we do not use (and warn when there are no tracks).
    this.reader.use_segment_info = false;
  }

  /** Why the stream could not be indexed, once it could not (the recording stays playable, just not seekable). */
  get failure(): string | null {
    return this.broken;
  }

  feed(bytes: Uint8Array): void {
    if (this.broken || !this.decoder || bytes.length === 0) return;
    // not WebM at all (no EBML magic at the start): the decoder would only read garbage and warn on the console
    if (this.fed === 0 && this.headBytes === 0 && !(bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3)) {
      this.broken = 'the stream does not start with an EBML header (not WebM)';
      return;
    }
    if (!this.firstClusterSeen) {
      this.head.push(Buffer.from(bytes));
      this.headBytes += bytes.length;
    }
    try {
      // The decoder copies what it is given (Buffer.from), so the caller's chunk is not retained.
      const elements = this.decoder.decode(bytes as unknown as ArrayBuffer);
      this.fed += bytes.length;
      for (const el of elements) {
        this.consumed = Math.max(this.consumed, el.type === 'm' ? el.dataStart : el.dataEnd);
        this.read(el);
      }
    } catch (error) {
      this.fail(`WebM parse failed: ${safeReason(error)}`);
      return;
    }
    if (this.fed - this.consumed > MAX_PENDING_BYTES) this.fail(`a WebM element is larger than ${MAX_PENDING_BYTES} bytes`);
    else if (!this.firstClusterSeen && this.headBytes > MAX_HEADER_BYTES) this.fail('no WebM cluster within the first MiB');
    else if (this.firstClusterSeen && !this.headTrimmed) {
      // Keep just the header (a copy, so the chunk it came in can be freed).
      this.head = [Buffer.from(Buffer.concat(this.head).subarray(0, this.reader.metadataSize))];
      this.headTrimmed = true;
    }
  }

  private read(el: EBMLElementDetail): void {
    // ts-ebml console.warns the whole element (media bytes included) on unknown IDs: never hand them over.
    if (el.name === 'unknown') return;
    if (el.type === 'm' && el.name === 'Cluster' && !el.isEnd) {
      this.firstClusterSeen = true;
    } else if (el.type === 'u' && el.name === 'Timestamp' && this.firstClusterSeen) {
      this.clusterTimestamp = el.value;
    } else if (el.type === 'b' && (el.name === 'SimpleBlock' || el.name === 'Block')) {
      this.noteBlock(el.data);
    }
    this.reader.read(el);
    // After the header the reader only needs the element's position; drop the media bytes it would
    // otherwise keep until the next cluster starts.
    if (this.firstClusterSeen && el.type === 'b') {
      (el as { data: Buffer }).data = EMPTY;
      (el as { value: Buffer }).value = EMPTY;
    }
  }

  /** Block header: track number (EBML vint) then a signed 16-bit timestamp relative to the cluster. */
  private noteBlock(data: Buffer): void {
    const track = readVint(data, 0);
    if (!track || data.length < track.width + 2) return;
    const at = this.clusterTimestamp + data.readInt16BE(track.width);
    const last = this.lastBlocks.get(track.value);
    if (!last) this.lastBlocks.set(track.value, [at, at]);
    else if (at >= last[1]) this.lastBlocks.set(track.value, [last[1], at]);
  }

  /** The stream's duration: the latest block's time plus one frame interval of its track. */
  private durationUnits(): number {
    let end = 0;
    for (const [prev, last] of this.lastBlocks.values()) end = Math.max(end, last + Math.max(0, last - prev));
    return end;
  }

  get durationMs(): number {
    return Math.round((this.durationUnits() * this.reader.timestampScale) / 1e6);
  }

  /** Builds the replacement metadata; null (with `failure` set) when the stream cannot be made seekable. */
  finish(): SeekableResult | null {
    if (this.broken) return null;
    if (!this.firstClusterSeen) return this.fail('no WebM header and cluster found');
    try {
      this.reader.stop();
      const replacedBytes = this.reader.metadataSize;
      const head = Buffer.concat(this.head).subarray(0, replacedBytes);
      const start = (name: string) => this.reader.metadatas.find((m) => m.name === name && m.type === 'm' && !m.isEnd);
      const [ebml, info, tracks] = [start('EBML'), start('Info'), start('Tracks')];
      if (!ebml || !info || !tracks) return this.fail('no EBML header, Info or Tracks in the WebM header');
      if ([ebml, info, tracks].some((e) => e.dataEnd < 0 || e.dataEnd > head.length)) return this.fail('WebM header elements of unknown size');
      const infoChildren = children(head.subarray(info.dataStart, info.dataEnd));
      if (!infoChildren) return this.fail('unreadable WebM Info');
      if (this.reader.cues.length === 0) return this.fail('no cue points (no video or audio blocks)');
      const metadata = buildSeekableHeader({
        ebmlHeader: head.subarray(ebml.tagStart, ebml.dataEnd),
        info: element(IDS.Info, ...infoChildren.filter((c) => c.id !== 0x4489).map((c) => c.raw), element(IDS.Duration, float64(this.durationUnits()))),
        tracks: head.subarray(tracks.tagStart, tracks.dataEnd),
        cues: this.reader.cues,
        replacedBytes,
      });
      return { replacedBytes, metadata, durationMs: this.durationMs, cues: this.reader.cues.length };
    } catch (error) {
      return this.fail(`cannot build seekable metadata: ${safeReason(error)}`);
    }
  }

  private fail(reason: string): null {
    this.broken = reason;
    this.decoder = null; // releases whatever it buffered
    this.head = [];
    return null;
  }
}

/**
 * EBML header | Segment (unknown size) | SeekHead | Info | Tracks | Cues. Positions are relative to the
 * Segment's data; a cluster at old offset P lands at P − replacedBytes + (length of this metadata).
 * Sizes and positions depend on each other, so the layout is iterated until it is stable (2–3 rounds).
 */
function buildSeekableHeader(p: { ebmlHeader: Buffer; info: Buffer; tracks: Buffer; cues: readonly { CueTrack: number; CueClusterPosition: number; CueTime: number }[]; replacedBytes: number }): Buffer {
  const segmentData = p.ebmlHeader.length + IDS.Segment.length + UNKNOWN_SIZE.length;
  const seek = (id: Buffer, position: number) => element(IDS.Seek, element(IDS.SeekID, id), element(IDS.SeekPosition, uint(position)));
  let seekHead: Buffer = Buffer.alloc(0);
  let cues: Buffer = Buffer.alloc(0);
  for (let round = 0; round < 10; round++) {
    const infoAt = seekHead.length;
    const tracksAt = infoAt + p.info.length;
    const cuesAt = tracksAt + p.tracks.length;
    const shift = segmentData + cuesAt + cues.length - p.replacedBytes;
    const nextCues = element(
      IDS.Cues,
      ...p.cues.map((c) =>
        element(IDS.CuePoint, element(IDS.CueTime, uint(c.CueTime)), element(IDS.CueTrackPositions, element(IDS.CueTrack, uint(c.CueTrack)), element(IDS.CueClusterPosition, uint(c.CueClusterPosition + shift - segmentData)))),
      ),
    );
    const nextSeekHead = element(IDS.SeekHead, seek(IDS.Info, infoAt), seek(IDS.Tracks, tracksAt), seek(IDS.Cues, cuesAt));
    const stable = nextCues.length === cues.length && nextSeekHead.length === seekHead.length;
    cues = nextCues;
    seekHead = nextSeekHead;
    if (stable) return Buffer.concat([p.ebmlHeader, IDS.Segment, UNKNOWN_SIZE, seekHead, p.info, p.tracks, cues]);
  }
  throw new Error('seekable header layout did not converge');
}

const EMPTY = Buffer.alloc(0);

/** ts-ebml's messages can embed the bytes it choked on (hex dumps): keep only the words before them. */
function safeReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split(/[:\n]/)[0]!.replace(/[0-9a-f]{16,}/gi, '…').slice(0, 80);
}
