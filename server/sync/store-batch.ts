import { randomUUID } from 'node:crypto';
import { SYNC_LIMITS, type CaseEvent, type SyncBatch, type SyncBatchResult } from '../../src/shared/cases';
import { canonicalJson } from '../../src/common/canonical';
import type { Queryable, ServerDb } from '../db/database';
import { ApiError } from '../errors';
import type { CustomerRefLookup } from '../leads/ref-lookup';
import { batchBodyHash } from './batch-encoding';
import { insertEvents, upsertCases } from './batch-writes';
import { groupByCase, verifyCases } from './case-chains';
import { checkBatchLedger, checkPositions, planCheckpoint, storeCheckpoint, type LedgerState } from './checkpoints';

export interface StoreBatchOptions {
  /** Test-only fault injection: sleep inside the transaction before COMMIT. */
  commitDelayMs?: number;
  /** Called when the injected delay starts (so a fault test knows the commit is in flight). */
  onCommitDelay?: () => void;
  /** The server's customer-reference lookup (server/leads/ref-lookup.ts); without it new cases wait for its backfill. */
  customerRefLookup?: CustomerRefLookup;
}

export interface StoreBatchOutcome {
  result: SyncBatchResult;
  replayed: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// One round trip for everything the batch is judged against besides its cases: an earlier batch under the same
// idempotency key, the pinned signer, the highest checkpoint.
const READ_STATE = `
SELECT b.body_hash, b.response, s.public_key, c.gseq, c.ledger_hash
FROM (SELECT 1) AS one
LEFT JOIN sync_batches b ON b.workstation = $1 AND b.idempotency_key = $2
LEFT JOIN workstation_signers s ON s.workstation = $1
LEFT JOIN LATERAL (SELECT gseq, ledger_hash FROM sync_checkpoints WHERE workstation = $1 ORDER BY gseq DESC LIMIT 1) c ON true`;

interface StateRow {
  body_hash: string | null;
  response: string | null;
  public_key: string | null;
  gseq: number | null;
  ledger_hash: string | null;
}

/**
 * Verifies every case's chain in the batch against what is stored (no gaps, no forks, hashes recompute) and the
 * batch's signed checkpoint against the workstation's ledger the server holds (server/sync/checkpoints.ts), and
 * stores the batch atomically, exactly once per idempotency key and per event. A handful of queries per batch,
 * whatever its size: the drain's cost is the checks, not round trips (bench/store-drain.ts).
 */
export async function storeBatch(db: ServerDb, workstation: string, idempotencyKey: string, batch: SyncBatch, options: StoreBatchOptions = {}): Promise<StoreBatchOutcome> {
  // Each payload is serialized once: for the size limit, the body hash, the chain hashes and the stored row.
  const payloads = new Map<CaseEvent, string>();
  for (const e of batch.events) {
    const payload = canonicalJson(e.payload);
    if (Buffer.byteLength(payload) > SYNC_LIMITS.maxPayloadBytes) {
      throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `case ${e.caseId} seq ${e.seq}: event payload exceeds ${SYNC_LIMITS.maxPayloadBytes} bytes`, { caseId: e.caseId, seq: e.seq });
    }
    payloads.set(e, payload);
  }
  const bodyHash = batchBodyHash(batch, payloads);
  const byCase = groupByCase(batch.events);
  checkBatchLedger(workstation, batch);

  return db.transaction(async (tx) => {
    // Serialize batches of one workstation across server instances. Its own statement: a statement's snapshot
    // is taken when it starts, so reads in the same statement could miss what the previous holder committed.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [workstation]);
    const { seen, state } = await readState(tx, workstation, idempotencyKey);
    if (seen) {
      if (seen.bodyHash !== bodyHash) throw new ApiError(409, 'IDEMPOTENCY_KEY_REUSED', 'this idempotency key was already used for a different batch');
      return { result: JSON.parse(seen.response) as SyncBatchResult, replayed: true };
    }
    const plan = planCheckpoint(state, batch);
    const runs = await verifyCases(tx, workstation, byCase, payloads);
    const fresh = runs.flatMap((r) => r.fresh);
    await checkPositions(tx, workstation, plan, state.latest, fresh);

    const batchId = randomUUID();
    await upsertCases(tx, workstation, runs, options.customerRefLookup);
    await insertEvents(tx, workstation, batchId, fresh, payloads);
    await storeCheckpoint(tx, workstation, plan, batchId);
    const result: SyncBatchResult = {
      batchId,
      accepted: fresh.length,
      duplicates: runs.reduce((n, r) => n + r.duplicates, 0),
      cases: runs.map((r) => {
        const last = r.fresh[r.fresh.length - 1];
        return { caseId: r.caseId, lastSeq: last?.seq ?? r.head.seq, lastHash: last?.hash ?? r.head.hash };
      }),
      checkpoint: plan.kind === 'legacy' ? null : { gseq: plan.checkpoint.gseq, ledgerHash: plan.checkpoint.ledgerHash },
    };
    if (options.commitDelayMs) {
      options.onCommitDelay?.();
      await sleep(options.commitDelayMs);
    }
    await tx.query('INSERT INTO sync_batches (workstation, idempotency_key, body_hash, response) VALUES ($1, $2, $3, $4)', [workstation, idempotencyKey, bodyHash, JSON.stringify(result)]);
    return { result, replayed: false };
  }).catch((error: unknown) => {
    // The unique (workstation, gseq) index is the backstop behind checkPositions' lookup (pg and PGlite both name it).
    const dbError = error as { code?: string; constraint?: string };
    if (dbError.code === '23505' && dbError.constraint === 'events_workstation_gseq') {
      throw new ApiError(409, 'CHECKPOINT_FORK', 'an event of the batch takes a global position another stored event holds: the ledger was rewritten');
    }
    throw error;
  });
}

async function readState(tx: Queryable, workstation: string, idempotencyKey: string): Promise<{ seen: { bodyHash: string; response: string } | null; state: LedgerState }> {
  const row = (await tx.query<StateRow>(READ_STATE, [workstation, idempotencyKey])).rows[0]!;
  return {
    seen: row.body_hash !== null && row.response !== null ? { bodyHash: row.body_hash, response: row.response } : null,
    state: {
      signer: row.public_key,
      latest: row.gseq !== null && row.ledger_hash !== null ? { gseq: Number(row.gseq), ledgerHash: row.ledger_hash } : null,
    },
  };
}
