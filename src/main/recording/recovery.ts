import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { CaseStore } from '../caselog/store';
import type { Logger } from '../log/logger';
import { RecordFile, scan, sha256Hex, type ChunkIndex } from './chunk-reader';
import { ChunkWriter } from './chunk-writer';
import { encodeSeekHeader, FORMAT_NAME, headerLength, RECORD_KINDS } from './file-format';
import { describeIoError, type RecordingFileOps } from './file-ops';
import { rowToStatus, type RecordingRepo, type RecordingRow, type SealFields } from './recording-repo';
import { SealState } from './seal-state';
import type { RecordingStatus } from '../../shared/call';

export interface RecoveryDeps {
  store: CaseStore;
  repo: RecordingRepo;
  ops: RecordingFileOps;
  log: Logger;
  now: () => number;
  pathOf(row: RecordingRow): string;
  keyOf(row: RecordingRow): Buffer;
}

/**
 * Seals a recording that a crash left in 'recording' (run at startup, before any new recording).
 *
 * The file is the truth, the rows its index: a chunk is fsynced before its row is committed, so after a
 * crash the file may hold one more complete record than the rows (adopted: it is authentic, durable and
 * in sequence) and a torn tail (cut off). Rows whose records the file no longer holds in full (the file
 * was truncated) are dropped, keeping the readable prefix. A committed record that is all there but
 * does not verify is damage, not a crash: the recording is marked failed (CORRUPT_INPUT) and left as is.
 * What remains is made seekable like a normal stop. One sequential re-read; memory: one record.
 */
export function recoverRecording(deps: RecoveryDeps, row: RecordingRow): RecordingStatus {
  const { repo, log } = deps;
  const id = row.recording_id;
  const path = deps.pathOf(row);
  const rows = repo.chunks(id);
  if (!existsSync(path)) return finish(deps, row, { fail: 'IO_ERROR', why: 'the recording file is missing', state: new SealState(), end: 0, rows, adopted: [], seek: null });

  const key = deps.keyOf(row);
  const state = new SealState();
  const adopted: (ChunkIndex & { bytes: number })[] = [];
  let end: number;
  let stop: { reason: string; why?: string };
  const file = new RecordFile(path, id);
  try {
    const headerProblem = file.checkHeader();
    if (headerProblem) return finish(deps, row, { fail: 'CORRUPT_INPUT', why: headerProblem, state, end: 0, rows, adopted, seek: null });
    end = file.dataStart;
    stop = { reason: 'end' };
    for (const item of scan(file, key, end, 0)) {
      if (item.status === 'chunk') {
        const digest = sha256Hex(item.plaintext);
        const known = rows[item.seq];
        if (known && (known.offset !== item.offset || known.length !== item.length || known.sha256 !== digest)) {
          stop = { reason: 'invalid', why: `chunk seq ${item.seq} does not match its index row` };
          break;
        }
        if (!known) adopted.push({ seq: item.seq, offset: item.offset, length: item.length, sha256: digest, bytes: item.plaintext.length });
        state.add(item.plaintext, digest);
        end = item.offset + item.length;
      } else if (item.status === 'seekHeader') {
        // A stop that wrote its seek header but crashed before committing: rebuilt below.
        stop = { reason: 'end' };
        break;
      } else {
        stop = { reason: item.reason, why: item.why };
      }
    }
  } finally {
    file.close();
  }

  const readable = state.chunks;
  if (rows.length > readable && stop.reason === 'invalid') {
    // A committed chunk is all there but wrong: keep the evidence, do not cut.
    log.error({ recordingId: id, seq: readable, why: stop.why }, 'recording recovery: a committed chunk does not verify');
    return finish(deps, row, { fail: 'CORRUPT_INPUT', why: `chunk seq ${readable} does not verify`, state, end, rows, adopted, seek: null });
  }
  if (rows.length > readable) log.warn({ recordingId: id, kept: readable, dropped: rows.length - readable, why: stop.why }, 'recording recovery: the file ends before its last committed chunks');

  // Cut the torn tail, then make the readable prefix seekable like a normal stop.
  let seek: SealFields['seek'] = null;
  try {
    const writer = ChunkWriter.reopen(deps.ops, path, id, key, end);
    try {
      const meta = state.indexer.finish();
      if (meta) {
        const placed = writer.append(RECORD_KINDS.seekHeader, readable, encodeSeekHeader(meta.replacedBytes, meta.metadata));
        seek = { offset: placed.offset, length: placed.length };
        end = placed.offset + placed.length;
      }
    } finally {
      writer.close();
    }
  } catch (error) {
    log.warn({ recordingId: id, error: describeIoError(error) }, 'recording recovery: could not trim the tail or write the seekable header; the recording stays playable');
  }
  return finish(deps, row, { fail: null, why: stop.why, state, end, rows, adopted, seek });
}

function finish(
  deps: RecoveryDeps,
  row: RecordingRow,
  r: { fail: 'IO_ERROR' | 'CORRUPT_INPUT' | null; why: string | undefined; state: SealState; end: number; rows: ChunkIndex[]; adopted: (ChunkIndex & { bytes: number })[]; seek: SealFields['seek'] },
): RecordingStatus {
  const { store, repo } = deps;
  const id = row.recording_id;
  // A failed recording keeps its rows (the index of what was recorded); a sealed one matches its file.
  const keepAll = r.fail !== null;
  const chunks = keepAll ? Math.max(r.rows.length, r.state.chunks) : r.state.chunks;
  const digests = r.state.digests();
  const durationMs = r.state.chunks > 0 ? r.state.indexer.durationMs : null;
  const fields: SealFields = {
    state: r.fail ? 'failed' : 'stopped',
    errorCode: r.fail,
    stoppedAt: deps.now(),
    chunks,
    bytes: keepAll ? Math.max(row.bytes, r.state.bytes) : r.state.bytes,
    fileBytes: r.end,
    ...digests,
    durationMs,
    seek: r.seek,
  };
  const dropped = keepAll ? 0 : Math.max(0, r.rows.length - r.state.chunks);
  store.db.transaction(() => {
    for (const a of r.adopted) repo.insertChunk(id, a);
    if (dropped > 0) repo.deleteChunksFrom(id, r.state.chunks);
    repo.seal(id, fields);
    store.append({
      caseId: row.case_id,
      type: 'recording.recovered',
      actor: 'system',
      payload: {
        recordingId: id,
        callId: row.call_id,
        track: row.track,
        state: fields.state,
        errorCode: r.fail,
        reason: r.why ?? null,
        chunks,
        bytes: fields.bytes,
        sha256: digests.sha256,
        chunkListSha256: digests.chunkListSha256,
        durationMs,
        seekable: r.seek !== null,
        adoptedChunks: r.adopted.length,
        droppedChunks: dropped,
      },
    });
  })();
  deps.log.info({ recordingId: id, state: fields.state, chunks, adopted: r.adopted.length, dropped, seekable: r.seek !== null }, 'recording recovered');
  return rowToStatus(repo.get(id)!);
}

/**
 * Removes `.vdrs` files that no row knows and that hold nothing but a header: a crash between creating
 * the file and committing its row. A file with records is kept (and logged): it is someone's media.
 */
export function sweepOrphanFiles(deps: { repo: RecordingRepo; log: Logger; dataDir: string }, dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  const known = deps.repo.knownFiles();
  let removed = 0;
  for (const name of names) {
    const m = /^([0-9a-f-]{36})\.vdrs$/.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    if (known.has(relative(deps.dataDir, path)) || known.has(resolve(path))) continue;
    if (statSync(path).size <= headerLength(m[1]!)) {
      rmSync(path, { force: true });
      removed++;
    } else deps.log.warn({ file: name, format: FORMAT_NAME }, 'recording file without a database row kept');
  }
  return removed;
}
