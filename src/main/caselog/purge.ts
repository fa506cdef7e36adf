/**
 * Retention purge as crypto-shredding (DESIGN.md §7, docs/caselog.md "Purge"): each evidence item and each
 * recording has its own AES key, stored only wrapped by the data key. A purge destroys the wrapped key and the
 * ciphertext, overwrites and removes the recording files, then VACUUMs and truncates the WAL; the database runs
 * with secure_delete, so neither the freed pages nor the WAL keep the bytes. A copy of a file taken before the
 * purge no longer decrypts: its key is gone everywhere.
 */
import type Database from 'better-sqlite3';
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CaseEvent } from '../../shared/cases';
import { AppFailure } from '../../shared/errors';

export interface PurgeReport {
  cutoff: number;
  evidencePurged: number;
  recordingsPurged: number;
  cases: number;
  /** Milliseconds spent in the transaction, the file shredding and VACUUM + WAL truncation. */
  timings: { transactionMs: number; filesMs: number; compactMs: number };
}

export interface PurgeContext {
  db: Database.Database;
  dataDir: string;
  now: () => number;
  /** Appends an event inside the purge's transaction. */
  appendInTx: (input: { caseId: string; type: 'biometric.purged'; actor: string; at: number; payload: Record<string, unknown> }) => CaseEvent;
}

export function purgeBiometrics(ctx: PurgeContext, olderThanDays: number, actor = 'system'): PurgeReport {
  if (!(olderThanDays >= 0)) throw new AppFailure('INVALID_PAYLOAD', 'retention days must be ≥ 0');
  const now = ctx.now();
  const cutoff = now - olderThanDays * 86_400_000;
  const t0 = performance.now();
  const { files, ...counts } = purgeInTx(ctx, now, cutoff, olderThanDays, actor);
  const t1 = performance.now();
  // After commit: a crash in between leaves files whose keys are already gone; the next purge sweeps them.
  for (const f of [...files, ...purgedRecordingFiles(ctx)]) shredFile(f);
  const t2 = performance.now();
  if (counts.evidencePurged + counts.recordingsPurged > 0) compact(ctx.db);
  const t3 = performance.now();
  return { cutoff, ...counts, timings: { transactionMs: t1 - t0, filesMs: t2 - t1, compactMs: t3 - t2 } };
}

function purgeInTx(ctx: PurgeContext, now: number, cutoff: number, olderThanDays: number, actor: string) {
  const { db } = ctx;
  return db
    .transaction(() => {
      const evidence = db.prepare('SELECT evidence_id, case_id FROM evidence WHERE purged_at IS NULL AND created_at < ?').all(cutoff) as { evidence_id: string; case_id: string }[];
      // A recording still being written is left alone: it is purged once stopped or recovered.
      const recordings = db.prepare("SELECT recording_id, case_id, file FROM recordings WHERE purged_at IS NULL AND created_at < ? AND state <> 'recording'").all(cutoff) as {
        recording_id: string;
        case_id: string;
        file: string;
      }[];
      const perCase = new Map<string, { evidenceIds: string[]; recordingIds: string[] }>();
      const entry = (c: string) => {
        let e = perCase.get(c);
        if (!e) perCase.set(c, (e = { evidenceIds: [], recordingIds: [] }));
        return e;
      };
      const purgeEvidence = db.prepare('UPDATE evidence SET ciphertext = NULL, wrapped_key = NULL, purged_at = ? WHERE evidence_id = ?');
      for (const e of evidence) {
        purgeEvidence.run(now, e.evidence_id);
        entry(e.case_id).evidenceIds.push(e.evidence_id);
      }
      const purgeRecording = db.prepare('UPDATE recordings SET purged_at = ?, wrapped_key = NULL WHERE recording_id = ?');
      const dropChunks = db.prepare('DELETE FROM recording_chunks WHERE recording_id = ?');
      const files: string[] = [];
      for (const r of recordings) {
        purgeRecording.run(now, r.recording_id);
        dropChunks.run(r.recording_id);
        entry(r.case_id).recordingIds.push(r.recording_id);
        files.push(resolve(ctx.dataDir, r.file));
      }
      for (const [caseId, ids] of perCase) {
        ctx.appendInTx({ caseId, type: 'biometric.purged', actor, at: now, payload: { policyDays: olderThanDays, ...ids } });
      }
      return { files, evidencePurged: evidence.length, recordingsPurged: recordings.length, cases: perCase.size };
    })
    .immediate();
}

/** Files of recordings purged earlier that are still on disk (a crash between commit and removal). */
function purgedRecordingFiles(ctx: PurgeContext): string[] {
  const rows = ctx.db.prepare('SELECT file FROM recordings WHERE purged_at IS NOT NULL').all() as { file: string }[];
  return rows.map((r) => resolve(ctx.dataDir, r.file)).filter((f) => existsSync(f));
}

const ZEROS = Buffer.alloc(1 << 20);

/** Overwrites a file with zeros, flushes it, then removes it (the key is gone already; this is for the disk). */
export function shredFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch {
    rmSync(path, { force: true });
    return;
  }
  try {
    const size = fstatSync(fd).size;
    for (let offset = 0; offset < size; offset += ZEROS.length) writeSync(fd, ZEROS, 0, Math.min(ZEROS.length, size - offset), offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  rmSync(path, { force: true });
}

/** Rewrites the database without free pages and empties the WAL, so purged bytes survive in neither. */
function compact(db: Database.Database): void {
  db.exec('VACUUM');
  db.pragma('wal_checkpoint(TRUNCATE)');
}
