/**
 * The global ledger over every event of a workstation's case log (docs/caselog.md "What the log proves").
 *
 * Each event has, besides its per-case chain hash, a position `gseq` in one sequence across all cases
 * (1, 2, 3 … with no gaps), and the ledger hash runs over all of them in that order:
 *
 *   ledger_0 = GENESIS_HASH,   ledger_g = sha256(canonical { v, gseq: g, prev: ledger_{g-1}, event: hash_g })
 *
 * so one (gseq, ledgerHash) pair commits to the whole history up to g, in every case. That pair is what the
 * keyed head record keeps locally (src/main/caselog/ledger-store.ts) and what a sync batch's signed checkpoint
 * gives the server (server/sync/checkpoints.ts). Keyless on purpose: the server and a browser recompute it.
 * The keyed parts (the per-event seal, the head record's MAC) live in main, which holds the key.
 */
import { GENESIS_HASH } from '../shared/cases';
import { canonicalJson } from './canonical';
import { sha256Hex } from './hash';

export const LEDGER_VERSION = 'veridesk-ledger/1';
export const CHECKPOINT_VERSION = 'veridesk-checkpoint/1';

export const LEDGER_GENESIS = GENESIS_HASH;

/** The ledger hash after the event at position `gseq` whose chain hash is `eventHash`. */
export function ledgerStep(prevLedgerHash: string, gseq: number, eventHash: string): string {
  return sha256Hex(canonicalJson({ v: LEDGER_VERSION, gseq, prev: prevLedgerHash, event: eventHash }));
}

/** Folds a run of events (ascending, contiguous gseq) onto a ledger hash. */
export function ledgerFold(prevLedgerHash: string, events: readonly { gseq: number; hash: string }[]): string {
  let h = prevLedgerHash;
  for (const e of events) h = ledgerStep(h, e.gseq, e.hash);
  return h;
}

/** The exact bytes a workstation signs (Ed25519) for a checkpoint, and the server verifies. */
export function checkpointMessage(cp: { workstationId: string; gseq: number; ledgerHash: string; at: number }): string {
  return canonicalJson({ v: CHECKPOINT_VERSION, workstationId: cp.workstationId, gseq: cp.gseq, ledgerHash: cp.ledgerHash, at: cp.at });
}
