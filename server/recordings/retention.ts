/**
 * Server-side retention of recordings (DESIGN.md §7): a recording older than the retention period — by the
 * earlier of when it was recorded (its sealing event) and when the server first saw it, so neither a late
 * upload nor a workstation clock ahead of time keeps it longer — is purged in two steps:
 *
 *   1. one UPDATE: state 'purged', purged_at set, wrapped_key NULL (crypto-shredded: from this commit on no
 *      object of it can be decrypted, even one storage keeps), its chunk rows deleted;
 *   2. its objects deleted from storage, then objects_deleted set.
 *
 * A crash or a storage failure between the two leaves a purged row with objects_deleted false, which the next
 * sweep finishes. The row itself stays: the case log still says a recording existed and when it was purged.
 * Every instance may sweep; both steps are idempotent.
 */
import type { ServerDb } from '../db/database';
import { recordingPrefix } from './object-keys';
import type { RecordingStorage } from './storage';

export interface SweepDeps {
  db: ServerDb;
  storage: RecordingStorage;
  now: () => number;
  retentionMs: number;
  /** Recordings purged per sweep at most (the rest wait for the next one). */
  batch?: number;
}

export interface SweepResult {
  purged: string[];
  /** Recordings whose objects were deleted in this sweep (this one's and earlier sweeps' leftovers). */
  deleted: number;
  /** Deletions storage refused; retried at the next sweep. */
  failed: number;
}

export async function sweepRecordings(deps: SweepDeps): Promise<SweepResult> {
  const at = deps.now();
  const cutoff = at - deps.retentionMs;
  const batch = deps.batch ?? 500;
  const purged = await deps.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ recording_id: string }>(
      `UPDATE recordings SET state = 'purged', purged_at = $1, wrapped_key = NULL
       WHERE recording_id IN (SELECT recording_id FROM recordings WHERE purged_at IS NULL AND LEAST(created_at, recorded_at) <= $2 ORDER BY created_at LIMIT $3)
       RETURNING recording_id`,
      [at, cutoff, batch],
    );
    const ids = rows.map((r) => r.recording_id);
    if (ids.length > 0) await tx.query('DELETE FROM recording_chunks WHERE recording_id = ANY($1::text[])', [ids]);
    return ids;
  });
  const { rows: pending } = await deps.db.query<{ recording_id: string }>(
    'SELECT recording_id FROM recordings WHERE purged_at IS NOT NULL AND objects_deleted = false ORDER BY purged_at LIMIT $1',
    [batch],
  );
  let deleted = 0;
  let failed = 0;
  for (const { recording_id: id } of pending) {
    try {
      await deps.storage.deletePrefix(recordingPrefix(id));
      await deps.db.query('UPDATE recordings SET objects_deleted = true WHERE recording_id = $1', [id]);
      deleted++;
    } catch {
      failed++;
    }
  }
  return { purged, deleted, failed };
}
