/**
 * The keyed half of the case log's ledger (docs/caselog.md "What the log proves"). The keyless half — the
 * global position `gseq` and the running ledger hash — is in src/common/ledger.ts, shared with the server.
 *
 * - Every event carries a seal: HMAC(ledger key, its gseq, case, seq and chain hash). Anyone can recompute the
 *   chain hashes after editing an event; without the key they cannot recompute the seals.
 * - One head record (gseq, ledger hash, time, MAC) is rewritten with every append, in the same transaction, so
 *   cutting events off the tail — or writing around the ledger — leaves a head that does not match.
 */
import type Database from 'better-sqlite3';
import { canonicalJson } from '../../common/canonical';
import { hexEquals, hmacSha256Hex } from '../../common/hash';
import { LEDGER_GENESIS, ledgerStep } from '../../common/ledger';

export const SEAL_VERSION = 'veridesk-seal/1';
export const HEAD_VERSION = 'veridesk-head/1';

export interface SealInput {
  gseq: number;
  caseId: string;
  seq: number;
  hash: string;
}

export interface LedgerHead {
  gseq: number;
  ledgerHash: string;
  at: number;
  mac: string;
}

export function sealOf(key: Buffer, e: SealInput): string {
  return hmacSha256Hex(key, canonicalJson({ v: SEAL_VERSION, gseq: e.gseq, caseId: e.caseId, seq: e.seq, hash: e.hash }));
}

export function sealMatches(key: Buffer, e: SealInput & { seal: string | null | undefined }): boolean {
  return typeof e.seal === 'string' && hexEquals(sealOf(key, e), e.seal);
}

export function headMac(key: Buffer, h: Omit<LedgerHead, 'mac'>): string {
  return hmacSha256Hex(key, canonicalJson({ v: HEAD_VERSION, gseq: h.gseq, ledgerHash: h.ledgerHash, at: h.at }));
}

export function headMatches(key: Buffer, h: LedgerHead): boolean {
  return hexEquals(headMac(key, h), h.mac);
}

/** The position, ledger hash and seal of the next event: what an append adds on top of the chain hash. */
export interface LedgerEntry {
  gseq: number;
  ledgerHash: string;
  seal: string;
}

/** Reads and advances the head record; every call runs inside the caller's write transaction. */
export class LedgerWriter {
  private readonly readHead: Database.Statement;
  private readonly writeHead: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly key: Buffer,
  ) {
    this.readHead = db.prepare('SELECT gseq, ledger_hash AS ledgerHash, at, mac FROM ledger_head WHERE id = 1');
    this.writeHead = db.prepare(
      'INSERT INTO ledger_head (id, gseq, ledger_hash, at, mac) VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET gseq = excluded.gseq, ledger_hash = excluded.ledger_hash, at = excluded.at, mac = excluded.mac',
    );
  }

  head(): LedgerHead | null {
    return (this.readHead.get() as LedgerHead | undefined) ?? null;
  }

  /** Places one event at the next global position and moves the head onto it. */
  advance(e: { caseId: string; seq: number; hash: string; at: number }): LedgerEntry {
    const head = this.head();
    const gseq = (head?.gseq ?? 0) + 1;
    const ledgerHash = ledgerStep(head?.ledgerHash ?? LEDGER_GENESIS, gseq, e.hash);
    const seal = sealOf(this.key, { gseq, caseId: e.caseId, seq: e.seq, hash: e.hash });
    this.setHead({ gseq, ledgerHash, at: e.at });
    return { gseq, ledgerHash, seal };
  }

  setHead(h: Omit<LedgerHead, 'mac'>): void {
    this.writeHead.run(h.gseq, h.ledgerHash, h.at, headMac(this.key, h));
  }
}
