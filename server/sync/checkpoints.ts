/**
 * The server as the outside anchor of a workstation's ledger (DESIGN.md §7-§8, src/common/ledger.ts).
 *
 * Each sync batch from a ledger-aware client carries a signed checkpoint (gseq, ledgerHash). The server pins the
 * first signing key it sees per workstation, keeps every checkpoint, and refuses one that goes below the highest it
 * holds (a rolled-back log), that differs at the same position, or whose new events do not fold to its hash
 * (history rewritten by someone holding the case-log key). storeBatch (store-batch.ts) runs checkBatchLedger before
 * its transaction and the rest inside it, after the workstation's lock; only checkPositions and storeCheckpoint query.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { CaseEvent, Checkpoint, SyncBatch } from '../../src/shared/cases';
import { LEDGER_GENESIS, checkpointMessage, ledgerFold } from '../../src/common/ledger';
import type { Queryable } from '../db/database';
import { ApiError } from '../errors';
import { ledgerFoldFast } from './batch-encoding';

export interface LedgerHead {
  gseq: number;
  ledgerHash: string;
}

/** What the server holds for a workstation when a batch arrives. */
export interface LedgerState {
  /** The pinned signer's raw public key (base64), null before the first checkpoint. */
  signer: string | null;
  /** The highest checkpoint stored, null before the first. */
  latest: LedgerHead | null;
}

/** What the batch's checkpoint means against that state. */
export type CheckpointPlan =
  /** A batch from a client older than the ledger: no gseq, no checkpoint, nothing pinned. */
  | { kind: 'legacy' }
  /** The head the server already holds, re-affirmed (a held-back case released, or a resend). */
  | { kind: 'reaffirm'; checkpoint: Checkpoint; pin: boolean }
  /** A checkpoint beyond the latest: stored with the batch. */
  | { kind: 'advance'; checkpoint: Checkpoint; pin: boolean };

const invalid = (message: string, where: { caseId?: string; seq?: number } = {}) => new ApiError(422, 'CHECKPOINT_INVALID', message, where);
const fork = (message: string, where: { caseId?: string; seq?: number } = {}) => new ApiError(409, 'CHECKPOINT_FORK', message, where);

// An Ed25519 SubjectPublicKeyInfo is this fixed DER header followed by the raw 32-byte key.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const keyCache = new Map<string, KeyObject>();

function publicKeyOf(raw: string): KeyObject {
  let key = keyCache.get(raw);
  if (!key) {
    const bytes = Buffer.from(raw, 'base64');
    if (bytes.length !== 32) throw invalid('checkpoint publicKey is not a 32-byte Ed25519 key');
    key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, bytes]), format: 'der', type: 'spki' });
    // One key per workstation; the bound only keeps a flood of junk keys from growing the map.
    if (keyCache.size >= 10_000) keyCache.clear();
    keyCache.set(raw, key);
  }
  return key;
}

/**
 * The checks that need no database: the shape rules between events and checkpoint, and the signature. Run before
 * the transaction so the workstation's lock is not held while a bad batch is being refused.
 */
export function checkBatchLedger(workstation: string, batch: SyncBatch): void {
  const cp = batch.checkpoint;
  const seen = new Set<number>();
  for (const e of batch.events) {
    if (e.gseq === undefined) {
      if (cp) throw invalid(`case ${e.caseId} seq ${e.seq}: a batch with a checkpoint must give every event its gseq`, { caseId: e.caseId, seq: e.seq });
      continue;
    }
    if (!cp) throw invalid(`case ${e.caseId} seq ${e.seq}: events carry gseq but the batch has no checkpoint`, { caseId: e.caseId, seq: e.seq });
    if (e.gseq > cp.gseq) throw invalid(`case ${e.caseId} seq ${e.seq}: gseq ${e.gseq} is beyond the checkpoint at ${cp.gseq}`, { caseId: e.caseId, seq: e.seq });
    if (seen.has(e.gseq)) throw invalid(`case ${e.caseId} seq ${e.seq}: gseq ${e.gseq} is given to two events of the batch`, { caseId: e.caseId, seq: e.seq });
    seen.add(e.gseq);
  }
  if (!cp) return;
  // Signed over the workstation id the client knows (its own, sent in every batch): it cannot know the name its
  // token has here. The pinned key, not that name, ties the checkpoints to this token's workstation.
  const message = Buffer.from(checkpointMessage({ workstationId: batch.workstationId, gseq: cp.gseq, ledgerHash: cp.ledgerHash, at: cp.at }));
  if (!verifySignature(message, cp)) throw invalid(`checkpoint at gseq ${cp.gseq}: the signature does not verify for workstation id ${batch.workstationId} (token ${workstation})`);
}

/** False for a bad signature and for a key node:crypto cannot use (not a point on the curve). */
function verifySignature(message: Buffer, cp: Checkpoint): boolean {
  let key: KeyObject;
  try {
    key = publicKeyOf(cp.publicKey);
  } catch (error) {
    if (error instanceof ApiError) throw error;
    return false;
  }
  try {
    return verify(null, message, key, Buffer.from(cp.signature, 'base64'));
  } catch {
    return false;
  }
}

/** Signer pinning, no downgrade, and the checkpoint against the highest one held. */
export function planCheckpoint(state: LedgerState, batch: SyncBatch): CheckpointPlan {
  const cp = batch.checkpoint;
  if (!cp) {
    // Once a workstation has signed, an unsigned batch would let a rolled-back log slip past the anchor.
    if (state.signer) throw invalid('this workstation signs its checkpoints: a batch without a checkpoint is refused');
    return { kind: 'legacy' };
  }
  if (state.signer && state.signer !== cp.publicKey) throw new ApiError(409, 'SIGNER_MISMATCH', 'the checkpoint is signed by another key than the one pinned for this workstation');
  const pin = !state.signer;
  const latest = state.latest;
  if (latest && cp.gseq < latest.gseq) {
    throw new ApiError(409, 'CHECKPOINT_ROLLBACK', `checkpoint at gseq ${cp.gseq} is below the checkpoint the server holds at gseq ${latest.gseq}: the case log was rolled back`);
  }
  if (latest && cp.gseq === latest.gseq) {
    if (cp.ledgerHash !== latest.ledgerHash) throw fork(`checkpoint at gseq ${cp.gseq} differs from the one the server holds at that position: the ledger was rewritten`);
    return { kind: 'reaffirm', checkpoint: cp, pin };
  }
  return { kind: 'advance', checkpoint: cp, pin };
}

/**
 * The batch's new events against the positions the server holds: none may take a position another stored event
 * holds, and when they are exactly the run after the latest checkpoint their ledger must fold to the new one.
 * `fresh` are the events not already stored (duplicates were matched by case, seq and hash before).
 */
export async function checkPositions(tx: Queryable, workstation: string, plan: CheckpointPlan, latest: LedgerHead | null, fresh: readonly CaseEvent[]): Promise<void> {
  if (plan.kind === 'legacy' || fresh.length === 0) return;
  const base = latest ?? { gseq: 0, ledgerHash: LEDGER_GENESIS };
  // Every stored position is ≤ the latest checkpoint (a batch's events never pass its checkpoint), so only
  // events at or below it can collide; a fresh drain, all above, needs no lookup. The unique index
  // events_workstation_gseq is the backstop either way.
  const below = fresh.filter((e) => e.gseq! <= base.gseq);
  if (below.length > 0) {
    const { rows } = await tx.query<{ gseq: number; case_id: string; seq: number }>(
      'SELECT gseq, case_id, seq FROM events WHERE workstation = $1 AND gseq = ANY($2::bigint[]) ORDER BY gseq LIMIT 1',
      [workstation, below.map((e) => e.gseq)],
    );
    const held = rows[0];
    if (held) {
      const e = below.find((x) => x.gseq === Number(held.gseq))!;
      throw fork(`case ${e.caseId} seq ${e.seq}: gseq ${e.gseq} is already held by case ${held.case_id} seq ${Number(held.seq)}: the ledger was rewritten`, { caseId: e.caseId, seq: e.seq });
    }
  }
  const target = plan.checkpoint.gseq;
  if (fresh.length !== target - base.gseq) {
    // Not the whole run latest+1 … checkpoint (a case held back by the client and sent later, or events the
    // server already holds): the ledger cannot be recomputed from this batch alone. The signature, the pinned
    // key, monotonicity and the position uniqueness above still hold; the next contiguous batch re-anchors it.
    return;
  }
  const run = [...fresh].sort((a, b) => a.gseq! - b.gseq!);
  // Distinct (checked before), count equal to the span, all ≤ target: contiguous iff the first is latest+1.
  if (run[0]!.gseq !== base.gseq + 1) return;
  const positioned = run as { gseq: number; hash: string }[];
  // The fast fold only accepts; on a mismatch the shared ledgerFold decides (batch-encoding.ts).
  const matches = ledgerFoldFast(base.ledgerHash, positioned) === plan.checkpoint.ledgerHash || ledgerFold(base.ledgerHash, positioned) === plan.checkpoint.ledgerHash;
  if (!matches) {
    throw fork(`checkpoint at gseq ${target}: the events ${base.gseq + 1}…${target} do not fold to its ledger hash: history was rewritten before gseq ${target}`);
  }
}

/** Duplicates must sit where they were first stored: a known event at another position is a rewritten ledger. */
export function checkDuplicatePosition(sent: CaseEvent, storedGseq: number | null): void {
  // A legacy event (stored before the ledger) has no position to compare.
  if (storedGseq === null || sent.gseq === undefined || sent.gseq === storedGseq) return;
  throw fork(`case ${sent.caseId} seq ${sent.seq}: sent at gseq ${sent.gseq}, stored at gseq ${storedGseq}: the ledger was rewritten`, { caseId: sent.caseId, seq: sent.seq });
}

/** Pins the signer (first checkpoint) and stores a new checkpoint; a re-affirmed head stores nothing. */
export async function storeCheckpoint(tx: Queryable, workstation: string, plan: CheckpointPlan, batchId: string): Promise<void> {
  if (plan.kind === 'legacy') return;
  const cp = plan.checkpoint;
  if (plan.pin) await tx.query('INSERT INTO workstation_signers (workstation, public_key) VALUES ($1, $2)', [workstation, cp.publicKey]);
  if (plan.kind === 'advance') {
    await tx.query('INSERT INTO sync_checkpoints (workstation, gseq, ledger_hash, at, signature, batch_id) VALUES ($1, $2, $3, $4, $5, $6)', [workstation, cp.gseq, cp.ledgerHash, cp.at, cp.signature, batchId]);
  }
}
