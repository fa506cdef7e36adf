import { createHash, randomUUID } from 'node:crypto';
import { GENESIS_HASH, SYNC_LIMITS, type CaseEvent, type SyncBatch, type SyncBatchResult } from '../../src/shared/cases';
import { canonicalJson } from '../../src/common/canonical';
import { verifyRun } from '../../src/common/chain';
import type { Queryable, ServerDb } from '../db/database';
import { ApiError } from '../errors';

export interface StoreBatchOptions {
  /** Test-only fault injection: sleep inside the transaction before COMMIT. */
  commitDelayMs?: number;
  /** Called when the injected delay starts (so a fault test knows the commit is in flight). */
  onCommitDelay?: () => void;
}

export interface StoreBatchOutcome {
  result: SyncBatchResult;
  replayed: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Verifies every case's chain in the batch against what is stored (no gaps, no forks, hashes
 * recompute) and stores the batch atomically, exactly once per idempotency key and per event.
 */
export async function storeBatch(db: ServerDb, workstation: string, idempotencyKey: string, batch: SyncBatch, options: StoreBatchOptions = {}): Promise<StoreBatchOutcome> {
  const bodyHash = createHash('sha256').update(canonicalJson(batch)).digest('hex');
  for (const e of batch.events) {
    if (Buffer.byteLength(canonicalJson(e.payload)) > SYNC_LIMITS.maxPayloadBytes) {
      throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `case ${e.caseId} seq ${e.seq}: event payload exceeds ${SYNC_LIMITS.maxPayloadBytes} bytes`, { caseId: e.caseId, seq: e.seq });
    }
  }
  // Group by case, keeping each case's events in the order sent (which must be ascending seq).
  const byCase = new Map<string, CaseEvent[]>();
  for (const e of batch.events) {
    const list = byCase.get(e.caseId) ?? [];
    const last = list[list.length - 1];
    if (last && e.seq <= last.seq) throw new ApiError(400, 'MALFORMED_BATCH', `case ${e.caseId}: events must be in ascending seq order (seq ${e.seq} after ${last.seq})`, { caseId: e.caseId, seq: e.seq });
    list.push(e);
    byCase.set(e.caseId, list);
  }

  return db.transaction(async (tx) => {
    // Serialize batches of one workstation across server instances.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [workstation]);
    const prior = await tx.query<{ body_hash: string; response: string }>('SELECT body_hash, response FROM sync_batches WHERE workstation = $1 AND idempotency_key = $2', [workstation, idempotencyKey]);
    const seen = prior.rows[0];
    if (seen) {
      if (seen.body_hash !== bodyHash) throw new ApiError(409, 'IDEMPOTENCY_KEY_REUSED', 'this idempotency key was already used for a different batch');
      return { result: JSON.parse(seen.response) as SyncBatchResult, replayed: true };
    }
    const batchId = randomUUID();
    let accepted = 0;
    let duplicates = 0;
    const cases: SyncBatchResult['cases'] = [];
    for (const [caseId, events] of byCase) {
      const { fresh, dup, head } = await checkCase(tx, workstation, caseId, events);
      duplicates += dup;
      if (fresh.length > 0) {
        await upsertCase(tx, workstation, caseId, head.exists, fresh);
        await insertEvents(tx, fresh, batchId);
        accepted += fresh.length;
      }
      const last = fresh[fresh.length - 1];
      cases.push({ caseId, lastSeq: last?.seq ?? head.seq, lastHash: last?.hash ?? head.hash });
    }
    const result: SyncBatchResult = { batchId, accepted, duplicates, cases };
    if (options.commitDelayMs) {
      options.onCommitDelay?.();
      await sleep(options.commitDelayMs);
    }
    await tx.query('INSERT INTO sync_batches (workstation, idempotency_key, body_hash, response) VALUES ($1, $2, $3, $4)', [workstation, idempotencyKey, bodyHash, JSON.stringify(result)]);
    return { result, replayed: false };
  });
}

async function checkCase(tx: Queryable, workstation: string, caseId: string, events: CaseEvent[]) {
  const { rows } = await tx.query<{ workstation: string; last_seq: number; last_hash: string }>('SELECT workstation, last_seq, last_hash FROM cases WHERE case_id = $1 FOR UPDATE', [caseId]);
  const row = rows[0];
  if (row && row.workstation !== workstation) throw new ApiError(403, 'CASE_OWNED_ELSEWHERE', `case ${caseId} belongs to another workstation`, { caseId });
  const head = { exists: Boolean(row), seq: Number(row?.last_seq ?? 0), hash: row?.last_hash ?? GENESIS_HASH };
  const known = events.filter((e) => e.seq <= head.seq);
  let dup = 0;
  if (known.length > 0) {
    const stored = await tx.query<{ seq: number; hash: string }>('SELECT seq, hash FROM events WHERE case_id = $1 AND seq = ANY($2::int[])', [caseId, known.map((e) => e.seq)]);
    const hashes = new Map(stored.rows.map((r) => [Number(r.seq), r.hash]));
    for (const e of known) {
      if (hashes.get(e.seq) !== e.hash) throw new ApiError(409, 'CHAIN_FORK', `case ${caseId} seq ${e.seq}: differs from the event already stored (forged or forked chain)`, { caseId, seq: e.seq });
      dup++;
    }
  }
  const fresh = events.filter((e) => e.seq > head.seq);
  const broken = verifyRun(fresh, { seq: head.seq, hash: head.hash });
  if (broken) throw new ApiError(422, broken.reason, broken.message, { caseId, seq: broken.seq });
  return { fresh, dup, head };
}

async function insertEvents(tx: Queryable, events: CaseEvent[], batchId: string): Promise<void> {
  for (let i = 0; i < events.length; i += 500) {
    const chunk = events.slice(i, i + 500);
    const params: unknown[] = [];
    const values = chunk.map((e) => {
      const b = params.length;
      params.push(e.caseId, e.seq, e.type, e.at, e.actor, canonicalJson(e.payload), e.prevHash, e.hash, batchId);
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8}, $${b + 9})`;
    });
    await tx.query(`INSERT INTO events (case_id, seq, type, at, actor, payload, prev_hash, hash, batch_id) VALUES ${values.join(', ')}`, params);
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Keeps the server's case summary (for the team-lead list) derived from the chained events. */
async function upsertCase(tx: Queryable, workstation: string, caseId: string, exists: boolean, fresh: CaseEvent[]): Promise<void> {
  const last = fresh[fresh.length - 1]!;
  const opened = fresh.find((e) => e.type === 'case.opened');
  const closed = fresh.find((e) => e.type === 'case.closed');
  if (!exists) {
    await tx.query(
      'INSERT INTO cases (case_id, workstation, agent_id, service_type, id_masked, id_hash, opened_at, last_seq, last_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [caseId, workstation, str(opened?.payload.agentId), str(opened?.payload.serviceType), str(opened?.payload.idNumberMasked), str(opened?.payload.idNumberHash), opened?.at ?? fresh[0]!.at, last.seq, last.hash],
    );
  } else {
    await tx.query('UPDATE cases SET last_seq = $2, last_hash = $3, updated_at = now() WHERE case_id = $1', [caseId, last.seq, last.hash]);
  }
  if (closed) await tx.query('UPDATE cases SET verdict = $2, closed_at = $3 WHERE case_id = $1', [caseId, str(closed.payload.verdict), closed.at]);
}
