import { GENESIS_HASH, type CaseEvent, type ChainBreak } from '../shared/cases';
import { canonicalJson } from './canonical';
import { sha256Hex } from './hash';

/** Version tag mixed into every hash, so a future encoding change cannot collide. */
export const CHAIN_VERSION = 'veridesk-event/1';

/** The chain hash covers the event's content and link; its global position and seal are bound by the ledger (./ledger.ts). */
export type UnhashedEvent = Omit<CaseEvent, 'hash' | 'gseq' | 'seal'>;

/** sha256 over the canonical encoding of everything in the event except `hash` itself. */
export function computeEventHash(event: UnhashedEvent): string {
  const body = canonicalJson({
    v: CHAIN_VERSION,
    caseId: event.caseId,
    seq: event.seq,
    type: event.type,
    at: event.at,
    actor: event.actor,
    payload: event.payload,
    prevHash: event.prevHash,
  });
  return sha256Hex(body);
}

export function sealEvent(event: UnhashedEvent): CaseEvent {
  return { ...event, hash: computeEventHash(event) };
}

/**
 * Checks a run of events of ONE case, in seq order, that continues after `head`
 * (`{ seq: 0, hash: GENESIS_HASH }` for a whole chain). Returns the first break or null.
 */
/** The breaks one case's chain alone can show (the ledger's own come from src/main/caselog/ledger-verify.ts). */
export type RunBreak = ChainBreak & { reason: 'CHAIN_GAP' | 'CHAIN_PREV_MISMATCH' | 'CHAIN_HASH_MISMATCH' };

export function verifyRun(events: readonly CaseEvent[], head: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH }): RunBreak | null {
  let prev = head;
  for (const e of events) {
    if (e.seq !== prev.seq + 1) {
      const missing = prev.seq + 1;
      return { caseId: e.caseId, seq: missing, reason: 'CHAIN_GAP', message: `case ${e.caseId}: event seq ${missing} is missing (next present is ${e.seq})` };
    }
    if (e.prevHash !== prev.hash) {
      return { caseId: e.caseId, seq: e.seq, reason: 'CHAIN_PREV_MISMATCH', message: `case ${e.caseId} seq ${e.seq}: prev_hash does not match the hash of seq ${prev.seq}` };
    }
    const actual = computeEventHash(e);
    if (actual !== e.hash) {
      return { caseId: e.caseId, seq: e.seq, reason: 'CHAIN_HASH_MISMATCH', message: `case ${e.caseId} seq ${e.seq}: content does not match its hash (edited)` };
    }
    prev = { seq: e.seq, hash: e.hash };
  }
  return null;
}
