import Database from 'better-sqlite3';
import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  CASE_STATUSES,
  GENESIS_HASH,
  type CaseDetail,
  type CaseEvent,
  type CaseListFilter,
  type CaseSummary,
  type ChainBreak,
  type EventType,
  type Review,
  type ReviewOutcome,
  type ServiceType,
  type Verdict,
} from '../../shared/cases';
import { AppFailure } from '../../shared/errors';
import { canonicalJson } from './canonical';
import { sealEvent, verifyRun } from './chain';
import { decrypt, encrypt } from './encryption';
import { hashIdNumber, maskIdNumber } from './id-number';
import type { KeyProvider } from './key-provider';
import { deriveKeys, type DerivedKeys } from './keys';
import { migrate } from './migrations';

export interface CaseStoreOptions {
  /** SQLite file; its directory also holds encrypted recordings. */
  path: string;
  keyProvider: KeyProvider;
  now?: () => number;
}

export interface OpenCaseInput {
  caseId?: string;
  agentId: string;
  serviceType: ServiceType;
  customerRef?: string | null;
  /** Raw ID number: only its mask and keyed hash are stored. */
  idNumber?: string | null;
  at?: number;
  /** Extra non-biometric context (e.g. the hand-over channel). */
  context?: Record<string, unknown>;
}

export interface AppendInput {
  caseId: string;
  type: EventType;
  actor: string;
  payload?: Record<string, unknown>;
  at?: number;
}

export interface VerifyReport {
  ok: boolean;
  casesChecked: number;
  eventsChecked: number;
  /** The first break of each broken case, in case-id order. */
  breaks: ChainBreak[];
}

export interface PurgeReport {
  cutoff: number;
  evidencePurged: number;
  recordingsPurged: number;
  cases: number;
}

interface CaseRow {
  case_id: string;
  agent_id: string;
  service_type: string;
  customer_ref: string | null;
  id_masked: string | null;
  status: string;
  verdict: string | null;
  opened_at: number;
  closed_at: number | null;
  last_seq: number;
  last_hash: string;
  review_outcome: string | null;
  close_summary?: string | null;
}

interface EventRow {
  case_id: string;
  seq: number;
  type: string;
  at: number;
  actor: string;
  payload: string;
  prev_hash: string;
  hash: string;
}

export const rowToEvent = (r: EventRow): CaseEvent => ({
  caseId: r.case_id,
  seq: r.seq,
  type: r.type as EventType,
  at: r.at,
  actor: r.actor,
  payload: JSON.parse(r.payload) as Record<string, unknown>,
  prevHash: r.prev_hash,
  hash: r.hash,
});

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * The local case log (DESIGN.md §7): SQLite in WAL mode, append-only hash-chained events,
 * encrypted biometric payloads and an outbox for sync. Synchronous, single connection.
 */
export class CaseStore {
  readonly db: Database.Database;
  readonly workstationId: string;
  private readonly keys: DerivedKeys;
  private readonly now: () => number;
  /** The database's directory: recording file names in the recordings table are relative to it. */
  readonly dataDir: string;
  /** Where recording files live by default (src/main/recording/). */
  readonly recordingsDir: string;
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(options: CaseStoreOptions) {
    this.now = options.now ?? Date.now;
    mkdirSync(dirname(options.path), { recursive: true });
    this.dataDir = resolve(dirname(options.path));
    this.recordingsDir = join(this.dataDir, 'recordings');
    this.keys = deriveKeys(options.keyProvider);
    this.db = new Database(options.path);
    if (process.platform !== 'win32') chmodSync(options.path, 0o600);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
      migrate(this.db);
      this.workstationId = this.ensureMeta('workstation_id', () => `ws-${randomUUID()}`);
      this.checkKey();
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  /** Prepared statements are compiled once and reused (hot paths: append, outbox). */
  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  static open(options: CaseStoreOptions): CaseStore {
    return new CaseStore(options);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private ensureMeta(key: string, make: () => string): string {
    const row = this.stmt('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    if (row) return row.value;
    const value = make();
    this.stmt('INSERT INTO meta (key, value) VALUES (?, ?)').run(key, value);
    return value;
  }

  /** A known ciphertext proves the key is the one the database was created with. */
  private checkKey(): void {
    const probe = this.stmt("SELECT value FROM meta WHERE key = 'key_check'").get() as { value: string } | undefined;
    if (!probe) {
      this.stmt("INSERT INTO meta (key, value) VALUES ('key_check', ?)").run(encrypt(this.keys.dataKey, Buffer.from('veridesk'), 'key-check').toString('base64'));
      return;
    }
    try {
      decrypt(this.keys.dataKey, Buffer.from(probe.value, 'base64'), 'key-check');
    } catch {
      throw new AppFailure('CORRUPT_INPUT', 'the case log key does not match this database (wrong key file or keystore entry)');
    }
  }

  getMeta(key: string): string | null {
    const row = this.stmt('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.stmt('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  get publicKey() {
    return this.keys.publicKey;
  }

  get signingKey() {
    return this.keys.signingKey;
  }

  idHash(idNumber: string): string {
    return hashIdNumber(this.keys.idHashKey, idNumber);
  }

  // ---------------------------------------------------------------- writing

  /** Runs many writes in one transaction (one fsync): imports, seeding, benchmarks. */
  batch<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  openCase(input: OpenCaseInput): CaseSummary {
    const caseId = input.caseId ?? randomUUID();
    const at = input.at ?? this.now();
    const idMasked = input.idNumber ? maskIdNumber(input.idNumber) : null;
    const idHash = input.idNumber ? this.idHash(input.idNumber) : null;
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO cases (case_id, agent_id, service_type, customer_ref, id_masked, id_hash, opened_at, last_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(caseId, input.agentId, input.serviceType, input.customerRef ?? null, idMasked, idHash, at, GENESIS_HASH);
      this.appendInTx({
        caseId,
        type: 'case.opened',
        actor: input.agentId,
        at,
        payload: {
          workstationId: this.workstationId,
          agentId: input.agentId,
          serviceType: input.serviceType,
          customerRef: input.customerRef ?? null,
          idNumberMasked: idMasked,
          idNumberHash: idHash,
          ...(input.context ? { context: input.context } : {}),
        },
      });
    }).immediate();
    return this.summary(caseId);
  }

  append(input: AppendInput): CaseEvent {
    return this.db.transaction(() => this.appendInTx(input)).immediate();
  }

  /** Many events in one transaction (fast path for imports and benchmarks). */
  appendMany(inputs: readonly AppendInput[]): CaseEvent[] {
    return this.db.transaction(() => inputs.map((i) => this.appendInTx(i))).immediate();
  }

  /**
   * The customer's ID number, known only during the call: the case keeps its mask and keyed hash (never the
   * number), and an 'id.recorded' event says so with whatever else the caller adds (masked name, birth date).
   */
  recordIdNumber(caseId: string, input: { idNumber: string; actor: string; payload?: Record<string, unknown>; at?: number }): CaseEvent {
    const idMasked = maskIdNumber(input.idNumber);
    const idHash = this.idHash(input.idNumber);
    return this.db
      .transaction(() => {
        this.stmt('UPDATE cases SET id_masked = ?, id_hash = ? WHERE case_id = ?').run(idMasked, idHash, caseId);
        return this.appendInTx({ caseId, type: 'id.recorded', actor: input.actor, at: input.at, payload: { ...input.payload, idNumberMasked: idMasked, idNumberHash: idHash } });
      })
      .immediate();
  }

  closeCase(caseId: string, input: { verdict: Verdict; actor: string; reasonCode?: string; summary?: Record<string, unknown>; at?: number }): CaseEvent {
    return this.db
      .transaction(() => {
        const event = this.appendInTx({
          caseId,
          type: 'case.closed',
          actor: input.actor,
          at: input.at,
          payload: { verdict: input.verdict, reasonCode: input.reasonCode ?? null, ...(input.summary ? { summary: input.summary } : {}) },
        });
        const s = input.summary;
        const line =
          s && typeof s.advice === 'string' && typeof s.decision === 'string'
            ? JSON.stringify({ advice: s.advice, decision: s.decision, against: s.against === true, reasonCode: input.reasonCode ?? null })
            : null;
        this.stmt("UPDATE cases SET status = 'closed', verdict = ?, closed_at = ?, close_summary = ? WHERE case_id = ?").run(input.verdict, event.at, line, caseId);
        return event;
      })
      .immediate();
  }

  private appendInTx(input: AppendInput): CaseEvent {
    const head = this.stmt('SELECT last_seq, last_hash, status FROM cases WHERE case_id = ?').get(input.caseId) as
      | { last_seq: number; last_hash: string; status: string }
      | undefined;
    if (!head) throw new AppFailure('NOT_FOUND', `case ${input.caseId} does not exist`);
    // A recording can end (stop, fail, crash recovery) after the agent closed the case: those are facts too.
    const allowedAfterClose: EventType[] = ['biometric.purged', 'review.received', 'note.added', 'case.escalated', 'recording.stopped', 'recording.failed', 'recording.recovered'];
    if (head.status === 'closed' && !allowedAfterClose.includes(input.type)) {
      throw new AppFailure('INVALID_PAYLOAD', `case ${input.caseId} is closed`);
    }
    const payload = input.payload ?? {};
    const payloadText = canonicalJson(payload);
    const event = sealEvent({
      caseId: input.caseId,
      seq: head.last_seq + 1,
      type: input.type,
      at: input.at ?? this.now(),
      actor: input.actor,
      payload: JSON.parse(payloadText) as Record<string, unknown>,
      prevHash: head.last_hash,
    });
    this.db
      .prepare('INSERT INTO events (case_id, seq, type, at, actor, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(event.caseId, event.seq, event.type, event.at, event.actor, payloadText, event.prevHash, event.hash);
    this.stmt('UPDATE cases SET last_seq = ?, last_hash = ? WHERE case_id = ?').run(event.seq, event.hash, event.caseId);
    this.stmt('INSERT INTO outbox (case_id, seq, created_at) VALUES (?, ?, ?)').run(event.caseId, event.seq, this.now());
    return event;
  }

  /** Stores a biometric blob (frame, face crop, embedding) encrypted; the chain records only its hash. */
  addEvidence(caseId: string, input: { kind: 'frame' | 'face_crop' | 'embedding' | 'id_photo'; data: Buffer; actor: string; at?: number }): { evidenceId: string; sha256: string; event: CaseEvent } {
    const evidenceId = randomUUID();
    const digest = sha256(input.data);
    const at = input.at ?? this.now();
    const ciphertext = encrypt(this.keys.dataKey, input.data, `evidence:${evidenceId}`);
    const event = this.db
      .transaction(() => {
        this.db
          .prepare('INSERT INTO evidence (evidence_id, case_id, kind, sha256, bytes, ciphertext, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(evidenceId, caseId, input.kind, digest, input.data.length, ciphertext, at);
        return this.appendInTx({ caseId, type: 'evidence.added', actor: input.actor, at, payload: { evidenceId, kind: input.kind, sha256: digest, bytes: input.data.length } });
      })
      .immediate();
    return { evidenceId, sha256: digest, event };
  }

  /** Decrypts a piece of evidence; null once retention purged it. */
  readEvidence(evidenceId: string): Buffer | null {
    const row = this.stmt('SELECT ciphertext, sha256 FROM evidence WHERE evidence_id = ?').get(evidenceId) as { ciphertext: Buffer | null; sha256: string } | undefined;
    if (!row) throw new AppFailure('NOT_FOUND', `evidence ${evidenceId} does not exist`);
    if (!row.ciphertext) return null;
    const plain = decrypt(this.keys.dataKey, row.ciphertext, `evidence:${evidenceId}`);
    if (sha256(plain) !== row.sha256) throw new AppFailure('CORRUPT_INPUT', `evidence ${evidenceId} does not match its recorded sha256`);
    return plain;
  }

  /**
   * Per-item keys (DESIGN.md §7): a random key per biometric item, wrapped by the data key. Destroying the
   * wrapped copy (retention) shreds the item even where a copy of its bytes survives. `label` binds the
   * wrapped key to its item. Used by src/main/recording/.
   */
  wrapItemKey(itemKey: Buffer, label: string): Buffer {
    return encrypt(this.keys.dataKey, itemKey, `item-key:${label}`);
  }

  unwrapItemKey(wrapped: Buffer, label: string): Buffer {
    return decrypt(this.keys.dataKey, wrapped, `item-key:${label}`);
  }

  /** A recording stored by the former whole-file writer (format 'vdr1'); null once retention purged it. */
  readLegacyRecording(recordingId: string): Buffer | null {
    const row = this.stmt('SELECT file, sha256, format, purged_at FROM recordings WHERE recording_id = ?').get(recordingId) as
      | { file: string; sha256: string; format: string; purged_at: number | null }
      | undefined;
    if (!row || row.format !== 'vdr1') throw new AppFailure('NOT_FOUND', `legacy recording ${recordingId} does not exist`);
    if (row.purged_at !== null) return null;
    const plain = decrypt(this.keys.dataKey, readFileSync(resolve(this.dataDir, row.file)), `recording:${recordingId}`);
    if (sha256(plain) !== row.sha256) throw new AppFailure('CORRUPT_INPUT', `recording ${recordingId} does not match its recorded sha256`);
    return plain;
  }

  /**
   * Retention: removes biometric payloads (evidence blobs, recording files) older than
   * `olderThanDays`, keeps every audit event, and records the purge as an event per case.
   */
  purgeBiometrics(olderThanDays: number, actor = 'system'): PurgeReport {
    if (!(olderThanDays >= 0)) throw new AppFailure('INVALID_PAYLOAD', 'retention days must be ≥ 0');
    const now = this.now();
    const cutoff = now - olderThanDays * 86_400_000;
    const filesToDelete: string[] = [];
    // Shredded keys and ciphertext must not linger in free pages or the WAL (DESIGN.md §7).
    const secureDelete = this.db.pragma('secure_delete', { simple: true }) as number;
    this.db.pragma('secure_delete = ON');
    let report: PurgeReport;
    try {
      report = this.purgeInTx(now, cutoff, olderThanDays, actor, filesToDelete);
    } finally {
      this.db.pragma(`secure_delete = ${secureDelete ? 'ON' : 'OFF'}`);
    }
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    // After commit; a crash in between leaves ciphertext the next purge sweeps up.
    for (const f of filesToDelete) rmSync(f, { force: true });
    this.sweepPurgedRecordingFiles();
    return report;
  }

  private purgeInTx(now: number, cutoff: number, olderThanDays: number, actor: string, filesToDelete: string[]): PurgeReport {
    return this.db
      .transaction(() => {
        const evidence = this.stmt('SELECT evidence_id, case_id FROM evidence WHERE purged_at IS NULL AND created_at < ?').all(cutoff) as { evidence_id: string; case_id: string }[];
        // A recording still being written is left alone: it is purged once stopped or recovered.
        const recordings = this.stmt("SELECT recording_id, case_id, file FROM recordings WHERE purged_at IS NULL AND created_at < ? AND state <> 'recording'").all(cutoff) as {
          recording_id: string;
          case_id: string;
          file: string;
        }[];
        const perCase = new Map<string, { evidenceIds: string[]; recordingIds: string[] }>();
        const entry = (c: string) => {
          let e = perCase.get(c);
          if (!e) perCase.set(c, (e = { evidenceIds: [], recordingIds: [] }));
          return e;
        };
        const purgeEvidence = this.stmt('UPDATE evidence SET ciphertext = NULL, purged_at = ? WHERE evidence_id = ?');
        for (const e of evidence) {
          purgeEvidence.run(now, e.evidence_id);
          entry(e.case_id).evidenceIds.push(e.evidence_id);
        }
        // Crypto-shredding: the wrapped key goes with the row's purge, the chunk index with it; the file follows.
        const purgeRecording = this.stmt('UPDATE recordings SET purged_at = ?, wrapped_key = NULL WHERE recording_id = ?');
        const dropChunks = this.stmt('DELETE FROM recording_chunks WHERE recording_id = ?');
        for (const r of recordings) {
          purgeRecording.run(now, r.recording_id);
          dropChunks.run(r.recording_id);
          entry(r.case_id).recordingIds.push(r.recording_id);
          filesToDelete.push(resolve(this.dataDir, r.file));
        }
        for (const [caseId, ids] of perCase) {
          this.appendInTx({ caseId, type: 'biometric.purged', actor, at: now, payload: { policyDays: olderThanDays, ...ids } });
        }
        return { cutoff, evidencePurged: evidence.length, recordingsPurged: recordings.length, cases: perCase.size };
      })
      .immediate();
  }

  private sweepPurgedRecordingFiles(): void {
    const rows = this.stmt('SELECT file FROM recordings WHERE purged_at IS NOT NULL').all() as { file: string }[];
    for (const r of rows) {
      const f = resolve(this.dataDir, r.file);
      if (existsSync(f)) rmSync(f, { force: true });
    }
  }

  // ---------------------------------------------------------------- reading

  private toSummary(r: CaseRow & { event_count?: number }): CaseSummary {
    return {
      caseId: r.case_id,
      workstationId: this.workstationId,
      agentId: r.agent_id,
      serviceType: r.service_type as ServiceType,
      customerRef: r.customer_ref,
      idNumberMasked: r.id_masked,
      status: (CASE_STATUSES as readonly string[]).includes(r.status) ? (r.status as CaseSummary['status']) : 'open',
      verdict: r.verdict as Verdict | null,
      openedAt: r.opened_at,
      closedAt: r.closed_at,
      eventCount: r.event_count ?? r.last_seq,
      lastHash: r.last_hash,
      reviewOutcome: r.review_outcome as ReviewOutcome | null,
      closeSummary: parseCloseSummary(r.close_summary ?? null),
    };
  }

  summary(caseId: string): CaseSummary {
    const row = this.stmt('SELECT * FROM cases WHERE case_id = ?').get(caseId) as CaseRow | undefined;
    if (!row) throw new AppFailure('NOT_FOUND', `case ${caseId} does not exist`);
    return this.toSummary(row);
  }

  /** The audit list: newest first, filtered by agent, date range, verdict, status. */
  listCases(filter: CaseListFilter = {}): CaseSummary[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (clause: string, value: string | number) => {
      where.push(clause);
      params.push(value);
    };
    if (filter.agentId) add('agent_id = ?', filter.agentId);
    if (filter.verdict) add('verdict = ?', filter.verdict);
    if (filter.status) add('status = ?', filter.status);
    if (filter.from !== undefined) add('opened_at >= ?', filter.from);
    if (filter.to !== undefined) add('opened_at < ?', filter.to);
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 10_000);
    const sql = `SELECT * FROM cases ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY opened_at DESC, case_id LIMIT ? OFFSET ?`;
    return (this.stmt(sql).all(...params, limit, filter.offset ?? 0) as CaseRow[]).map((r) => this.toSummary(r));
  }

  countCases(): number {
    return (this.stmt('SELECT count(*) AS n FROM cases').get() as { n: number }).n;
  }

  findByIdNumber(idNumber: string): CaseSummary[] {
    return (this.stmt('SELECT * FROM cases WHERE id_hash = ? ORDER BY opened_at DESC').all(this.idHash(idNumber)) as CaseRow[]).map((r) => this.toSummary(r));
  }

  events(caseId: string): CaseEvent[] {
    return (this.stmt('SELECT * FROM events WHERE case_id = ? ORDER BY seq').all(caseId) as EventRow[]).map(rowToEvent);
  }

  getCase(caseId: string): CaseDetail {
    return { ...this.summary(caseId), events: this.events(caseId) };
  }

  /** Re-verifies every chain: gaps, links, hashes, and truncation against the case head. */
  verify(): VerifyReport {
    const breaks: ChainBreak[] = [];
    let casesChecked = 0;
    let eventsChecked = 0;
    const heads = new Map<string, { last_seq: number; last_hash: string }>();
    for (const h of this.stmt('SELECT case_id, last_seq, last_hash FROM cases').iterate() as Iterable<{ case_id: string; last_seq: number; last_hash: string }>) {
      heads.set(h.case_id, h);
    }
    let current: string | null = null;
    let run: CaseEvent[] = [];
    const finish = () => {
      if (current === null) return;
      casesChecked++;
      const b = verifyRun(run);
      const head = heads.get(current);
      heads.delete(current);
      const last = run[run.length - 1];
      if (b) breaks.push(b);
      else if (head && last && (head.last_seq > last.seq || (head.last_seq === last.seq && head.last_hash !== last.hash))) {
        const seq = head.last_seq > last.seq ? last.seq + 1 : last.seq;
        breaks.push({ caseId: current, seq, reason: 'CHAIN_TRUNCATED', message: `case ${current}: event seq ${seq} is missing or replaced (the case head records seq ${head.last_seq})` });
      }
      run = [];
    };
    for (const r of this.stmt('SELECT * FROM events ORDER BY case_id, seq').iterate() as Iterable<EventRow>) {
      if (r.case_id !== current) {
        finish();
        current = r.case_id;
      }
      run.push(rowToEvent(r));
      eventsChecked++;
    }
    finish();
    for (const [caseId, head] of heads) {
      casesChecked++;
      if (head.last_seq > 0) breaks.push({ caseId, seq: 1, reason: 'CHAIN_TRUNCATED', message: `case ${caseId}: all ${head.last_seq} events are missing` });
    }
    breaks.sort((a, b) => (a.caseId < b.caseId ? -1 : a.caseId > b.caseId ? 1 : a.seq - b.seq));
    return { ok: breaks.length === 0, casesChecked, eventsChecked, breaks };
  }

  // ---------------------------------------------------------------- outbox

  pendingCount(): number {
    return (this.stmt('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
  }

  /** The oldest pending events, in write order (so each case's events stay in seq order). */
  nextBatch(limit: number): { outboxIds: number[]; events: CaseEvent[] } {
    const rows = this.db
      .prepare('SELECT o.id AS outbox_id, e.* FROM outbox o JOIN events e ON e.case_id = o.case_id AND e.seq = o.seq ORDER BY o.id LIMIT ?')
      .all(limit) as (EventRow & { outbox_id: number })[];
    return { outboxIds: rows.map((r) => r.outbox_id), events: rows.map(rowToEvent) };
  }

  /** Removes acknowledged events from the outbox (ids from nextBatch). */
  ack(outboxIds: readonly number[]): void {
    if (outboxIds.length === 0) return;
    const del = this.stmt('DELETE FROM outbox WHERE id = ?');
    this.db.transaction(() => {
      for (const id of outboxIds) del.run(id);
    })();
  }

  /** Applies a team-lead review pulled from the server, once; records it in the case's chain. */
  applyReview(review: Review): boolean {
    return this.db
      .transaction(() => {
        const seen = this.stmt('SELECT 1 FROM reviews WHERE review_id = ?').get(review.reviewId);
        if (seen) return false;
        const exists = this.stmt('SELECT 1 FROM cases WHERE case_id = ?').get(review.caseId);
        if (!exists) return false;
        this.db
          .prepare('INSERT INTO reviews (review_id, case_id, outcome, reviewer, note, created_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(review.reviewId, review.caseId, review.outcome, review.reviewer, review.note, review.createdAt);
        this.stmt('UPDATE cases SET review_outcome = ? WHERE case_id = ?').run(review.outcome, review.caseId);
        this.appendInTx({
          caseId: review.caseId,
          type: 'review.received',
          actor: review.reviewer,
          payload: { reviewId: review.reviewId, outcome: review.outcome, note: review.note, reviewedAt: review.createdAt },
        });
        return true;
      })
      .immediate();
  }
}

function parseCloseSummary(text: string | null): CaseSummary['closeSummary'] {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as { advice?: unknown; decision?: unknown; against?: unknown; reasonCode?: unknown };
    if (typeof v.advice !== 'string' || typeof v.decision !== 'string') return null;
    return { advice: v.advice, decision: v.decision, against: v.against === true, reasonCode: typeof v.reasonCode === 'string' ? v.reasonCode : null };
  } catch {
    return null;
  }
}
