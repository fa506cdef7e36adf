/**
 * What the sync client takes from the case log (DESIGN.md §8): the outbox in write order with each batch's
 * signed checkpoint, the checkpoints each server acknowledged, and the cases set aside after a refusal.
 * Works on the store's connection; every method is synchronous like the store.
 */
import type Database from 'better-sqlite3';
import { sign, type KeyObject } from 'node:crypto';
import { checkpointMessage } from '../../common/ledger';
import type { CaseEvent, Checkpoint } from '../../shared/cases';
import { rowToEvent, type EventRow } from './event-row';

export interface HeldCase {
  caseId: string;
  server: string;
  code: string;
  message: string;
  seq: number | null;
  heldAt: number;
}

export interface OutboxBatch {
  outboxIds: number[];
  events: CaseEvent[];
  /** The signed ledger state to send with the batch; null when the batch is empty. */
  checkpoint: Checkpoint | null;
}

/** The raw 32-byte Ed25519 public key, base64 (the SPKI DER's last 32 bytes). */
export const rawPublicKey = (publicKey: KeyObject): string => publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');

export class SyncQueue {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly signer: { workstationId: string; signingKey: KeyObject; publicKey: KeyObject },
    private readonly now: () => number,
  ) {}

  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  /** Pending events, not counting held cases. */
  pendingCount(): number {
    return (this.stmt('SELECT count(*) AS n FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM sync_held h WHERE h.case_id = o.case_id)').get() as { n: number }).n;
  }

  heldCount(): number {
    return (this.stmt('SELECT count(*) AS n FROM sync_held').get() as { n: number }).n;
  }

  /**
   * The oldest pending events in write order (so each case's events stay in seq order), held cases left out,
   * with the checkpoint for `server`: the ledger at the batch's last position, or at the head that server
   * already acknowledged when that is further on (a released held case's events lie behind it), so the
   * checkpoints a server sees never go back.
   */
  nextBatch(limit: number, server?: string): OutboxBatch {
    const rows = this.stmt(
      'SELECT o.id AS outbox_id, e.* FROM outbox o JOIN events e ON e.case_id = o.case_id AND e.seq = o.seq WHERE NOT EXISTS (SELECT 1 FROM sync_held h WHERE h.case_id = o.case_id) ORDER BY o.id LIMIT ?',
    ).all(limit) as (EventRow & { outbox_id: number })[];
    const events = rows.map(rowToEvent);
    let gseq = 0;
    for (const r of rows) if (typeof r.gseq === 'number' && r.gseq > gseq) gseq = r.gseq;
    const acked = server ? this.acknowledged(server) : null;
    if (acked && acked.gseq > gseq && this.ledgerHashAt(acked.gseq) !== null) gseq = acked.gseq;
    return { outboxIds: rows.map((r) => r.outbox_id), events, checkpoint: gseq > 0 ? this.checkpointAt(gseq) : null };
  }

  /** The stored running ledger hash at a position (null when the position is not in the log). */
  ledgerHashAt(gseq: number): string | null {
    const row = this.stmt('SELECT ledger_hash FROM events WHERE gseq = ?').get(gseq) as { ledger_hash: string | null } | undefined;
    return row?.ledger_hash ?? null;
  }

  /**
   * The signed checkpoint at a position. Deterministic — its time is the event's own and Ed25519 signatures are
   * deterministic — so a batch resent after a crash has the very same body and the server replays its stored
   * answer for the idempotency key instead of refusing the key as reused.
   */
  checkpointAt(gseq: number): Checkpoint | null {
    const row = this.stmt('SELECT ledger_hash, at FROM events WHERE gseq = ?').get(gseq) as { ledger_hash: string | null; at: number } | undefined;
    if (!row?.ledger_hash) return null;
    const { ledger_hash: ledgerHash, at } = row;
    const message = checkpointMessage({ workstationId: this.signer.workstationId, gseq, ledgerHash, at });
    return {
      gseq,
      ledgerHash,
      at,
      signature: sign(null, Buffer.from(message, 'utf8'), this.signer.signingKey).toString('base64'),
      publicKey: rawPublicKey(this.signer.publicKey),
    };
  }

  /** Removes acknowledged events from the outbox (ids from nextBatch). */
  ack(outboxIds: readonly number[]): void {
    if (outboxIds.length === 0) return;
    // one statement for the whole batch: a DELETE per row was a tenth of a 10,000-case drain (bench:store)
    this.stmt('DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?))').run(JSON.stringify(outboxIds));
  }

  /**
   * A batch the server acknowledged: its outbox rows go and the server's checkpoint is kept, in one transaction
   * (one fsync per batch instead of two).
   */
  acknowledgeBatch(outboxIds: readonly number[], server: string, cp: { gseq: number; ledgerHash: string } | null | undefined): void {
    this.db.transaction(() => {
      this.ack(outboxIds);
      if (cp) this.acknowledgeCheckpoint(server, cp);
    })();
  }

  /** Keeps the furthest checkpoint a server acknowledged (verify holds the log to it). */
  acknowledgeCheckpoint(server: string, cp: { gseq: number; ledgerHash: string }): void {
    this.stmt(
      `INSERT INTO sync_acknowledged (server, gseq, ledger_hash, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (server) DO UPDATE SET gseq = excluded.gseq, ledger_hash = excluded.ledger_hash, at = excluded.at WHERE excluded.gseq >= sync_acknowledged.gseq`,
    ).run(server, cp.gseq, cp.ledgerHash, this.now());
  }

  acknowledged(server: string): { gseq: number; ledgerHash: string; at: number } | null {
    const row = this.stmt('SELECT gseq, ledger_hash AS ledgerHash, at FROM sync_acknowledged WHERE server = ?').get(server) as { gseq: number; ledgerHash: string; at: number } | undefined;
    return row ?? null;
  }

  allAcknowledged(): { server: string; gseq: number; ledgerHash: string; at: number }[] {
    return this.stmt('SELECT server, gseq, ledger_hash AS ledgerHash, at FROM sync_acknowledged ORDER BY server').all() as { server: string; gseq: number; ledgerHash: string; at: number }[];
  }

  /** Sets a case aside after a refusal a retry cannot fix; its events stay in the outbox, unsent. */
  holdCase(caseId: string, why: { server: string; code: string; message: string; seq?: number }): void {
    this.stmt(
      'INSERT INTO sync_held (case_id, server, code, message, seq, held_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (case_id) DO UPDATE SET server = excluded.server, code = excluded.code, message = excluded.message, seq = excluded.seq, held_at = excluded.held_at',
    ).run(caseId, why.server, why.code, why.message.slice(0, 2000), why.seq ?? null, this.now());
  }

  releaseCase(caseId: string): boolean {
    return this.stmt('DELETE FROM sync_held WHERE case_id = ?').run(caseId).changes > 0;
  }

  heldCases(): HeldCase[] {
    return this.stmt('SELECT case_id AS caseId, server, code, message, seq, held_at AS heldAt FROM sync_held ORDER BY held_at, case_id').all() as HeldCase[];
  }
}
