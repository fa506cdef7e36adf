/**
 * The shift log in cases.db (tables of migration 6, ./shift-migration.ts): shifts started and ended, face checks,
 * policy changes — each event chained and sealed per shift (./shift-chain.ts). Synchronous like CaseStore, on the
 * same SQLite connection; every write is one transaction (event + head), so a crash never leaves a half-written row.
 */
import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { ShiftCheckSchema, SHIFT_END_REASONS, type Shift, type ShiftCheck, type ShiftEndReason, type ShiftHistoryEntry } from '../../shared/shift';
import { AppFailure } from '../../shared/errors';
import { SHIFT_GENESIS, shiftEventHash, shiftHeadMac, shiftSeal, verifyShiftChain, type ShiftChainVerdict, type ShiftEventRow } from './shift-chain';

export const SHIFT_EVENT_TYPES = ['shift.started', 'shift.ended', 'shift.face_check', 'shift.policy_changed'] as const;
export type ShiftEventType = (typeof SHIFT_EVENT_TYPES)[number];

interface ShiftRow {
  shift_id: string;
  agent_id: string;
  started_at: number;
  ended_at: number | null;
  end_reason: string | null;
  last_seq: number;
  last_hash: string;
  head_mac: string;
}

interface EventDbRow {
  shift_id: string;
  seq: number;
  type: string;
  at: number;
  payload: string;
  prev_hash: string;
  hash: string;
  seal: string;
}

const toEvent = (r: EventDbRow): ShiftEventRow => ({
  shiftId: r.shift_id,
  seq: r.seq,
  type: r.type,
  at: r.at,
  payload: JSON.parse(r.payload) as Record<string, unknown>,
  prevHash: r.prev_hash,
  hash: r.hash,
  seal: r.seal,
});

export class ShiftLog {
  private readonly now: () => number;

  constructor(
    private readonly db: Database.Database,
    /** The case log's ledger key (src/main/caselog/keys.ts): seals each event and each shift's head. */
    private readonly ledgerKey: Buffer,
    now?: () => number,
  ) {
    this.now = now ?? Date.now;
  }

  /** A new shift with its 'shift.started' event. */
  start(agentId: string, payload: Record<string, unknown> = {}): Shift {
    const shift: Shift = { shiftId: `shift-${randomUUID()}`, agentId, startedAt: this.now() };
    this.db.transaction(() => {
      const head = { shiftId: shift.shiftId, agentId, startedAt: shift.startedAt, lastSeq: 0, lastHash: SHIFT_GENESIS };
      this.db
        .prepare('INSERT INTO shifts (shift_id, agent_id, started_at, last_seq, last_hash, head_mac) VALUES (?, ?, ?, 0, ?, ?)')
        .run(shift.shiftId, agentId, shift.startedAt, SHIFT_GENESIS, shiftHeadMac(this.ledgerKey, head));
      this.write(shift.shiftId, 'shift.started', { agentId, ...payload }, shift.startedAt);
    })();
    return shift;
  }

  append(shiftId: string, type: ShiftEventType, payload: Record<string, unknown>): ShiftEventRow {
    return this.db.transaction(() => {
      const row = this.row(shiftId);
      if (row.ended_at !== null) throw new AppFailure('FORBIDDEN', `shift ${shiftId} has ended`);
      return this.write(shiftId, type, payload, this.now());
    })();
  }

  /** Ends a shift with its 'shift.ended' event (an ended shift stays as it is). */
  end(shiftId: string, reason: ShiftEndReason): void {
    this.db.transaction(() => {
      const row = this.row(shiftId);
      if (row.ended_at !== null) return;
      const at = this.now();
      this.write(shiftId, 'shift.ended', { reason }, at);
      this.db.prepare('UPDATE shifts SET ended_at = ?, end_reason = ? WHERE shift_id = ?').run(at, reason, shiftId);
    })();
  }

  /** Shifts never ended (the app was killed during one): closed at the next start. */
  openShifts(): Shift[] {
    const rows = this.db.prepare('SELECT shift_id, agent_id, started_at FROM shifts WHERE ended_at IS NULL ORDER BY started_at').all() as ShiftRow[];
    return rows.map((r) => ({ shiftId: r.shift_id, agentId: r.agent_id, startedAt: r.started_at }));
  }

  events(shiftId: string): ShiftEventRow[] {
    return (this.db.prepare('SELECT * FROM shift_events WHERE shift_id = ? ORDER BY seq').all(shiftId) as EventDbRow[]).map(toEvent);
  }

  verify(shiftId: string): ShiftChainVerdict {
    const row = this.row(shiftId);
    const head = { shiftId: row.shift_id, agentId: row.agent_id, startedAt: row.started_at, lastSeq: row.last_seq, lastHash: row.last_hash, headMac: row.head_mac };
    return verifyShiftChain(this.ledgerKey, head, this.events(shiftId));
  }

  /** The latest shifts (newest first), each with its face checks and its chain's verdict. */
  history(limit = 20, agentId?: string): ShiftHistoryEntry[] {
    const rows = (
      agentId === undefined
        ? this.db.prepare('SELECT * FROM shifts ORDER BY started_at DESC, rowid DESC LIMIT ?').all(limit)
        : this.db.prepare('SELECT * FROM shifts WHERE agent_id = ? ORDER BY started_at DESC, rowid DESC LIMIT ?').all(agentId, limit)
    ) as ShiftRow[];
    return rows.map((r) => {
      const checks: ShiftCheck[] = [];
      for (const e of this.events(r.shift_id)) {
        if (e.type !== 'shift.face_check') continue;
        const parsed = ShiftCheckSchema.safeParse(e.payload);
        if (parsed.success) checks.push(parsed.data);
      }
      const endReason = (SHIFT_END_REASONS as readonly string[]).includes(r.end_reason ?? '') ? (r.end_reason as ShiftEndReason) : null;
      return { shiftId: r.shift_id, agentId: r.agent_id, startedAt: r.started_at, endedAt: r.ended_at, endReason, checks, chain: this.verify(r.shift_id) };
    });
  }

  private row(shiftId: string): ShiftRow {
    const row = this.db.prepare('SELECT * FROM shifts WHERE shift_id = ?').get(shiftId) as ShiftRow | undefined;
    if (!row) throw new AppFailure('NOT_FOUND', `no shift ${shiftId}`);
    return row;
  }

  /** One event on top of the shift's chain and the head moved onto it; inside the caller's transaction. */
  private write(shiftId: string, type: ShiftEventType, payload: Record<string, unknown>, at: number): ShiftEventRow {
    const row = this.row(shiftId);
    const seq = row.last_seq + 1;
    const content = { shiftId, seq, type, at, payload, prevHash: row.last_hash };
    const hash = shiftEventHash(content);
    const seal = shiftSeal(this.ledgerKey, { shiftId, seq, hash });
    this.db.prepare('INSERT INTO shift_events (shift_id, seq, type, at, payload, prev_hash, hash, seal) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(shiftId, seq, type, at, JSON.stringify(payload), row.last_hash, hash, seal);
    const headMac = shiftHeadMac(this.ledgerKey, { shiftId, agentId: row.agent_id, startedAt: row.started_at, lastSeq: seq, lastHash: hash });
    this.db.prepare('UPDATE shifts SET last_seq = ?, last_hash = ?, head_mac = ? WHERE shift_id = ?').run(seq, hash, headMac, shiftId);
    return { ...content, hash, seal };
  }
}
