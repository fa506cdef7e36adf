/**
 * The shift log's own hash chain (not the case ledger: shift events are the agent's, have no case and are not synced,
 * so they must not take positions in the case log's global sequence that `cases verify` and the backend check).
 *
 * Per shift: each event's hash covers its content and the previous hash (SHA-256 over canonical JSON); each event's
 * seal is an HMAC with the case log's ledger key over (shift, seq, hash), so re-hashing an edited chain without the
 * key is caught; the shift row's head MAC covers the last seq and hash, so cutting events off the tail is caught too.
 */
import { canonicalJson } from '../../common/canonical';
import { hexEquals, hmacSha256Hex, sha256Hex } from '../../common/hash';

export const SHIFT_EVENT_VERSION = 'veridesk-shift-event/1';
export const SHIFT_SEAL_VERSION = 'veridesk-shift-seal/1';
export const SHIFT_HEAD_VERSION = 'veridesk-shift-head/1';
export const SHIFT_GENESIS = '0'.repeat(64);

export interface ShiftEventContent {
  shiftId: string;
  seq: number;
  type: string;
  at: number;
  payload: Record<string, unknown>;
  prevHash: string;
}

export interface ShiftEventRow extends ShiftEventContent {
  hash: string;
  seal: string;
}

export interface ShiftHead {
  shiftId: string;
  agentId: string;
  startedAt: number;
  lastSeq: number;
  lastHash: string;
}

export function shiftEventHash(e: ShiftEventContent): string {
  return sha256Hex(canonicalJson({ v: SHIFT_EVENT_VERSION, shiftId: e.shiftId, seq: e.seq, type: e.type, at: e.at, payload: e.payload, prevHash: e.prevHash }));
}

export function shiftSeal(key: Buffer, e: { shiftId: string; seq: number; hash: string }): string {
  return hmacSha256Hex(key, canonicalJson({ v: SHIFT_SEAL_VERSION, shiftId: e.shiftId, seq: e.seq, hash: e.hash }));
}

export function shiftHeadMac(key: Buffer, h: ShiftHead): string {
  return hmacSha256Hex(key, canonicalJson({ v: SHIFT_HEAD_VERSION, ...h }));
}

export type ShiftChainReason = 'SEQ_GAP' | 'PREV_MISMATCH' | 'HASH_MISMATCH' | 'SEAL_MISMATCH' | 'HEAD_MISMATCH';

export interface ShiftChainVerdict {
  ok: boolean;
  /** The seq of the first event that does not verify (for HEAD_MISMATCH: the head's last seq). */
  brokenAt: number | null;
  reason: ShiftChainReason | null;
}

/** Checks one shift's events (in seq order) and its head record. */
export function verifyShiftChain(key: Buffer, head: ShiftHead & { headMac: string }, events: readonly ShiftEventRow[]): ShiftChainVerdict {
  let prev = SHIFT_GENESIS;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const broken = (reason: ShiftChainReason): ShiftChainVerdict => ({ ok: false, brokenAt: e.seq, reason });
    if (e.seq !== i + 1 || e.shiftId !== head.shiftId) return broken('SEQ_GAP');
    if (e.prevHash !== prev) return broken('PREV_MISMATCH');
    if (!hexEquals(shiftEventHash(e), e.hash)) return broken('HASH_MISMATCH');
    if (!hexEquals(shiftSeal(key, e), e.seal)) return broken('SEAL_MISMATCH');
    prev = e.hash;
  }
  const { headMac, ...fields } = head;
  const last = events[events.length - 1];
  const headFits = head.lastSeq === events.length && head.lastHash === (last?.hash ?? SHIFT_GENESIS) && hexEquals(shiftHeadMac(key, fields), headMac);
  if (!headFits) return { ok: false, brokenAt: head.lastSeq, reason: 'HEAD_MISMATCH' };
  return { ok: true, brokenAt: null, reason: null };
}
