/**
 * The canonical encodings the sync path hashes (src/common/canonical.ts, chain.ts, ledger.ts), written out for the
 * fixed shapes of a batch so each event's payload is serialized once and reused for the body hash, the chain
 * hash and the stored row, and hashed with node:crypto. canonicalJson walks, sorts and joins every object anew:
 * on a 10,000-case drain that walk was the server's largest cost after the database.
 *
 * These are accelerators, not references: tests/unit/server/checkpoints.test.ts ("batch encodings") pins them byte for byte to
 * the shared functions, and the callers only ever accept through them; on any mismatch the shared function
 * decides (case-chains.ts, checkpoints.ts), so a drift here could cost speed, never a wrong verdict.
 */
import { createHash } from 'node:crypto';
import type { CaseEvent, SyncBatch } from '../../src/shared/cases';
import { canonicalJson } from '../../src/common/canonical';
import { CHAIN_VERSION } from '../../src/common/chain';
import { LEDGER_VERSION } from '../../src/common/ledger';

const str = JSON.stringify;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const CHAIN_V = str(CHAIN_VERSION);
const LEDGER_V = str(LEDGER_VERSION);

/** canonicalJson(e) for a batch event (keys in code-unit order; gseq and seal only when present). */
function canonicalEvent(e: CaseEvent, payload: string): string {
  return (
    `{"actor":${str(e.actor)},"at":${canonicalJson(e.at)},"caseId":${str(e.caseId)}` +
    (e.gseq === undefined ? '' : `,"gseq":${canonicalJson(e.gseq)}`) +
    `,"hash":${str(e.hash)},"payload":${payload},"prevHash":${str(e.prevHash)}` +
    (e.seal === undefined ? '' : `,"seal":${str(e.seal)}`) +
    `,"seq":${canonicalJson(e.seq)},"type":${str(e.type)}}`
  );
}

/** sha256(canonicalJson(batch)) given every event's canonical payload: the idempotency body hash. */
export function batchBodyHash(batch: SyncBatch, payloads: ReadonlyMap<CaseEvent, string>): string {
  const h = createHash('sha256');
  h.update(batch.checkpoint === undefined ? '{"events":[' : `{"checkpoint":${canonicalJson(batch.checkpoint)},"events":[`);
  batch.events.forEach((e, i) => h.update((i === 0 ? '' : ',') + canonicalEvent(e, payloads.get(e)!)));
  h.update(`],"workstationId":${str(batch.workstationId)}}`);
  return h.digest('hex');
}

/** computeEventHash(e) given its canonical payload. */
export function eventHash(e: CaseEvent, payload: string): string {
  return sha256(
    `{"actor":${str(e.actor)},"at":${canonicalJson(e.at)},"caseId":${str(e.caseId)},"payload":${payload},"prevHash":${str(e.prevHash)},"seq":${canonicalJson(e.seq)},"type":${str(e.type)},"v":${CHAIN_V}}`,
  );
}

/** ledgerFold(prev, events). */
export function ledgerFoldFast(prev: string, events: readonly { gseq: number; hash: string }[]): string {
  let h = prev;
  for (const e of events) h = sha256(`{"event":${str(e.hash)},"gseq":${canonicalJson(e.gseq)},"prev":${str(h)},"v":${LEDGER_V}}`);
  return h;
}
