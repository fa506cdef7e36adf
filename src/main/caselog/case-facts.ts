/**
 * Case facts (issue 11 item 4): one row per case with what the 质检 console filters and counts on — service type,
 * agent, times, the engine's advice, the agent's decision, whether they disagreed, reason code, escalation,
 * re-verification, review, failed checks by kind, and the customer reference as a keyed hash.
 *
 * Facts are derived data: the chained events stay the record, and one fold (foldFact) turns events into facts
 * everywhere — at append time (recordCaseFact, called from CaseStore.appendInTx), in migration 5's backfill, and
 * for imported bundles (factsOfCase) — so a fact can always be recomputed from the events it came from.
 */
import type Database from 'better-sqlite3';
import { checkResultOf, decisionOfVerdict, FAILED_CHECK_KINDS, failedKind, type FailedCheckKind } from '../../shared/console';

/**
 * The table as migration 5 creates it (also the imported-bundle database, src/main/console/import-store.ts).
 * Frozen: a change is a new migration here and there. Every filter of the console has an index that also serves
 * its order (opened_at DESC, case_id), so a filtered page is an index range scan even over millions of cases;
 * the rare yes/no filters (disagreement, escalated, reverified) use partial indexes.
 */
export const CASE_FACTS_SCHEMA_V1 = `
CREATE TABLE case_facts (
  case_id             TEXT PRIMARY KEY,
  agent_id            TEXT NOT NULL,
  service_type        TEXT NOT NULL,
  -- HMAC-SHA256 of the customer reference under the case log's lookup key (customerRefHash); never the reference
  customer_ref_hash   TEXT,
  opened_at           INTEGER NOT NULL,
  decided_at          INTEGER,
  closed_at           INTEGER,
  -- the engine's advice (pass | review | fail): the latest advice.changed, final from the case.closed summary
  advice              TEXT,
  -- the agent's decision (pass | fail)
  decision            TEXT,
  verdict             TEXT,
  -- the decision went against the advice (the desk's 'against'); it needs a reason code
  disagreement        INTEGER NOT NULL DEFAULT 0,
  reason_code         TEXT,
  escalated           INTEGER NOT NULL DEFAULT 0,
  challenges          INTEGER NOT NULL DEFAULT 0,
  id_photos           INTEGER NOT NULL DEFAULT 0,
  -- a second challenge, or the ID photo set again after the engine had advised: verification started over
  reverified          INTEGER NOT NULL DEFAULT 0,
  review_outcome      TEXT,
  reviewed_at         INTEGER,
  fail_quality        INTEGER NOT NULL DEFAULT 0,
  fail_liveness       INTEGER NOT NULL DEFAULT 0,
  fail_mismatch       INTEGER NOT NULL DEFAULT 0,
  fail_presence       INTEGER NOT NULL DEFAULT 0,
  fail_face_swap      INTEGER NOT NULL DEFAULT 0,
  fail_id_consistency INTEGER NOT NULL DEFAULT 0,
  fail_spoken_code    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX case_facts_opened       ON case_facts (opened_at DESC, case_id);
CREATE INDEX case_facts_agent        ON case_facts (agent_id, opened_at DESC, case_id);
CREATE INDEX case_facts_customer     ON case_facts (customer_ref_hash) WHERE customer_ref_hash IS NOT NULL;
CREATE INDEX case_facts_service      ON case_facts (service_type, opened_at DESC, case_id);
CREATE INDEX case_facts_advice       ON case_facts (advice, opened_at DESC, case_id);
-- advice and decision together: "advised fail, passed anyway" without walking every passed case
CREATE INDEX case_facts_advice_decision ON case_facts (advice, decision, opened_at DESC, case_id);
CREATE INDEX case_facts_decision     ON case_facts (decision, opened_at DESC, case_id);
CREATE INDEX case_facts_review       ON case_facts (review_outcome, opened_at DESC, case_id);
CREATE INDEX case_facts_disagreement ON case_facts (opened_at DESC, case_id) WHERE disagreement = 1;
CREATE INDEX case_facts_escalated    ON case_facts (opened_at DESC, case_id) WHERE escalated = 1;
CREATE INDEX case_facts_reverified   ON case_facts (opened_at DESC, case_id) WHERE reverified = 1;
`;

export interface FactsRow {
  case_id: string;
  agent_id: string;
  service_type: string;
  customer_ref_hash: string | null;
  opened_at: number;
  decided_at: number | null;
  closed_at: number | null;
  advice: string | null;
  decision: string | null;
  verdict: string | null;
  disagreement: number;
  reason_code: string | null;
  escalated: number;
  challenges: number;
  id_photos: number;
  reverified: number;
  review_outcome: string | null;
  reviewed_at: number | null;
  fail_quality: number;
  fail_liveness: number;
  fail_mismatch: number;
  fail_presence: number;
  fail_face_swap: number;
  fail_id_consistency: number;
  fail_spoken_code: number;
}

export const FAIL_COLUMN: Record<FailedCheckKind, keyof FactsRow & `fail_${string}`> = {
  quality: 'fail_quality',
  liveness: 'fail_liveness',
  mismatch: 'fail_mismatch',
  presence: 'fail_presence',
  face_swap: 'fail_face_swap',
  id_consistency: 'fail_id_consistency',
  spoken_code: 'fail_spoken_code',
};
const COLUMNS = Object.keys({
  case_id: 0, agent_id: 0, service_type: 0, customer_ref_hash: 0, opened_at: 0, decided_at: 0, closed_at: 0, advice: 0, decision: 0, verdict: 0,
  disagreement: 0, reason_code: 0, escalated: 0, challenges: 0, id_photos: 0, reverified: 0, review_outcome: 0, reviewed_at: 0,
  fail_quality: 0, fail_liveness: 0, fail_mismatch: 0, fail_presence: 0, fail_face_swap: 0, fail_id_consistency: 0, fail_spoken_code: 0,
} satisfies Record<keyof FactsRow, 0>) as (keyof FactsRow)[];

/** What of an event the fold reads. */
export interface FactEvent {
  caseId: string;
  type: string;
  at: number;
  actor: string;
  payload: Record<string, unknown>;
}

/** Keyed hash of a text (the store's idHash: HMAC-SHA256 under the case log's lookup key). */
export type KeyedHash = (text: string) => string;

/**
 * Customer references are looked up through the same keyed hash as ID numbers, domain-separated by a prefix no ID
 * number has, so the console can search by reference while the facts (and logs) never hold one in clear.
 */
export const customerRefHash = (idHash: KeyedHash, ref: string): string => idHash(`customer-ref:${ref.trim()}`);

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
/** The desk's rule (src/main/desk/desk-service.ts againstAdvice), for events that do not say. */
const against = (decision: string | null, advice: string | null): boolean | null =>
  decision === null || advice === null ? null : decision === 'pass' ? advice !== 'pass' : advice === 'pass';

export function emptyFacts(caseId: string, base: { agentId: string; serviceType: string; openedAt: number }): FactsRow {
  return {
    case_id: caseId,
    agent_id: base.agentId,
    service_type: base.serviceType,
    customer_ref_hash: null,
    opened_at: base.openedAt,
    decided_at: null,
    closed_at: null,
    advice: null,
    decision: null,
    verdict: null,
    disagreement: 0,
    reason_code: null,
    escalated: 0,
    challenges: 0,
    id_photos: 0,
    reverified: 0,
    review_outcome: null,
    reviewed_at: null,
    fail_quality: 0,
    fail_liveness: 0,
    fail_mismatch: 0,
    fail_presence: 0,
    fail_face_swap: 0,
    fail_id_consistency: 0,
    fail_spoken_code: 0,
  };
}

const VERIFICATION_TYPES = new Set(['advice.changed', 'challenge.started', 'challenge.finished', 'spoken_code.confirmed', 'id_photo.set']);

/** Whether an event can change a case's facts (most events — frames, media, recordings — cannot). */
export function changesFacts(type: string, payload: Record<string, unknown>): boolean {
  switch (type) {
    case 'case.opened':
    case 'decision.made':
    case 'case.escalated':
    case 'case.closed':
    case 'review.received':
      return true;
    case 'check.result': {
      const c = checkResultOf(payload);
      return c !== null && failedKind(c.id, c.status, c.reason) !== null;
    }
    case 'verification.event':
      return typeof payload.type === 'string' && VERIFICATION_TYPES.has(payload.type);
    default:
      return false;
  }
}

/**
 * Applies one event to a case's facts (in place). `facts` is null only before case.opened; returns the facts,
 * or null when there is no case to apply to. `idHash` hashes the customer reference (absent in the migration,
 * which fills those hashes in later: completeCustomerRefHashes).
 */
export function foldFact(facts: FactsRow | null, e: FactEvent, idHash?: KeyedHash): FactsRow | null {
  const p = e.payload;
  if (e.type === 'case.opened') {
    const f = facts ?? emptyFacts(e.caseId, { agentId: str(p.agentId) ?? e.actor, serviceType: str(p.serviceType) ?? 'consult', openedAt: e.at });
    const ref = str(p.customerRef);
    if (ref && idHash) f.customer_ref_hash = customerRefHash(idHash, ref);
    return f;
  }
  if (!facts) return null;
  const f = facts;
  const flag = (kind: FailedCheckKind | null) => {
    if (kind) f[FAIL_COLUMN[kind]] = 1;
  };
  switch (e.type) {
    case 'check.result': {
      const c = checkResultOf(p);
      if (c) flag(failedKind(c.id, c.status, c.reason));
      break;
    }
    case 'verification.event':
      switch (p.type) {
        case 'advice.changed':
          if (f.closed_at === null && str(p.advice)) f.advice = p.advice as string;
          break;
        case 'challenge.started':
          f.challenges++;
          if (f.challenges >= 2) f.reverified = 1;
          break;
        case 'challenge.finished':
          if (p.status === 'failed') flag('liveness');
          break;
        case 'spoken_code.confirmed':
          if (p.ok === false) flag('spoken_code');
          break;
        case 'id_photo.set':
          f.id_photos++;
          // a new ID photo after the engine had advised on the old one: the verification started over
          if (f.advice !== null) f.reverified = 1;
          break;
      }
      break;
    case 'decision.made': {
      f.decided_at = e.at;
      f.decision = str(p.decision) ?? decisionOfVerdict(p.verdict) ?? f.decision;
      f.advice = str(p.advice) ?? f.advice;
      const explicit = typeof p.against === 'boolean' ? p.against : p.followsAdvice === false ? true : p.followsAdvice === true ? false : null;
      f.disagreement = (explicit ?? against(f.decision, f.advice) ?? false) ? 1 : 0;
      f.reason_code = str(p.reasonCode) ?? f.reason_code;
      break;
    }
    case 'case.escalated':
      f.escalated = 1;
      break;
    case 'case.closed': {
      f.closed_at = e.at;
      f.verdict = str(p.verdict) ?? f.verdict;
      f.reason_code = str(p.reasonCode) ?? f.reason_code;
      const s = p.summary && typeof p.summary === 'object' ? (p.summary as Record<string, unknown>) : null;
      if (s) {
        f.advice = str(s.advice) ?? f.advice;
        f.decision = str(s.decision) ?? f.decision;
        if (Array.isArray(s.checks)) {
          for (const c of s.checks as { id?: unknown; status?: unknown; reason?: unknown }[]) if (typeof c?.id === 'string') flag(failedKind(c.id, c.status, c.reason));
        }
      }
      if (f.decision === null) f.decision = decisionOfVerdict(f.verdict);
      if (f.decision !== null && f.decided_at === null) f.decided_at = e.at;
      const explicit = s && typeof s.against === 'boolean' ? s.against : null;
      if (explicit !== null) f.disagreement = explicit ? 1 : 0;
      else if (f.disagreement === 0) f.disagreement = against(f.decision, f.advice) ? 1 : 0;
      break;
    }
    case 'review.received':
      f.review_outcome = str(p.outcome) ?? f.review_outcome;
      f.reviewed_at = typeof p.reviewedAt === 'number' ? p.reviewedAt : e.at;
      break;
  }
  return f;
}

/** The facts of a whole case from its events in seq order (imported bundles, tests). */
export function factsOfCase(events: readonly FactEvent[], idHash?: KeyedHash, base?: { caseId: string; agentId: string; serviceType: string; openedAt: number }): FactsRow | null {
  let f: FactsRow | null = base ? emptyFacts(base.caseId, base) : null;
  for (const e of events) f = foldFact(f, e, idHash) ?? f;
  return f;
}

// ---- writing ---------------------------------------------------------------------------------------------------

interface Statements {
  get: Database.Statement;
  base: Database.Statement | null;
  upsert: Database.Statement;
  /** UPDATEs of just the columns that changed, by column list: an index is rewritten only when one of its columns is set. */
  updates: Map<string, Database.Statement>;
}
const statements = new WeakMap<Database.Database, Statements>();
const UPSERT = `INSERT INTO case_facts (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})
  ON CONFLICT (case_id) DO UPDATE SET ${COLUMNS.filter((c) => c !== 'case_id').map((c) => `${c} = excluded.${c}`).join(', ')}`;

function statementsOf(db: Database.Database): Statements {
  let s = statements.get(db);
  if (!s) {
    const hasCases = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cases'").get() !== undefined;
    s = {
      get: db.prepare('SELECT * FROM case_facts WHERE case_id = ?'),
      base: hasCases ? db.prepare('SELECT case_id, agent_id AS agentId, service_type AS serviceType, opened_at AS openedAt FROM cases WHERE case_id = ?') : null,
      upsert: db.prepare(UPSERT),
      updates: new Map(),
    };
    statements.set(db, s);
  }
  return s;
}

export function writeFacts(db: Database.Database, facts: FactsRow): void {
  statementsOf(db).upsert.run(facts);
}

/**
 * The append-time hook (CaseStore.appendInTx, inside its transaction): keeps a case's facts current with each
 * event. Events that cannot change facts cost one switch; the others one primary-key read and one upsert.
 */
export function recordCaseFact(db: Database.Database, event: FactEvent, idHash: KeyedHash): void {
  if (!changesFacts(event.type, event.payload)) return;
  const s = statementsOf(db);
  let current = event.type === 'case.opened' ? null : ((s.get.get(event.caseId) as FactsRow | undefined) ?? null);
  if (!current && event.type !== 'case.opened' && s.base) {
    // a case the facts missed (should not happen after migration 5): start from its row
    const base = s.base.get(event.caseId) as { case_id: string; agentId: string; serviceType: string; openedAt: number } | undefined;
    if (base) current = emptyFacts(base.case_id, base);
  }
  const before = current ? { ...current } : null;
  const next = foldFact(current, event, idHash);
  if (!next) return;
  if (!before) {
    s.upsert.run(next);
    return;
  }
  const changed = COLUMNS.filter((c) => c !== 'case_id' && next[c] !== before[c]);
  if (changed.length === 0) return;
  const key = changed.join(',');
  let update = s.updates.get(key);
  if (!update) s.updates.set(key, (update = db.prepare(`UPDATE case_facts SET ${changed.map((c) => `${c} = @${c}`).join(', ')} WHERE case_id = @case_id`)));
  update.run(Object.fromEntries([...changed, 'case_id'].map((c) => [c, next[c as keyof FactsRow]])));
}

/**
 * Migration 5's backfill: the facts of every existing case from its events, a chunk of cases at a time (an open
 * iterator would block the writes). The customer references need the lookup key, which migrations do not get:
 * they are hashed when the console first opens the log (completeCustomerRefHashes).
 */
export function backfillCaseFacts(db: Database.Database): void {
  const ids = (db.prepare('SELECT case_id FROM cases ORDER BY case_id').pluck().all() as string[]);
  const base = db.prepare('SELECT case_id, agent_id, service_type, opened_at, customer_ref FROM cases WHERE case_id >= ? AND case_id <= ? ORDER BY case_id');
  const events = db.prepare('SELECT case_id AS caseId, seq, type, at, actor, payload FROM events WHERE case_id >= ? AND case_id <= ? ORDER BY case_id, seq');
  let pendingRefs = 0;
  const CHUNK = 2000;
  for (let i = 0; i < ids.length; i += CHUNK) {
    const first = ids[i]!;
    const last = ids[Math.min(ids.length, i + CHUNK) - 1]!;
    const byCase = new Map<string, FactsRow>();
    for (const r of base.all(first, last) as { case_id: string; agent_id: string; service_type: string; opened_at: number; customer_ref: string | null }[]) {
      byCase.set(r.case_id, emptyFacts(r.case_id, { agentId: r.agent_id, serviceType: r.service_type, openedAt: r.opened_at }));
      if (r.customer_ref) pendingRefs++;
    }
    for (const r of events.all(first, last) as (Omit<FactEvent, 'payload'> & { payload: string })[]) {
      const f = byCase.get(r.caseId);
      if (!f) continue;
      let payload: Record<string, unknown>;
      try {
        payload = JSON.parse(r.payload) as Record<string, unknown>;
      } catch {
        continue;
      }
      foldFact(f, { ...r, payload });
    }
    for (const f of byCase.values()) writeFacts(db, f);
  }
  if (pendingRefs > 0) db.prepare("INSERT INTO meta (key, value) VALUES ('case_facts.customer_refs_pending', '1') ON CONFLICT (key) DO UPDATE SET value = '1'").run();
}

/** Hashes the customer references migration 5 could not (it has no lookup key); a no-op once done. */
export function completeCustomerRefHashes(db: Database.Database, idHash: KeyedHash): number {
  const pending = db.prepare("SELECT value FROM meta WHERE key = 'case_facts.customer_refs_pending'").get();
  if (!pending) return 0;
  const rows = db.prepare('SELECT f.case_id AS caseId, c.customer_ref AS ref FROM case_facts f JOIN cases c ON c.case_id = f.case_id WHERE f.customer_ref_hash IS NULL AND c.customer_ref IS NOT NULL').all() as { caseId: string; ref: string }[];
  const update = db.prepare('UPDATE case_facts SET customer_ref_hash = ? WHERE case_id = ?');
  db.transaction(() => {
    for (const r of rows) update.run(customerRefHash(idHash, r.ref), r.caseId);
    db.prepare("DELETE FROM meta WHERE key = 'case_facts.customer_refs_pending'").run();
  }).immediate();
  return rows.length;
}

/** The failed kinds of a facts row, in FAILED_CHECK_KINDS order. */
export const failedKindsOf = (f: FactsRow): FailedCheckKind[] => FAILED_CHECK_KINDS.filter((k) => f[FAIL_COLUMN[k]] === 1);
