/** The SQL behind recording uploads (tables `recordings`, `recording_chunks`, migration 7). */
import type { Queryable } from '../db/database';

export type ServerRecordingState = 'uploading' | 'complete' | 'purged';

export interface RecordingRow {
  recording_id: string;
  case_id: string;
  workstation: string;
  call_id: string | null;
  track: string | null;
  mime_type: string;
  state: ServerRecordingState;
  chunks: number;
  bytes: number;
  sha256: string;
  chunk_list_sha256: string;
  seekable: boolean;
  duration_ms: number | null;
  recorded_at: number;
  wrapped_key: Uint8Array | null;
  seek_object: string | null;
  seek_replaced: number | null;
  seek_bytes: number | null;
  seek_sha256: string | null;
  created_at: number;
  completed_at: number | null;
  purged_at: number | null;
  objects_deleted: boolean;
}

export interface ChunkRow {
  seq: number;
  bytes: number;
  sha256: string;
  object_key: string;
}

export type NewRecording = Pick<
  RecordingRow,
  'recording_id' | 'case_id' | 'workstation' | 'call_id' | 'track' | 'mime_type' | 'state' | 'chunks' | 'bytes' | 'sha256' | 'chunk_list_sha256' | 'seekable' | 'duration_ms' | 'recorded_at' | 'wrapped_key' | 'created_at' | 'purged_at'
>;

// BIGINT columns come back as numbers from both drivers (server/db/database.ts parses int8).
const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toRow(r: Record<string, unknown>): RecordingRow {
  return {
    ...(r as unknown as RecordingRow),
    chunks: num(r.chunks),
    bytes: num(r.bytes),
    duration_ms: numOrNull(r.duration_ms),
    recorded_at: num(r.recorded_at),
    seek_replaced: numOrNull(r.seek_replaced),
    seek_bytes: numOrNull(r.seek_bytes),
    created_at: num(r.created_at),
    completed_at: numOrNull(r.completed_at),
    purged_at: numOrNull(r.purged_at),
  };
}

export async function findRecording(db: Queryable, recordingId: string): Promise<RecordingRow | null> {
  const { rows } = await db.query<Record<string, unknown>>('SELECT * FROM recordings WHERE recording_id = $1', [recordingId]);
  return rows[0] ? toRow(rows[0]) : null;
}

export async function recordingsOfCase(db: Queryable, caseId: string): Promise<RecordingRow[]> {
  const { rows } = await db.query<Record<string, unknown>>('SELECT * FROM recordings WHERE case_id = $1 ORDER BY recorded_at, recording_id', [caseId]);
  return rows.map(toRow);
}

/** Inserts the row unless one is there (two begins at once): the row that exists afterwards is returned. */
export async function insertRecording(db: Queryable, r: NewRecording): Promise<{ row: RecordingRow; created: boolean }> {
  const { rows } = await db.query<{ recording_id: string }>(
    `INSERT INTO recordings (recording_id, case_id, workstation, call_id, track, mime_type, state, chunks, bytes, sha256, chunk_list_sha256, seekable,
       duration_ms, recorded_at, wrapped_key, created_at, purged_at, objects_deleted)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
     ON CONFLICT (recording_id) DO NOTHING RETURNING recording_id`,
    [r.recording_id, r.case_id, r.workstation, r.call_id, r.track, r.mime_type, r.state, r.chunks, r.bytes, r.sha256, r.chunk_list_sha256, r.seekable,
      r.duration_ms, r.recorded_at, r.wrapped_key, r.created_at, r.purged_at, r.state === 'purged'],
  );
  return { row: (await findRecording(db, r.recording_id))!, created: rows.length > 0 };
}

export async function chunksOf(db: Queryable, recordingId: string): Promise<ChunkRow[]> {
  const { rows } = await db.query<ChunkRow>('SELECT seq, bytes, sha256, object_key FROM recording_chunks WHERE recording_id = $1 ORDER BY seq', [recordingId]);
  return rows.map((r) => ({ ...r, seq: num(r.seq), bytes: num(r.bytes) }));
}

export async function findChunk(db: Queryable, recordingId: string, seq: number): Promise<ChunkRow | null> {
  const { rows } = await db.query<ChunkRow>('SELECT seq, bytes, sha256, object_key FROM recording_chunks WHERE recording_id = $1 AND seq = $2', [recordingId, seq]);
  return rows[0] ? { ...rows[0], seq: num(rows[0].seq), bytes: num(rows[0].bytes) } : null;
}

/** The chunk's row, unless one is there already (then false: the caller compares digests). */
export async function insertChunk(db: Queryable, recordingId: string, c: ChunkRow): Promise<boolean> {
  const { rows } = await db.query(
    'INSERT INTO recording_chunks (recording_id, seq, bytes, sha256, object_key) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (recording_id, seq) DO NOTHING RETURNING seq',
    [recordingId, c.seq, c.bytes, c.sha256, c.object_key],
  );
  return rows.length > 0;
}

/** Forgets chunks whose objects storage did not give back intact: the client sends them again. */
export async function dropChunks(db: Queryable, recordingId: string, seqs: readonly number[]): Promise<void> {
  if (seqs.length > 0) await db.query('DELETE FROM recording_chunks WHERE recording_id = $1 AND seq = ANY($2::int[])', [recordingId, [...seqs]]);
}

/** Records the seek header unless one is there already (then false). */
export async function setSeekHeader(db: Queryable, recordingId: string, s: { object: string; replaced: number; bytes: number; sha256: string }): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE recordings SET seek_object = $2, seek_replaced = $3, seek_bytes = $4, seek_sha256 = $5
     WHERE recording_id = $1 AND seek_sha256 IS NULL AND state = 'uploading' RETURNING recording_id`,
    [recordingId, s.object, s.replaced, s.bytes, s.sha256],
  );
  return rows.length > 0;
}

export async function markComplete(db: Queryable, recordingId: string, at: number): Promise<void> {
  await db.query("UPDATE recordings SET state = 'complete', completed_at = $2 WHERE recording_id = $1 AND state = 'uploading'", [recordingId, at]);
}
