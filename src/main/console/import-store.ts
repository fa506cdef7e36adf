/**
 * The console's own SQLite file (console.db in the data dir): cases from signed bundles the lead imported, with
 * their chains, reviews, recording references and facts, and the reviews this console posted. Kept apart from
 * the case log on purpose — imported cases are someone else's record: they never enter this workstation's chain,
 * outbox or sync. Console queries go through a read-only connection, so nothing but an import writes them.
 */
import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CaseEvent, CaseSummary, Review } from '../../shared/cases';
import type { RecordingRef } from '../../shared/console';
import { CASE_FACTS_SCHEMA_V1, factsOfCase, writeFacts, type KeyedHash } from '../caselog/case-facts';
import { rowToEvent, type EventRow } from '../caselog/event-row';
import type { ExportBundle, ExportCase } from '../caselog/export-bundle';

const SCHEMA = [
  `
CREATE TABLE bundle_imports (
  import_id          INTEGER PRIMARY KEY,
  -- the same file imported twice is recognised, not stored twice
  file_sha256        TEXT NOT NULL UNIQUE,
  signer_fingerprint TEXT NOT NULL,
  workstation_id     TEXT NOT NULL,
  bundle_created_at  INTEGER NOT NULL,
  imported_at        INTEGER NOT NULL,
  cases              INTEGER NOT NULL
);
CREATE TABLE imported_cases (
  case_id            TEXT PRIMARY KEY,
  import_id          INTEGER NOT NULL REFERENCES bundle_imports (import_id),
  workstation_id     TEXT NOT NULL,
  signer_fingerprint TEXT NOT NULL,
  summary            TEXT NOT NULL,
  reviews            TEXT NOT NULL,
  recordings         TEXT NOT NULL,
  event_count        INTEGER NOT NULL,
  last_hash          TEXT NOT NULL
);
CREATE TABLE imported_events (
  case_id   TEXT NOT NULL,
  seq       INTEGER NOT NULL,
  type      TEXT NOT NULL,
  at        INTEGER NOT NULL,
  actor     TEXT NOT NULL,
  payload   TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL,
  gseq      INTEGER,
  seal      TEXT,
  PRIMARY KEY (case_id, seq)
) WITHOUT ROWID;
CREATE TABLE posted_reviews (
  review_id  INTEGER NOT NULL,
  origin     TEXT NOT NULL,
  case_id    TEXT NOT NULL,
  outcome    TEXT NOT NULL,
  reviewer   TEXT NOT NULL,
  note       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (origin, review_id)
);
CREATE INDEX posted_reviews_case ON posted_reviews (case_id);
${CASE_FACTS_SCHEMA_V1}`,
];

export interface ImportOutcome {
  imported: number;
  updated: number;
  unchanged: number;
  /** Cases whose chain here and in the bundle differ (neither extends the other): the copy here is kept. */
  conflicts: string[];
}

export class ImportStore {
  private readonly writer: Database.Database;
  /** What the console reads through: SQLite refuses any write on it. */
  readonly db: Database.Database;

  private constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.writer = new Database(path);
    if (process.platform !== 'win32') chmodSync(path, 0o600);
    try {
      this.writer.pragma('journal_mode = WAL');
      this.writer.pragma('synchronous = FULL');
      this.writer.pragma('busy_timeout = 5000');
      const version = this.writer.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA.length) throw new Error(`console database ${path} is newer (${version}) than this VeriDesk (${SCHEMA.length})`);
      for (let v = version; v < SCHEMA.length; v++) {
        this.writer.transaction(() => {
          this.writer.exec(SCHEMA[v]!);
          this.writer.pragma(`user_version = ${v + 1}`);
        }).immediate();
      }
      this.db = new Database(path, { readonly: true });
    } catch (error) {
      this.writer.close();
      throw error;
    }
  }

  static open(path: string): ImportStore {
    return new ImportStore(path);
  }

  close(): void {
    if (this.db?.open) this.db.close();
    if (this.writer.open) this.writer.close();
  }

  hasFile(fileSha256: string): boolean {
    return this.db.prepare('SELECT 1 FROM bundle_imports WHERE file_sha256 = ?').get(fileSha256) !== undefined;
  }

  /**
   * Stores a bundle verifyBundle accepted. A case already here is extended when the bundle's chain continues it,
   * left alone when the bundle holds the same or a shorter prefix, and reported as a conflict otherwise.
   */
  importVerified(bundle: ExportBundle, meta: { fileSha256: string; fingerprint: string; now: number }, idHash: KeyedHash): ImportOutcome {
    const w = this.writer;
    const outcome: ImportOutcome = { imported: 0, updated: 0, unchanged: 0, conflicts: [] };
    w.transaction(() => {
      const importId = Number(
        w
          .prepare('INSERT INTO bundle_imports (file_sha256, signer_fingerprint, workstation_id, bundle_created_at, imported_at, cases) VALUES (?, ?, ?, ?, ?, ?)')
          .run(meta.fileSha256, meta.fingerprint, bundle.workstationId, bundle.createdAt, meta.now, bundle.cases.length).lastInsertRowid,
      );
      const existing = w.prepare('SELECT event_count, last_hash FROM imported_cases WHERE case_id = ?');
      const hashAt = w.prepare('SELECT hash FROM imported_events WHERE case_id = ? AND seq = ?').pluck();
      const insertEvent = w.prepare('INSERT INTO imported_events (case_id, seq, type, at, actor, payload, prev_hash, hash, gseq, seal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
      const upsertCase = w.prepare(
        `INSERT INTO imported_cases (case_id, import_id, workstation_id, signer_fingerprint, summary, reviews, recordings, event_count, last_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (case_id) DO UPDATE SET import_id = excluded.import_id, workstation_id = excluded.workstation_id, signer_fingerprint = excluded.signer_fingerprint,
           summary = excluded.summary, reviews = excluded.reviews, recordings = excluded.recordings, event_count = excluded.event_count, last_hash = excluded.last_hash`,
      );
      for (const c of bundle.cases) {
        const caseId = String(c.summary.caseId);
        const have = existing.get(caseId) as { event_count: number; last_hash: string } | undefined;
        const n = c.events.length;
        let from = 0;
        if (have) {
          if (n <= have.event_count) {
            if (n === 0 || hashAt.get(caseId, n) === c.events[n - 1]!.hash) outcome.unchanged++;
            else outcome.conflicts.push(caseId);
            continue;
          }
          if (c.events[have.event_count - 1]?.hash !== have.last_hash) {
            outcome.conflicts.push(caseId);
            continue;
          }
          from = have.event_count;
        }
        for (const e of c.events.slice(from)) insertEvent.run(caseId, e.seq, e.type, e.at, e.actor, JSON.stringify(e.payload), e.prevHash, e.hash, e.gseq ?? null, e.seal ?? null);
        upsertCase.run(caseId, importId, String(c.summary.workstationId ?? bundle.workstationId), meta.fingerprint, JSON.stringify(c.summary), JSON.stringify(c.reviews ?? []), JSON.stringify(c.recordings ?? []), n, c.events[n - 1]?.hash ?? '');
        const facts = factsOfCase(c.events, idHash, { caseId, agentId: String(c.summary.agentId ?? ''), serviceType: String(c.summary.serviceType ?? 'consult'), openedAt: Number(c.summary.openedAt ?? c.events[0]?.at ?? 0) });
        if (facts) writeFacts(w, facts);
        if (have) outcome.updated++;
        else outcome.imported++;
      }
    }).immediate();
    return outcome;
  }

  workstationOf(caseIds: readonly string[]): Map<string, string> {
    const get = this.db.prepare('SELECT workstation_id FROM imported_cases WHERE case_id = ?').pluck();
    const out = new Map<string, string>();
    for (const id of caseIds) {
      const w = get.get(id) as string | undefined;
      if (w) out.set(id, w);
    }
    return out;
  }

  /** One imported case as the bundle gave it (null when it is not here). */
  getCase(caseId: string): (ExportCase & { fingerprint: string }) | null {
    const row = this.db.prepare('SELECT summary, reviews, recordings, signer_fingerprint FROM imported_cases WHERE case_id = ?').get(caseId) as
      | { summary: string; reviews: string; recordings: string; signer_fingerprint: string }
      | undefined;
    if (!row) return null;
    const events = (this.db.prepare('SELECT * FROM imported_events WHERE case_id = ? ORDER BY seq').all(caseId) as EventRow[]).map(rowToEvent) as CaseEvent[];
    return {
      summary: JSON.parse(row.summary) as CaseSummary,
      events,
      reviews: JSON.parse(row.reviews) as Review[],
      recordings: JSON.parse(row.recordings) as RecordingRef[],
      fingerprint: row.signer_fingerprint,
    };
  }

  recordPosted(origin: string, review: Review): void {
    this.writer
      .prepare('INSERT INTO posted_reviews (review_id, origin, case_id, outcome, reviewer, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(review.reviewId, origin, review.caseId, review.outcome, review.reviewer, review.note, review.createdAt);
  }

  posted(caseId: string): Review[] {
    return this.db
      .prepare('SELECT review_id AS reviewId, case_id AS caseId, outcome, reviewer, note, created_at AS createdAt FROM posted_reviews WHERE case_id = ? ORDER BY created_at, review_id')
      .all(caseId) as Review[];
  }
}
