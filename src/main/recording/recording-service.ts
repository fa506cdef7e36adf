import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { MAX_RECORDING_CHUNK_BYTES, type RecordingStatus, type RecordingTrack } from '../../shared/call';
import { AppFailure } from '../../shared/errors';
import type { CaseStore } from '../caselog/store';
import type { Logger } from '../log/logger';
import { sha256Hex } from './chunk-reader';
import { ChunkWriter } from './chunk-writer';
import { encodeSeekHeader, FORMAT_NAME, RECORD_KINDS } from './file-format';
import { describeIoError, ioErrorCode, nodeFileOps, type RecordingFileOps } from './file-ops';
import { playableStream, type PlaybackSource, type PlaybackSummary } from './playback';
import { RecordingRepo, rowToStatus, type RecordingRow } from './recording-repo';
import { recoverRecording, sweepOrphanFiles } from './recovery';
import { SealState } from './seal-state';

export interface RecordingServiceOptions {
  store: CaseStore;
  /** Where `.vdrs` files go; default `store.recordingsDir` (`<db dir>/recordings`). */
  dir?: string;
  log: Logger;
  /** Fired on every state change (started, stopped, failed, recovered), not on every chunk. */
  onStatus?: (status: RecordingStatus) => void;
  /** Low-level writes, injectable for fault tests (ENOSPC, EIO). */
  fs?: RecordingFileOps;
  now?: () => number;
}

export interface StartRecordingInput {
  caseId: string;
  callId: string;
  track: RecordingTrack;
  mimeType: string;
  /** The shared start of both tracks (epoch ms), to align them on replay. */
  startedAt: number;
  actor: string;
}

/** A recording as the CLI and reviewers see it (more than the contract's RecordingStatus). */
export interface RecordingInfo extends Omit<RecordingStatus, 'track'> {
  /** null for a legacy whole-file recording. */
  track: RecordingTrack | null;
  format: string;
  mimeType: string | null;
  startedAt: number | null;
  stoppedAt: number | null;
  durationMs: number | null;
  sha256: string | null;
  seekable: boolean;
  purgedAt: number | null;
  createdAt: number;
}

interface Active {
  row: RecordingRow;
  key: Buffer;
  writer: ChunkWriter;
  seal: SealState;
  actor: string;
  failed: { code: 'DISK_FULL' | 'IO_ERROR'; message: string } | null;
}

const keyLabel = (recordingId: string) => `recording:${recordingId}`;

/**
 * Dual-track call recording in main (DESIGN.md §7, §8): one `.vdrs` file per track, written as the
 * renderer's MediaRecorder chunks arrive, each chunk encrypted on its own and durable before it is
 * acknowledged. See docs/recording.md for the file format, crash behaviour and memory bound.
 *
 * Synchronous on the write path on purpose: better-sqlite3 is synchronous, and a chunk must be fsynced
 * and indexed before the renderer is told it is stored. Consent is the caller's job (the contract handler).
 */
export class RecordingService {
  private readonly store: CaseStore;
  private readonly repo: RecordingRepo;
  private readonly dir: string;
  private readonly log: Logger;
  private readonly ops: RecordingFileOps;
  private readonly now: () => number;
  private readonly onStatus: (s: RecordingStatus) => void;
  private readonly active = new Map<string, Active>();

  constructor(opts: RecordingServiceOptions) {
    this.store = opts.store;
    this.repo = new RecordingRepo(opts.store.db);
    this.dir = resolve(opts.dir ?? opts.store.recordingsDir);
    this.log = opts.log;
    this.ops = opts.fs ?? nodeFileOps;
    this.now = opts.now ?? Date.now;
    this.onStatus = opts.onStatus ?? (() => {});
  }

  // ------------------------------------------------------------------ writing

  start(input: StartRecordingInput): RecordingStatus {
    // Checked before any file exists (the insert would refuse it too, less clearly).
    if (this.store.summary(input.caseId).status === 'closed') throw new AppFailure('INVALID_PAYLOAD', `case ${input.caseId} is closed`);
    // A renderer that reloads starts its recorders again: the old recording of that track is sealed first.
    for (const a of [...this.active.values()]) {
      if (a.row.call_id !== input.callId || a.row.track !== input.track) continue;
      try {
        this.finalize(a);
      } catch (error) {
        this.log.error({ recordingId: a.row.recording_id, error: describeIoError(error) }, 'cannot seal the previous recording of this track');
      }
    }
    const recordingId = randomUUID();
    const key = randomBytes(32);
    const path = join(this.dir, `${recordingId}.vdrs`);
    let writer: ChunkWriter;
    try {
      writer = ChunkWriter.create(this.ops, path, recordingId, key);
    } catch (error) {
      const code = ioErrorCode(error);
      this.log.error({ recordingId, callId: input.callId, track: input.track, error: describeIoError(error) }, 'cannot create recording file');
      throw new AppFailure(code, `cannot create the recording file: ${describeIoError(error)}`);
    }
    const at = this.now();
    const rel = relative(this.store.dataDir, path);
    try {
      this.store.db.transaction(() => {
        this.repo.insert({
          recordingId,
          caseId: input.caseId,
          callId: input.callId,
          track: input.track,
          mimeType: input.mimeType,
          format: FORMAT_NAME,
          file: isAbsolute(rel) ? path : rel,
          wrappedKey: this.store.wrapItemKey(key, keyLabel(recordingId)),
          startedAt: input.startedAt,
          fileBytes: writer.end,
          createdAt: at,
        });
        this.store.append({
          caseId: input.caseId,
          type: 'recording.started',
          actor: input.actor,
          at,
          payload: { recordingId, callId: input.callId, track: input.track, mimeType: input.mimeType, startedAt: input.startedAt, format: FORMAT_NAME },
        });
      })();
    } catch (error) {
      writer.close();
      rmSync(path, { force: true });
      if (error instanceof AppFailure) throw error;
      throw new AppFailure(ioErrorCode(error), `cannot register the recording: ${describeIoError(error)}`);
    }
    const a: Active = { row: this.repo.get(recordingId)!, key, writer, seal: new SealState(), actor: input.actor, failed: null };
    this.active.set(recordingId, a);
    this.log.info({ recordingId, caseId: input.caseId, callId: input.callId, track: input.track }, 'recording started');
    return this.emit(this.statusOf(a));
  }

  /**
   * Stores chunk `seq` (0, 1, 2 …). When it returns the chunk is written, fsynced and indexed.
   * Resending the last seq with the same bytes is a no-op (a retry after a lost reply); any other seq
   * than the next one is refused, so the stored stream never has holes.
   */
  appendChunk(recordingId: string, seq: number, bytes: Uint8Array): RecordingStatus {
    const a = this.active.get(recordingId);
    if (!a) throw this.notWritable(recordingId);
    if (a.failed) throw new AppFailure(a.failed.code, `recording ${recordingId} failed (${a.failed.message}); what was written stays readable, nothing more is stored`);
    if (bytes.length > MAX_RECORDING_CHUNK_BYTES) throw new AppFailure('PAYLOAD_TOO_LARGE', `recording chunk of ${bytes.length} bytes is over ${MAX_RECORDING_CHUNK_BYTES}`);
    if (!Number.isSafeInteger(seq) || seq < 0) throw new AppFailure('INVALID_PAYLOAD', `chunk seq must be a non-negative integer`);
    const next = a.seal.chunks;
    const digest = sha256Hex(bytes);
    if (seq === next - 1) {
      if (digest === a.seal.lastDigest) return this.statusOf(a);
      throw new AppFailure('INVALID_PAYLOAD', `recording ${recordingId}: chunk seq ${seq} was already stored with different bytes`);
    }
    if (seq !== next) {
      throw new AppFailure('INVALID_PAYLOAD', seq > next ? `recording ${recordingId}: chunk seq ${seq} leaves a gap (expected ${next})` : `recording ${recordingId}: chunk seq ${seq} is older than the last stored (${next - 1})`);
    }
    // File first (written + fsynced), then the row: a crash in between leaves an authentic trailing
    // record without a row, which recovery adopts. Never a row pointing at bytes that are not on disk.
    let placed: { offset: number; length: number };
    try {
      placed = a.writer.append(RECORD_KINDS.chunk, seq, bytes);
    } catch (error) {
      throw this.fail(a, error);
    }
    try {
      this.repo.addChunk(recordingId, { seq, offset: placed.offset, length: placed.length, sha256: digest, bytes: bytes.length });
    } catch (error) {
      a.writer.rollback(placed.offset);
      throw this.fail(a, error);
    }
    a.seal.add(bytes, digest);
    return this.statusOf(a);
  }

  /** Finalizes: writes the seekable header record, seals the row, appends 'recording.stopped'. Idempotent. */
  async stop(recordingId: string): Promise<RecordingStatus> {
    const a = this.active.get(recordingId);
    if (a) return this.finalize(a);
    const row = this.repo.get(recordingId);
    if (!row) throw new AppFailure('NOT_FOUND', `recording ${recordingId} does not exist`);
    if (row.state === 'recording') throw new AppFailure('UNAVAILABLE', `recording ${recordingId} is not being written by this process; recoverUnfinished() seals it`);
    return rowToStatus(row);
  }

  /** stop() without the promise, for synchronous callers (seeding synthetic data inside one transaction). */
  stopSync(recordingId: string): RecordingStatus {
    const a = this.active.get(recordingId);
    if (!a) throw this.notWritable(recordingId);
    return this.finalize(a);
  }

  async stopAllForCall(callId: string): Promise<void> {
    let first: unknown = null;
    for (const a of [...this.active.values()]) {
      if (a.row.call_id !== callId) continue;
      try {
        this.finalize(a);
      } catch (error) {
        this.log.error({ recordingId: a.row.recording_id, error: describeIoError(error) }, 'recording stop failed');
        first ??= error;
      }
      await yieldToEventLoop();
    }
    if (first) throw first;
  }

  /** Stops every recording this process writes (app shutdown). */
  async stopAll(): Promise<void> {
    for (const callId of new Set([...this.active.values()].map((a) => a.row.call_id ?? ''))) await this.stopAllForCall(callId);
  }

  private finalize(a: Active): RecordingStatus {
    const id = a.row.recording_id;
    this.active.delete(id);
    if (a.failed) {
      a.writer.close();
      return this.statusOf(a);
    }
    const meta = a.seal.indexer.finish();
    let seek: { offset: number; length: number } | null = null;
    if (meta) {
      try {
        seek = a.writer.append(RECORD_KINDS.seekHeader, a.seal.chunks, encodeSeekHeader(meta.replacedBytes, meta.metadata));
      } catch (error) {
        // Not fatal: the recording is complete and playable, only not seekable.
        this.log.warn({ recordingId: id, error: describeIoError(error) }, 'cannot write the seekable header; the recording stays playable');
      }
    } else if (a.seal.chunks > 0) {
      this.log.warn({ recordingId: id, why: a.seal.indexer.failure }, 'recording cannot be made seekable; it stays playable');
    }
    const digests = a.seal.digests();
    const durationMs = a.seal.chunks > 0 ? a.seal.indexer.durationMs : null;
    try {
      this.store.db.transaction(() => {
        this.repo.seal(id, {
          state: 'stopped',
          errorCode: null,
          stoppedAt: this.now(),
          chunks: a.seal.chunks,
          bytes: a.seal.bytes,
          fileBytes: a.writer.end,
          ...digests,
          durationMs,
          seek,
        });
        this.store.append({
          caseId: a.row.case_id,
          type: 'recording.stopped',
          actor: a.actor,
          payload: { recordingId: id, callId: a.row.call_id, track: a.row.track, chunks: a.seal.chunks, bytes: a.seal.bytes, ...digests, durationMs, seekable: seek !== null },
        });
      })();
    } catch (error) {
      // The row stays 'recording'; recoverUnfinished() seals it at the next start.
      a.writer.close();
      this.log.error({ recordingId: id, error: describeIoError(error) }, 'cannot seal the recording');
      throw new AppFailure(ioErrorCode(error), `cannot seal recording ${id}: ${describeIoError(error)}`);
    }
    a.writer.close();
    this.log.info({ recordingId: id, chunks: a.seal.chunks, bytes: a.seal.bytes, durationMs, seekable: seek !== null }, 'recording stopped');
    return this.emit(rowToStatus(this.repo.get(id)!));
  }

  /** A write failed: the recording is failed for good, what was committed stays valid and readable. */
  private fail(a: Active, error: unknown): AppFailure {
    const code = ioErrorCode(error);
    const message = describeIoError(error);
    a.failed = { code, message };
    const id = a.row.recording_id;
    try {
      a.writer.close();
    } catch {
      // the descriptor may be unusable already
    }
    const digests = a.seal.digests();
    try {
      this.store.db.transaction(() => {
        this.repo.seal(id, {
          state: 'failed',
          errorCode: code,
          stoppedAt: this.now(),
          chunks: a.seal.chunks,
          bytes: a.seal.bytes,
          fileBytes: a.writer.end,
          ...digests,
          durationMs: a.seal.chunks > 0 ? a.seal.indexer.durationMs : null,
          seek: null,
        });
        this.store.append({
          caseId: a.row.case_id,
          type: 'recording.failed',
          actor: 'system',
          payload: { recordingId: id, callId: a.row.call_id, track: a.row.track, errorCode: code, message, chunks: a.seal.chunks, bytes: a.seal.bytes, ...digests },
        });
      })();
    } catch (dbError) {
      // The database may be on the same full disk: the row stays 'recording' and recovery seals it later.
      this.log.error({ recordingId: id, error: describeIoError(dbError) }, 'cannot record the recording failure');
    }
    this.log.error({ recordingId: id, errorCode: code, error: message, chunks: a.seal.chunks }, 'recording failed');
    this.emit(this.statusOf(a));
    return new AppFailure(code, code === 'DISK_FULL' ? `the disk is full: recording ${id} stopped after ${a.seal.chunks} chunks, which stay readable` : `recording ${id} failed writing (${message}); ${a.seal.chunks} chunks stay readable`);
  }

  private notWritable(recordingId: string): AppFailure {
    const row = this.repo.get(recordingId);
    if (!row) return new AppFailure('NOT_FOUND', `recording ${recordingId} does not exist`);
    if (row.state === 'failed') {
      const code = row.error_code === 'DISK_FULL' ? 'DISK_FULL' : 'IO_ERROR';
      return new AppFailure(code, `recording ${recordingId} failed (${row.error_code ?? 'error'}); nothing more is stored`);
    }
    if (row.state === 'stopped') return new AppFailure('INVALID_PAYLOAD', `recording ${recordingId} is stopped`);
    return new AppFailure('UNAVAILABLE', `recording ${recordingId} is not being written by this process`);
  }

  // ------------------------------------------------------------------ recovery

  /**
   * At startup, before new recordings: seals every recording a crash left in 'recording' (see
   * recovery.ts) and removes header-only orphan files. Appends 'recording.recovered' for each.
   */
  recoverUnfinished(): RecordingStatus[] {
    const out: RecordingStatus[] = [];
    for (const row of this.repo.unfinished()) {
      if (this.active.has(row.recording_id)) continue;
      try {
        out.push(this.emit(recoverRecording({ store: this.store, repo: this.repo, ops: this.ops, log: this.log, now: this.now, pathOf: (r) => this.pathOf(r), keyOf: (r) => this.keyOf(r) }, row)));
      } catch (error) {
        this.log.error({ recordingId: row.recording_id, error: describeIoError(error) }, 'recording recovery failed; it is retried at the next start');
      }
    }
    sweepOrphanFiles({ repo: this.repo, log: this.log, dataDir: this.store.dataDir }, this.dir);
    return out;
  }

  // ------------------------------------------------------------------ reading

  /** The decrypted, chunk-verified WebM (seekable once finalized). Throws CORRUPT_INPUT naming a bad seq. */
  async readPlayable(recordingId: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    await this.streamPlayable(recordingId, (b) => void parts.push(b));
    return Buffer.concat(parts);
  }

  /**
   * Streams the playable WebM to `write`, one chunk at a time (memory: one record), yielding to the event
   * loop between chunks so a long recording does not stall main.
   */
  async streamPlayable(recordingId: string, write: (part: Buffer) => void): Promise<PlaybackSummary> {
    const row = this.repo.get(recordingId);
    if (!row) throw new AppFailure('NOT_FOUND', `recording ${recordingId} does not exist`);
    if (row.purged_at !== null) throw new AppFailure('NOT_FOUND', `recording ${recordingId} was purged by retention`);
    if (row.format !== FORMAT_NAME) {
      const legacy = this.store.readLegacyRecording(recordingId);
      if (!legacy) throw new AppFailure('NOT_FOUND', `recording ${recordingId} was purged by retention`);
      write(legacy);
      return { chunks: 1, complete: true, seekable: false };
    }
    const stream = playableStream(this.sourceOf(row));
    let n = 0;
    for (;;) {
      const r = stream.next();
      if (r.done) {
        if (!r.value.complete) this.log.warn({ recordingId, chunks: r.value.chunks, indexed: row.chunks }, 'recording file ends early; played up to the last complete chunk');
        return r.value;
      }
      write(r.value);
      if (++n % 16 === 0) await yieldToEventLoop();
    }
  }

  /**
   * Where a reader finds recording `id` (the review's range reader, src/main/review/recording-range.ts): its file,
   * its unwrapped key and its chunk index. NOT_FOUND when unknown, purged or a legacy whole-file recording.
   */
  playbackSource(recordingId: string): PlaybackSource {
    const row = this.repo.get(recordingId);
    if (!row || row.format !== FORMAT_NAME) throw new AppFailure('NOT_FOUND', `recording ${recordingId} does not exist`);
    if (row.purged_at !== null) throw new AppFailure('NOT_FOUND', `recording ${recordingId} was purged by retention`);
    return this.sourceOf(row);
  }

  private sourceOf(row: RecordingRow): PlaybackSource {
    return {
      recordingId: row.recording_id,
      path: this.pathOf(row),
      key: this.keyOf(row),
      chunks: this.repo.chunks(row.recording_id),
      // only a sealed recording has a whole-plaintext digest to check
      sha256: row.state !== 'recording' ? row.sha256 : null,
      seek: row.seek_offset !== null ? { offset: row.seek_offset, chunks: row.chunks } : null,
    };
  }

  /** Decrypts to a new file (never overwrites one); a failure leaves no partial file behind. */
  async exportPlayable(recordingId: string, outPath: string): Promise<PlaybackSummary & { bytes: number }> {
    const fd = openSync(outPath, 'wx', 0o600);
    let bytes = 0;
    try {
      const summary = await this.streamPlayable(recordingId, (part) => {
        let done = 0;
        while (done < part.length) done += writeSync(fd, part, done, part.length - done);
        bytes += part.length;
      });
      closeSync(fd);
      return { ...summary, bytes };
    } catch (error) {
      closeSync(fd);
      rmSync(outPath, { force: true });
      throw error;
    }
  }

  // ------------------------------------------------------------------ status

  status(recordingId: string): RecordingStatus {
    const a = this.active.get(recordingId);
    if (a) return this.statusOf(a);
    const row = this.repo.get(recordingId);
    if (!row || row.format !== FORMAT_NAME) throw new AppFailure('NOT_FOUND', `recording ${recordingId} does not exist`);
    return rowToStatus(row);
  }

  /** Call recordings (legacy whole-file ones are only in `info`), oldest first. */
  list(caseId?: string): RecordingStatus[] {
    return this.repo
      .list(caseId)
      .filter((r) => r.format === FORMAT_NAME)
      .map((r) => (this.active.has(r.recording_id) ? this.statusOf(this.active.get(r.recording_id)!) : rowToStatus(r)));
  }

  /** Every recording with its seal details (CLI, review). */
  info(caseId?: string): RecordingInfo[] {
    return this.repo.list(caseId).map((r) => this.infoOf(r));
  }

  /** One recording's details, or null when there is no such recording. */
  find(recordingId: string): RecordingInfo | null {
    const row = this.repo.get(recordingId);
    return row ? this.infoOf(row) : null;
  }

  private infoOf(r: RecordingRow): RecordingInfo {
    return {
      ...rowToStatus(r),
      track: r.format === FORMAT_NAME ? (r.track as RecordingTrack) : null,
      format: r.format,
      mimeType: r.mime_type,
      startedAt: r.started_at,
      stoppedAt: r.stopped_at,
      durationMs: r.duration_ms,
      sha256: r.sha256,
      seekable: r.seek_offset !== null,
      purgedAt: r.purged_at,
      createdAt: r.created_at,
    };
  }

  private statusOf(a: Active): RecordingStatus {
    return {
      recordingId: a.row.recording_id,
      callId: a.row.call_id ?? '',
      caseId: a.row.case_id,
      track: a.row.track as RecordingTrack,
      state: a.failed ? 'failed' : 'recording',
      chunks: a.seal.chunks,
      bytes: a.seal.bytes,
      ...(a.failed ? { errorCode: a.failed.code } : {}),
    };
  }

  private emit(status: RecordingStatus): RecordingStatus {
    try {
      this.onStatus(status);
    } catch (error) {
      this.log.warn({ recordingId: status.recordingId, error: describeIoError(error) }, 'recording status listener failed');
    }
    return status;
  }

  private pathOf(row: RecordingRow): string {
    return resolve(this.store.dataDir, row.file);
  }

  private keyOf(row: RecordingRow): Buffer {
    if (!row.wrapped_key) throw new AppFailure('NOT_FOUND', `recording ${row.recording_id} has no key (purged)`);
    return this.store.unwrapItemKey(row.wrapped_key, keyLabel(row.recording_id));
  }
}
