// node:crypto for the case log's hashes (src/common/hash.ts); a browser keeps @noble/hashes
import Database from 'better-sqlite3';
import '../../common/node-hash';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
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
import { rowToEvent, type EventRow } from './event-row';
import { LedgerWriter, sealMatches } from './ledger';
import { verifyLedger, type LedgerAnchor, type VerifyReport } from './ledger-verify';
import { purgeBiometrics, type PurgeReport } from './purge';
import { SyncQueue, type HeldCase, type OutboxBatch } from './sync-queue';
import { hashIdNumber, maskIdNumber } from './id-number';
import type { KeyProvider } from './key-provider';
import { deriveKeys, type DerivedKeys } from './keys';
import { migrate } from './migrations';
import { recordCaseFact } from './case-facts';

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

export type { VerifyReport, LedgerAnchor } from './ledger-verify';
export type { PurgeReport } from './purge';
export type { HeldCase, OutboxBatch } from './sync-queue';
export { rowToEvent } from './event-row';

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
  private ledger!: LedgerWriter;
  private queue!: SyncQueue;

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
      // freed pages are zeroed, so a purged key or ciphertext does not linger in the file (./purge.ts)
      this.db.pragma('secure_delete = ON');
      // the key is checked before a migration may seal old events with it
      this.checkKeyIfInitialised();
      migrate(this.db, { ledgerKey: this.keys.ledgerKey, now: this.now });
      this.workstationId = this.ensureMeta('workstation_id', () => `ws-${randomUUID()}`);
      this.checkKey();
      this.ledger = new LedgerWriter(this.db, this.keys.ledgerKey);
      this.queue = new SyncQueue(this.db, { workstationId: this.workstationId, signingKey: this.keys.signingKey, publicKey: this.keys.publicKey }, this.now);
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

  /** Before migrations: an existing log opened with the wrong key must fail before anything is sealed with it. */
  private checkKeyIfInitialised(): void {
    const hasMeta = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    if (hasMeta) this.checkKey();
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
    // its global position, the running ledger hash and the keyed seal, and the head record moves on (./ledger.ts)
    const entry = this.ledger.advance(event);
    this.stmt('INSERT INTO events (case_id, seq, type, at, actor, payload, prev_hash, hash, gseq, ledger_hash, seal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      event.caseId,
      event.seq,
      event.type,
      event.at,
      event.actor,
      payloadText,
      event.prevHash,
      event.hash,
      entry.gseq,
      entry.ledgerHash,
      entry.seal,
    );
    this.stmt('UPDATE cases SET last_seq = ?, last_hash = ? WHERE case_id = ?').run(event.seq, event.hash, event.caseId);
    recordCaseFact(this.db, event, (text) => this.idHash(text)); // the 质检 console's facts stay current (./case-facts.ts)
    this.stmt('INSERT INTO outbox (case_id, seq, created_at) VALUES (?, ?, ?)').run(event.caseId, event.seq, this.now());
    return { ...event, gseq: entry.gseq, seal: entry.seal };
  }

  /** Stores a biometric blob (frame, face crop, embedding) encrypted; the chain records only its hash. */
  addEvidence(caseId: string, input: { kind: 'frame' | 'face_crop' | 'embedding' | 'id_photo'; data: Buffer; actor: string; at?: number }): { evidenceId: string; sha256: string; event: CaseEvent } {
    const evidenceId = randomUUID();
    const digest = sha256(input.data);
    const at = input.at ?? this.now();
    // its own key, kept only wrapped: a purge that destroys the wrapped copy shreds every copy of the ciphertext
    const itemKey = randomBytes(32);
    const ciphertext = encrypt(itemKey, input.data, `evidence:${evidenceId}`);
    const wrapped = this.wrapItemKey(itemKey, `evidence:${evidenceId}`);
    itemKey.fill(0);
    const event = this.db
      .transaction(() => {
        this.stmt('INSERT INTO evidence (evidence_id, case_id, kind, sha256, bytes, ciphertext, wrapped_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
          evidenceId,
          caseId,
          input.kind,
          digest,
          input.data.length,
          ciphertext,
          wrapped,
          at,
        );
        return this.appendInTx({ caseId, type: 'evidence.added', actor: input.actor, at, payload: { evidenceId, kind: input.kind, sha256: digest, bytes: input.data.length } });
      })
      .immediate();
    return { evidenceId, sha256: digest, event };
  }

  /** Decrypts a piece of evidence; null once retention purged it. */
  readEvidence(evidenceId: string): Buffer | null {
    const row = this.stmt('SELECT ciphertext, wrapped_key, sha256 FROM evidence WHERE evidence_id = ?').get(evidenceId) as
      | { ciphertext: Buffer | null; wrapped_key: Buffer | null; sha256: string }
      | undefined;
    if (!row) throw new AppFailure('NOT_FOUND', `evidence ${evidenceId} does not exist`);
    if (!row.ciphertext) return null;
    return this.decryptEvidence(evidenceId, row.ciphertext, row.wrapped_key, row.sha256);
  }

  /**
   * Decrypts an evidence ciphertext with the item's current key (or, for items stored before per-item keys,
   * the data key). After a purge the wrapped key is gone: a copy of the ciphertext kept elsewhere is noise.
   */
  decryptEvidence(evidenceId: string, ciphertext: Buffer, wrappedKey?: Buffer | null, expectSha256?: string): Buffer {
    let wrapped = wrappedKey;
    if (wrapped === undefined) {
      const row = this.stmt('SELECT wrapped_key, purged_at FROM evidence WHERE evidence_id = ?').get(evidenceId) as { wrapped_key: Buffer | null; purged_at: number | null } | undefined;
      if (!row) throw new AppFailure('NOT_FOUND', `evidence ${evidenceId} does not exist`);
      if (row.purged_at !== null) throw new AppFailure('NOT_FOUND', `evidence ${evidenceId} was purged: its key is destroyed`);
      wrapped = row.wrapped_key;
    }
    const key = wrapped ? this.unwrapItemKey(wrapped, `evidence:${evidenceId}`) : this.keys.dataKey;
    const plain = decrypt(key, ciphertext, `evidence:${evidenceId}`);
    if (expectSha256 !== undefined && sha256(plain) !== expectSha256) throw new AppFailure('CORRUPT_INPUT', `evidence ${evidenceId} does not match its recorded sha256`);
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
   * Retention: shreds biometric payloads (evidence blobs, recordings) older than `olderThanDays`, keeps every
   * audit event, and records the purge as an event per case (./purge.ts).
   */
  purgeBiometrics(olderThanDays: number, actor = 'system'): PurgeReport {
    return purgeBiometrics({ db: this.db, dataDir: this.dataDir, now: this.now, appendInTx: (input) => this.appendInTx(input) }, olderThanDays, actor);
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

  /**
   * Re-verifies the whole log (./ledger-verify.ts): every chain, seal and global position, the keyed head, and the
   * checkpoints servers acknowledged; `anchors` adds checkpoints fetched from a server (`cases verify --server`).
   */
  verify(anchors: readonly LedgerAnchor[] = []): VerifyReport {
    const acknowledged = this.queue.allAcknowledged().map((a) => ({ gseq: a.gseq, ledgerHash: a.ledgerHash, source: `the acknowledgement of ${a.server}` }));
    return verifyLedger({ db: this.db, ledgerKey: this.keys.ledgerKey, anchors: [...acknowledged, ...anchors] });
  }

  /**
   * One case's chain, seals and head (the case page): the first break or null. The global checks (missing
   * positions, the keyed head, checkpoints) need the whole log: verify().
   */
  verifyCase(caseId: string): ChainBreak | null {
    const rows = this.stmt('SELECT * FROM events WHERE case_id = ? ORDER BY seq').all(caseId) as EventRow[];
    const events = rows.map(rowToEvent);
    const run = verifyRun(events);
    if (run) return run;
    for (const r of rows) {
      if (typeof r.gseq !== 'number' || !sealMatches(this.keys.ledgerKey, { gseq: r.gseq, caseId, seq: r.seq, hash: r.hash, seal: r.seal })) {
        return { caseId, seq: r.seq, reason: 'SEAL_MISMATCH', message: `case ${caseId} seq ${r.seq}: the seal does not match (rewritten without the key)` };
      }
    }
    const head = this.stmt('SELECT last_seq, last_hash FROM cases WHERE case_id = ?').get(caseId) as { last_seq: number; last_hash: string } | undefined;
    const last = events[events.length - 1];
    if (head && (head.last_seq !== (last?.seq ?? 0) || (last && head.last_hash !== last.hash))) {
      return { caseId, seq: (last?.seq ?? 0) + 1, reason: 'CHAIN_TRUNCATED', message: `case ${caseId}: the case head records seq ${head.last_seq}, the log holds ${last?.seq ?? 0}` };
    }
    return null;
  }

  /** The keyed head record (null for an empty log). */
  ledgerHead(): { gseq: number; ledgerHash: string; at: number } | null {
    const h = this.ledger.head();
    return h && { gseq: h.gseq, ledgerHash: h.ledgerHash, at: h.at };
  }

  /** The events at global positions [from, to] (ascending): what verify --server compares with the server's. */
  ledgerEvents(from: number, to: number): { gseq: number; caseId: string; seq: number; hash: string }[] {
    return this.stmt('SELECT gseq, case_id AS caseId, seq, hash FROM events WHERE gseq BETWEEN ? AND ? ORDER BY gseq').all(from, to) as { gseq: number; caseId: string; seq: number; hash: string }[];
  }

  // ---------------------------------------------------------------- sync (./sync-queue.ts)

  /** Pending events, not counting held cases. */
  pendingCount(): number {
    return this.queue.pendingCount();
  }

  heldCount(): number {
    return this.queue.heldCount();
  }

  /** The oldest pending events in write order, held cases left out, with the checkpoint to send to `server`. */
  nextBatch(limit: number, server?: string): OutboxBatch {
    return this.queue.nextBatch(limit, server);
  }

  /** Removes acknowledged events from the outbox (ids from nextBatch). */
  ack(outboxIds: readonly number[]): void {
    this.queue.ack(outboxIds);
  }

  /** The outbox rows of an acknowledged batch and the server's checkpoint, in one transaction. */
  acknowledgeBatch(outboxIds: readonly number[], server: string, cp: { gseq: number; ledgerHash: string } | null | undefined): void {
    this.queue.acknowledgeBatch(outboxIds, server, cp);
  }

  acknowledgeCheckpoint(server: string, cp: { gseq: number; ledgerHash: string }): void {
    this.queue.acknowledgeCheckpoint(server, cp);
  }

  acknowledgedCheckpoint(server: string): { gseq: number; ledgerHash: string; at: number } | null {
    return this.queue.acknowledged(server);
  }

  /** A signed checkpoint at a global position (null when the position is not in the log). */
  checkpointAt(gseq: number) {
    return this.queue.checkpointAt(gseq);
  }

  holdCase(caseId: string, why: { server: string; code: string; message: string; seq?: number }): void {
    this.queue.holdCase(caseId, why);
  }

  releaseCase(caseId: string): boolean {
    return this.queue.releaseCase(caseId);
  }

  heldCases(): HeldCase[] {
    return this.queue.heldCases();
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
