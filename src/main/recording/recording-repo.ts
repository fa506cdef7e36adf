import type Database from 'better-sqlite3';
import { RECORDING_STATES, RECORDING_TRACKS, type RecordingStatus, type RecordingTrack } from '../../shared/call';
import type { ChunkIndex } from './chunk-reader';

/** A row of `recordings` (migration 2). */
export interface RecordingRow {
  recording_id: string;
  case_id: string;
  call_id: string | null;
  track: string | null;
  mime_type: string | null;
  format: string;
  file: string;
  state: string;
  error_code: string | null;
  wrapped_key: Buffer | null;
  started_at: number | null;
  stopped_at: number | null;
  chunks: number;
  bytes: number;
  file_bytes: number;
  sha256: string | null;
  chunk_list_sha256: string | null;
  duration_ms: number | null;
  seek_offset: number | null;
  seek_length: number | null;
  created_at: number;
  purged_at: number | null;
}

export interface SealFields {
  state: 'stopped' | 'failed';
  errorCode: string | null;
  stoppedAt: number;
  chunks: number;
  bytes: number;
  fileBytes: number;
  sha256: string;
  chunkListSha256: string;
  durationMs: number | null;
  seek: { offset: number; length: number } | null;
}

export function rowToStatus(row: RecordingRow): RecordingStatus {
  const state = (RECORDING_STATES as readonly string[]).includes(row.state) ? (row.state as RecordingStatus['state']) : 'failed';
  const track = (RECORDING_TRACKS as readonly string[]).includes(row.track ?? '') ? (row.track as RecordingTrack) : 'customer';
  return {
    recordingId: row.recording_id,
    callId: row.call_id ?? '',
    caseId: row.case_id,
    track,
    state,
    chunks: row.chunks,
    bytes: row.bytes,
    ...(row.error_code ? { errorCode: row.error_code } : {}),
  };
}

/**
 * The recordings' SQL, kept out of CaseStore (which already does too many jobs). Runs on the case log's
 * connection so a recording's row and its case events commit in one transaction.
 */
export class RecordingRepo {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  insert(r: { recordingId: string; caseId: string; callId: string; track: RecordingTrack; mimeType: string; format: string; file: string; wrappedKey: Buffer; startedAt: number; fileBytes: number; createdAt: number }): void {
    this.stmt(
      `INSERT INTO recordings (recording_id, case_id, call_id, track, mime_type, format, file, state, wrapped_key, started_at, file_bytes, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'recording', ?, ?, ?, ?)`,
    ).run(r.recordingId, r.caseId, r.callId, r.track, r.mimeType, r.format, r.file, r.wrappedKey, r.startedAt, r.fileBytes, r.createdAt);
  }

  get(recordingId: string): RecordingRow | undefined {
    return this.stmt('SELECT * FROM recordings WHERE recording_id = ?').get(recordingId) as RecordingRow | undefined;
  }

  /** Oldest first; legacy whole-file rows included (format 'vdr1'). */
  list(caseId?: string): RecordingRow[] {
    return (caseId
      ? this.stmt('SELECT * FROM recordings WHERE case_id = ? ORDER BY created_at, rowid').all(caseId)
      : this.stmt('SELECT * FROM recordings ORDER BY created_at, rowid').all()) as RecordingRow[];
  }

  /** Rows a crash left in 'recording'. */
  unfinished(): RecordingRow[] {
    return this.stmt("SELECT * FROM recordings WHERE state = 'recording' AND purged_at IS NULL ORDER BY created_at").all() as RecordingRow[];
  }

  /** Sealed (stopped or recovered) chunked recordings not purged, oldest first: what the uploader sends (src/main/upload/). */
  sealed(format: string): RecordingRow[] {
    return this.stmt("SELECT * FROM recordings WHERE state = 'stopped' AND purged_at IS NULL AND format = ? ORDER BY created_at, rowid").all(format) as RecordingRow[];
  }

  knownFiles(): Set<string> {
    return new Set((this.stmt('SELECT file FROM recordings').all() as { file: string }[]).map((r) => r.file));
  }

  chunks(recordingId: string): ChunkIndex[] {
    return this.stmt('SELECT seq, file_offset AS offset, record_length AS length, sha256 FROM recording_chunks WHERE recording_id = ? ORDER BY seq').all(recordingId) as ChunkIndex[];
  }

  /** One committed chunk: its index row and the recording's counters, in one transaction. */
  addChunk(recordingId: string, chunk: ChunkIndex & { bytes: number }): void {
    this.db.transaction(() => {
      this.insertChunk(recordingId, chunk);
      this.stmt('UPDATE recordings SET chunks = chunks + 1, bytes = bytes + ?, file_bytes = ? WHERE recording_id = ?').run(chunk.bytes, chunk.offset + chunk.length, recordingId);
    })();
  }

  insertChunk(recordingId: string, chunk: ChunkIndex & { bytes: number }): void {
    this.stmt('INSERT INTO recording_chunks (recording_id, seq, file_offset, record_length, bytes, sha256) VALUES (?, ?, ?, ?, ?, ?)').run(
      recordingId,
      chunk.seq,
      chunk.offset,
      chunk.length,
      chunk.bytes,
      chunk.sha256,
    );
  }

  deleteChunksFrom(recordingId: string, seq: number): void {
    this.stmt('DELETE FROM recording_chunks WHERE recording_id = ? AND seq >= ?').run(recordingId, seq);
  }

  seal(recordingId: string, f: SealFields): void {
    this.stmt(
      `UPDATE recordings SET state = ?, error_code = ?, stopped_at = ?, chunks = ?, bytes = ?, file_bytes = ?, sha256 = ?, chunk_list_sha256 = ?,
         duration_ms = ?, seek_offset = ?, seek_length = ? WHERE recording_id = ?`,
    ).run(f.state, f.errorCode, f.stoppedAt, f.chunks, f.bytes, f.fileBytes, f.sha256, f.chunkListSha256, f.durationMs, f.seek?.offset ?? null, f.seek?.length ?? null, recordingId);
  }
}
