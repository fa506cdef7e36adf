/**
 * What the uploader reads of the workstation's recordings: the sealed ones, and one recording's verified
 * plaintext chunk by chunk (src/main/recording/, docs/recording.md). Every chunk is decrypted and checked
 * against its row (GCM tag under its AAD, sha256) before it leaves: a damaged file is never uploaded as if
 * it were the recording.
 */
import { AppFailure } from '../../shared/errors';
import type { CaseStore } from '../caselog/store';
import { readChunk, type RecordFile } from '../recording/chunk-reader';
import { decodeSeekHeader, FORMAT_NAME, openRecord, RECORD_KINDS } from '../recording/file-format';
import { plaintextLength } from '../recording/playable-layout';
import { openRecordFile, type PlaybackSource } from '../recording/playback';
import { RecordingRepo } from '../recording/recording-repo';

/** A sealed recording as the case log describes it. */
export interface UploadCandidate {
  recordingId: string;
  caseId: string;
  chunks: number;
  bytes: number;
  sha256: string;
  chunkListSha256: string;
  seekable: boolean;
}

export interface OpenRecording {
  /** The sha256 of chunk `seq`'s plaintext, as recording_chunks has it. */
  digest(seq: number): string;
  /** Chunk `seq`'s plaintext length, from the index (nothing is read). */
  length(seq: number): number;
  /** Chunk `seq`'s plaintext, verified. */
  chunk(seq: number): Buffer;
  /** The seekable header (metadata and how many original bytes it replaces), or null when not seekable. */
  seekHeader(): { replacedBytes: number; metadata: Buffer } | null;
  close(): void;
}

export interface RecordingSource {
  /** Sealed recordings not purged, oldest first. */
  sealed(): UploadCandidate[];
  open(recordingId: string): OpenRecording;
  /** Local note that a recording is complete (or purged) on a backend: not asked about again. The truth is the backend's. */
  isDone(origin: string, recordingId: string): boolean;
  markDone(origin: string, recordingId: string, state: string): void;
}

/** The part of RecordingService the source reads (file, unwrapped key, chunk index). */
export interface PlaybackSources {
  playbackSource(recordingId: string): PlaybackSource;
}

const doneKey = (origin: string, recordingId: string) => `upload.done.${origin}.${recordingId}`;

export class LocalRecordingSource implements RecordingSource {
  private readonly repo: RecordingRepo;

  constructor(
    private readonly store: Pick<CaseStore, 'db' | 'getMeta' | 'setMeta'>,
    private readonly recordings: PlaybackSources,
  ) {
    this.repo = new RecordingRepo(store.db);
  }

  sealed(): UploadCandidate[] {
    return this.repo
      .sealed(FORMAT_NAME)
      .filter((r) => r.sha256 !== null && r.chunk_list_sha256 !== null)
      .map((r) => ({ recordingId: r.recording_id, caseId: r.case_id, chunks: r.chunks, bytes: r.bytes, sha256: r.sha256!, chunkListSha256: r.chunk_list_sha256!, seekable: r.seek_offset !== null }));
  }

  open(recordingId: string): OpenRecording {
    const src = this.recordings.playbackSource(recordingId);
    const file = openRecordFile(src);
    return new OpenLocalRecording(src, file);
  }

  isDone(origin: string, recordingId: string): boolean {
    return this.store.getMeta(doneKey(origin, recordingId)) !== null;
  }

  markDone(origin: string, recordingId: string, state: string): void {
    this.store.setMeta(doneKey(origin, recordingId), JSON.stringify({ state, at: Date.now() }));
  }
}

class OpenLocalRecording implements OpenRecording {
  constructor(
    private readonly src: PlaybackSource,
    private readonly file: RecordFile,
  ) {}

  private row(seq: number) {
    const row = this.src.chunks[seq];
    if (!row || row.seq !== seq) throw new AppFailure('CORRUPT_INPUT', `recording ${this.src.recordingId}: chunk seq ${seq} is not in its index`);
    return row;
  }

  digest(seq: number): string {
    return this.row(seq).sha256;
  }

  length(seq: number): number {
    return plaintextLength(this.row(seq));
  }

  chunk(seq: number): Buffer {
    const plain = readChunk(this.file, this.src.key, this.row(seq));
    if (!plain) throw new AppFailure('CORRUPT_INPUT', `recording ${this.src.recordingId}: the file ends inside chunk seq ${seq}`);
    return plain;
  }

  seekHeader(): { replacedBytes: number; metadata: Buffer } | null {
    if (!this.src.seek) return null;
    const raw = this.file.at(this.src.seek.offset);
    const plain = raw.status === 'ok' ? openRecord(this.src.key, this.src.recordingId, RECORD_KINDS.seekHeader, this.src.seek.chunks, raw.record) : null;
    const header = plain && decodeSeekHeader(plain);
    if (!header) throw new AppFailure('CORRUPT_INPUT', `recording ${this.src.recordingId}: the seekable header record does not verify`);
    return header;
  }

  close(): void {
    this.file.close();
  }
}
