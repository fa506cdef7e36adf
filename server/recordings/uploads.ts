/**
 * The upload side of server recordings (docs/recording-upload.md), independent of HTTP:
 *
 *   begin     the workstation names the recording and its case; the server copies what the case log says the
 *             recording is (case-log.ts) into a row, with a fresh per-recording key
 *   putChunk  one chunk's plaintext, its sha256 recomputed and compared with the digest it came with, sealed
 *             under the recording's key and stored; a chunk already held with the same digest is a no-op
 *   complete  every chunk held, the chunk-list sha256 and the whole-plaintext sha256 equal to the case log's —
 *             checked on what storage gives back, not on what was received — then the upload is complete
 *
 * The state is all on the server (rows and objects), so a client that crashed, or another process of it,
 * resumes from `status`. Objects are written before their rows, so a row always points at a stored object.
 */
import { createHash } from 'node:crypto';
import type { Queryable } from '../db/database';
import { recordingInCaseLog } from './case-log';
import { newRecordingKey, openPart, RecordingDecryptError, sealPart, unwrapRecordingKey, type RecordingKeys } from './crypto';
import { RecordingApiError } from './errors';
import { chunkObjectKey, recordingPrefix, seekHeaderObjectKey } from './object-keys';
import { chunksOf, dropChunks, findChunk, findRecording, insertChunk, insertRecording, markComplete, setSeekHeader, type ChunkRow, type RecordingRow } from './repo';
import type { RecordingStorage } from './storage';

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
export const HEX64 = /^[0-9a-f]{64}$/;
/** EBML's magic: a seek header is a WebM header or it is not one. */
const EBML_MAGIC = Buffer.from([0x1a, 0x45, 0xdf, 0xa3]);

export interface UploadDeps {
  db: Queryable;
  storage: RecordingStorage;
  keys: () => RecordingKeys;
  now: () => number;
  /** Recordings older than this are not stored at all (retention would delete them at once). */
  retentionMs: number;
}

/** What GET …/status answers: enough for a client to resume. */
export interface UploadStatus {
  recordingId: string;
  caseId: string;
  state: RecordingRow['state'];
  chunks: number;
  bytes: number;
  seekable: boolean;
  /** The seqs the server holds, ascending. */
  held: number[];
  seekHeader: boolean;
}

export interface Caller {
  /** The workstation id (workstation tokens) or the token name (leads). */
  name: string;
  role: string;
}

export class RecordingUploads {
  constructor(private readonly deps: UploadDeps) {}

  async status(caller: Caller, recordingId: string): Promise<UploadStatus> {
    const row = await this.visibleRow(caller, recordingId);
    return this.statusOf(row);
  }

  private async statusOf(row: RecordingRow): Promise<UploadStatus> {
    const held = row.state === 'purged' ? [] : (await chunksOf(this.deps.db, row.recording_id)).map((c) => c.seq);
    return {
      recordingId: row.recording_id,
      caseId: row.case_id,
      state: row.state,
      chunks: row.chunks,
      bytes: row.bytes,
      seekable: row.seekable,
      held,
      seekHeader: row.seek_sha256 !== null,
    };
  }

  /** Idempotent. `created` when this call made the row. */
  async begin(caller: Caller, recordingId: string, caseId: string): Promise<{ status: UploadStatus; created: boolean }> {
    const { db } = this.deps;
    const { rows } = await db.query<{ workstation: string }>('SELECT workstation FROM cases WHERE case_id = $1', [caseId]);
    const owner = rows[0]?.workstation;
    if (owner === undefined) throw new RecordingApiError(409, 'NOT_SYNCED', `case ${caseId} is not on the server yet: its events are synced first`);
    if (owner !== caller.name) throw new RecordingApiError(403, 'CASE_OWNED_ELSEWHERE', `case ${caseId} belongs to another workstation`);
    const existing = await findRecording(db, recordingId);
    if (existing) {
      if (existing.workstation !== caller.name || existing.case_id !== caseId) throw new RecordingApiError(403, 'CASE_OWNED_ELSEWHERE', `recording ${recordingId} belongs to another case`);
      return { status: await this.statusOf(existing), created: false };
    }
    const verdict = await recordingInCaseLog(db, caseId, recordingId);
    if (verdict.kind === 'unknown' || verdict.kind === 'unsealed') {
      throw new RecordingApiError(409, 'NOT_SYNCED', `case ${caseId} has no ${verdict.kind === 'unknown' ? 'event of' : 'sealing event (recording.stopped) for'} recording ${recordingId} on the server yet`);
    }
    if (verdict.kind === 'failed') throw new RecordingApiError(409, 'RECORDING_FAILED', `recording ${recordingId} cannot be uploaded: ${verdict.why}`);
    const r = verdict.recording;
    const at = this.deps.now();
    // Already past retention: recorded as purged, nothing stored (the sweep would delete it at once).
    const expired = r.recordedAt <= at - this.deps.retentionMs;
    const { row, created } = await insertRecording(db, {
      recording_id: recordingId,
      case_id: caseId,
      workstation: caller.name,
      call_id: r.callId,
      track: r.track,
      mime_type: r.mimeType,
      state: expired ? 'purged' : 'uploading',
      chunks: r.chunks,
      bytes: r.bytes,
      sha256: r.sha256,
      chunk_list_sha256: r.chunkListSha256,
      seekable: r.seekable,
      duration_ms: r.durationMs,
      recorded_at: r.recordedAt,
      wrapped_key: expired ? null : newRecordingKey(this.deps.keys(), recordingId).wrapped,
      created_at: at,
      purged_at: expired ? at : null,
    });
    if (row.workstation !== caller.name || row.case_id !== caseId) throw new RecordingApiError(403, 'CASE_OWNED_ELSEWHERE', `recording ${recordingId} belongs to another case`);
    return { status: await this.statusOf(row), created };
  }

  /** 'stored': new; 'held': the same bytes were already there. */
  async putChunk(caller: Caller, recordingId: string, seq: number, bytes: Buffer, declaredSha256: string): Promise<'stored' | 'held'> {
    const row = await this.ownRow(caller, recordingId);
    if (!Number.isSafeInteger(seq) || seq < 0 || seq >= row.chunks) {
      throw new RecordingApiError(400, 'INVALID_PAYLOAD', `recording ${recordingId} has ${row.chunks} chunks (seq 0-${row.chunks - 1}); seq ${seq} is not one of them`);
    }
    const digest = sha256Hex(bytes);
    if (digest !== declaredSha256) throw new RecordingApiError(400, 'DIGEST_MISMATCH', `chunk ${seq} of recording ${recordingId} does not hash to the digest it was sent with`, { seq });
    const held = await findChunk(this.deps.db, recordingId, seq);
    if (held) return this.compareHeld(recordingId, held, digest);
    if (row.state !== 'uploading') throw new RecordingApiError(409, 'CHUNK_CONFLICT', `recording ${recordingId} is ${row.state}`);
    const key = this.keyOf(row);
    const objectKey = chunkObjectKey(recordingId, seq);
    await this.storageCall(() => this.deps.storage.put(objectKey, sealPart(key, recordingId, { kind: 'chunk', seq }, bytes)));
    if (await insertChunk(this.deps.db, recordingId, { seq, bytes: bytes.length, sha256: digest, object_key: objectKey })) return 'stored';
    // another request stored this seq meanwhile: ours is an extra object, theirs is the chunk
    await this.deps.storage.delete([objectKey]).catch(() => undefined);
    return this.compareHeld(recordingId, (await findChunk(this.deps.db, recordingId, seq))!, digest);
  }

  private compareHeld(recordingId: string, held: ChunkRow, digest: string): 'held' {
    if (held.sha256 !== digest) throw new RecordingApiError(409, 'CHUNK_CONFLICT', `chunk ${held.seq} of recording ${recordingId} is already held with other bytes`, { seq: held.seq });
    return 'held';
  }

  async putSeekHeader(caller: Caller, recordingId: string, metadata: Buffer, declaredSha256: string, replacedBytes: number): Promise<'stored' | 'held'> {
    const row = await this.ownRow(caller, recordingId);
    if (!row.seekable) throw new RecordingApiError(400, 'INVALID_PAYLOAD', `the case log says recording ${recordingId} is not seekable: it has no seek header`);
    const digest = sha256Hex(metadata);
    if (digest !== declaredSha256) throw new RecordingApiError(400, 'DIGEST_MISMATCH', `the seek header of recording ${recordingId} does not hash to the digest it was sent with`);
    // The case log has no digest of the seek header (it is derived from the chunks), so it is checked for what it
    // can be: a WebM header replacing a part of the recording's own start.
    if (!metadata.subarray(0, 4).equals(EBML_MAGIC)) throw new RecordingApiError(400, 'INVALID_PAYLOAD', 'a seek header is WebM (EBML) metadata');
    if (!Number.isSafeInteger(replacedBytes) || replacedBytes < 1 || replacedBytes > row.bytes) {
      throw new RecordingApiError(400, 'INVALID_PAYLOAD', `the seek header must replace 1-${row.bytes} bytes of the recording's start`);
    }
    if (row.seek_sha256 !== null) return this.compareSeek(row, digest, replacedBytes);
    if (row.state !== 'uploading') throw new RecordingApiError(409, 'CHUNK_CONFLICT', `recording ${recordingId} is ${row.state}`);
    const objectKey = seekHeaderObjectKey(recordingId);
    await this.storageCall(() => this.deps.storage.put(objectKey, sealPart(this.keyOf(row), recordingId, { kind: 'seekHeader' }, metadata)));
    if (await setSeekHeader(this.deps.db, recordingId, { object: objectKey, replaced: replacedBytes, bytes: metadata.length, sha256: digest })) return 'stored';
    await this.deps.storage.delete([objectKey]).catch(() => undefined);
    return this.compareSeek((await findRecording(this.deps.db, recordingId))!, digest, replacedBytes);
  }

  private compareSeek(row: RecordingRow, digest: string, replaced: number): 'held' {
    if (row.seek_sha256 !== digest || row.seek_replaced !== replaced) throw new RecordingApiError(409, 'CHUNK_CONFLICT', `recording ${row.recording_id} already holds another seek header`);
    return 'held';
  }

  /**
   * Completes the upload once it is exactly what the case log says. Reads every object back (one at a time) and
   * hashes the plaintext: an object storage lost or damaged is forgotten (409 INCOMPLETE, the client sends it
   * again), never completed over. Then deletes extra objects (lost races, crashes between put and row).
   */
  async complete(caller: Caller, recordingId: string, claimed: { sha256: string; chunkListSha256: string }): Promise<UploadStatus> {
    const { db, storage } = this.deps;
    const row = await this.ownRow(caller, recordingId);
    if (claimed.sha256 !== row.sha256 || claimed.chunkListSha256 !== row.chunk_list_sha256) {
      throw new RecordingApiError(409, 'DIGEST_MISMATCH', `the digests sent for recording ${recordingId} are not the ones its case log recorded (recording.stopped)`);
    }
    if (row.state === 'complete') return this.statusOf(row);
    const chunks = await chunksOf(db, recordingId);
    if (chunks.length !== row.chunks || (row.seekable && row.seek_sha256 === null)) {
      const have = new Set(chunks.map((c) => c.seq));
      const missing: number[] = [];
      for (let s = 0; s < row.chunks && missing.length < 100; s++) if (!have.has(s)) missing.push(s);
      throw new RecordingApiError(409, 'INCOMPLETE', `recording ${recordingId}: ${row.chunks - chunks.length} of ${row.chunks} chunks${row.seekable && row.seek_sha256 === null ? ' and the seek header' : ''} missing`, {
        missing,
        seekHeader: !row.seekable || row.seek_sha256 !== null,
      });
    }
    const list = createHash('sha256');
    for (const c of chunks) list.update(Buffer.from(c.sha256, 'hex'));
    const total = chunks.reduce((n, c) => n + c.bytes, 0);
    if (list.digest('hex') !== row.chunk_list_sha256 || total !== row.bytes) {
      throw new RecordingApiError(409, 'DIGEST_MISMATCH', `the chunks held for recording ${recordingId} do not make the recording its case log recorded`);
    }
    const key = this.keyOf(row);
    const whole = createHash('sha256');
    const lost: number[] = [];
    for (const c of chunks) {
      const plain = await this.readBack(key, recordingId, c);
      if (plain === null) lost.push(c.seq);
      else whole.update(plain);
    }
    if (lost.length > 0) {
      await dropChunks(db, recordingId, lost);
      throw new RecordingApiError(409, 'INCOMPLETE', `recording ${recordingId}: storage did not give back ${lost.length} chunk(s) intact; send them again`, { missing: lost.slice(0, 100), seekHeader: true });
    }
    if (whole.digest('hex') !== row.sha256) throw new RecordingApiError(409, 'DIGEST_MISMATCH', `the chunks of recording ${recordingId} verify one by one but not as a whole`);
    if (row.seek_object) {
      const sealed = await this.storageCall(() => storage.get(row.seek_object!));
      let ok = false;
      try {
        ok = sealed !== null && sha256Hex(openPart(key, recordingId, { kind: 'seekHeader' }, sealed)) === row.seek_sha256;
      } catch (error) {
        if (!(error instanceof RecordingDecryptError)) throw error;
      }
      if (!ok) {
        await db.query('UPDATE recordings SET seek_object = NULL, seek_replaced = NULL, seek_bytes = NULL, seek_sha256 = NULL WHERE recording_id = $1', [recordingId]);
        throw new RecordingApiError(409, 'INCOMPLETE', `recording ${recordingId}: storage did not give back the seek header intact; send it again`, { missing: [], seekHeader: false });
      }
    }
    const referenced = new Set([...chunks.map((c) => c.object_key), ...(row.seek_object ? [row.seek_object] : [])]);
    const extra = (await this.storageCall(() => storage.list(recordingPrefix(recordingId)))).filter((k) => !referenced.has(k));
    if (extra.length > 0) await this.storageCall(() => storage.delete(extra));
    await markComplete(db, recordingId, this.deps.now());
    return this.statusOf((await findRecording(db, recordingId))!);
  }

  private async readBack(key: Buffer, recordingId: string, c: ChunkRow): Promise<Buffer | null> {
    const sealed = await this.storageCall(() => this.deps.storage.get(c.object_key));
    if (sealed === null) return null;
    try {
      const plain = openPart(key, recordingId, { kind: 'chunk', seq: c.seq }, sealed);
      return sha256Hex(plain) === c.sha256 ? plain : null;
    } catch (error) {
      if (error instanceof RecordingDecryptError) return null;
      throw error;
    }
  }

  /** The caller's own recording (workstation tokens); purged ones are 410. */
  private async ownRow(caller: Caller, recordingId: string): Promise<RecordingRow> {
    const row = await findRecording(this.deps.db, recordingId);
    if (!row) throw new RecordingApiError(404, 'NOT_FOUND', `no upload of recording ${recordingId} was begun (POST …/upload first)`);
    if (caller.role !== 'workstation' || row.workstation !== caller.name) throw new RecordingApiError(403, 'CASE_OWNED_ELSEWHERE', `recording ${recordingId} belongs to another workstation`);
    if (row.state === 'purged') throw new RecordingApiError(410, 'PURGED', `recording ${recordingId} was deleted by retention`);
    return row;
  }

  /** Status is for the owner and for leads. */
  private async visibleRow(caller: Caller, recordingId: string): Promise<RecordingRow> {
    const row = await findRecording(this.deps.db, recordingId);
    if (!row) throw new RecordingApiError(404, 'NOT_FOUND', `the server has no recording ${recordingId}`);
    if (caller.role === 'workstation' && row.workstation !== caller.name) throw new RecordingApiError(403, 'CASE_OWNED_ELSEWHERE', `recording ${recordingId} belongs to another workstation`);
    return row;
  }

  private keyOf(row: RecordingRow): Buffer {
    if (!row.wrapped_key) throw new RecordingApiError(410, 'PURGED', `recording ${row.recording_id} was deleted by retention`);
    return unwrapRecordingKey(this.deps.keys(), row.recording_id, row.wrapped_key);
  }

  /** A storage that fails is the server's transient problem (503, retried), not the client's. */
  private async storageCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw new RecordingApiError(503, 'UNAVAILABLE', `recording storage failed: ${error instanceof Error ? error.message.slice(0, 200) : String(error)}`);
    }
  }
}
