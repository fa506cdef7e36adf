import type Database from 'better-sqlite3';
import { LEDGER_GENESIS, ledgerStep } from '../../common/ledger';
import type { CaseEvent, ChainBreak } from '../../shared/cases';
import { AppFailure } from '../../shared/errors';
import { verifyRun } from './chain';
import { rowToEvent } from './event-row';
import { LedgerWriter, sealOf } from './ledger';
import { CASE_FACTS_SCHEMA_V1, backfillCaseFacts } from './case-facts';
import { SHIFT_SCHEMA_V1 } from '../shift/shift-migration';

/**
 * Numbered migrations, applied in order through `PRAGMA user_version` (DESIGN.md §7).
 * Never edit a released migration: append a new one.
 */
export interface MigrationContext {
  /** The ledger key (./keys.ts): the keyed-ledger migration seals the events that existed before it. */
  ledgerKey?: Buffer;
  now?: () => number;
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** A step SQL cannot do (it needs a key), run after `sql` in the same transaction. */
  run?: (db: Database.Database, ctx: MigrationContext) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'case log core',
    sql: `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE cases (
  case_id        TEXT PRIMARY KEY,
  agent_id       TEXT NOT NULL,
  service_type   TEXT NOT NULL,
  customer_ref   TEXT,
  id_masked      TEXT,
  id_hash        TEXT,
  status         TEXT NOT NULL DEFAULT 'open',
  verdict        TEXT,
  opened_at      INTEGER NOT NULL,
  closed_at      INTEGER,
  last_seq       INTEGER NOT NULL DEFAULT 0,
  last_hash      TEXT NOT NULL,
  review_outcome TEXT
);
CREATE INDEX cases_opened  ON cases (opened_at);
CREATE INDEX cases_agent   ON cases (agent_id, opened_at);
CREATE INDEX cases_verdict ON cases (verdict, opened_at);
CREATE INDEX cases_id_hash ON cases (id_hash);

-- Append-only: each row chains to the previous one of its case.
CREATE TABLE events (
  case_id   TEXT NOT NULL,
  seq       INTEGER NOT NULL,
  type      TEXT NOT NULL,
  at        INTEGER NOT NULL,
  actor     TEXT NOT NULL,
  payload   TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL,
  PRIMARY KEY (case_id, seq)
);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'case log events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'case log events are append-only'); END;

-- Biometric payloads: AES-256-GCM ciphertext; NULL once purged by retention.
CREATE TABLE evidence (
  evidence_id TEXT PRIMARY KEY,
  case_id     TEXT NOT NULL REFERENCES cases (case_id),
  kind        TEXT NOT NULL,
  sha256      TEXT NOT NULL,
  bytes       INTEGER NOT NULL,
  ciphertext  BLOB,
  created_at  INTEGER NOT NULL,
  purged_at   INTEGER
);
CREATE INDEX evidence_case ON evidence (case_id);
CREATE INDEX evidence_live ON evidence (created_at) WHERE purged_at IS NULL;

-- Recordings: encrypted files beside the database.
CREATE TABLE recordings (
  recording_id TEXT PRIMARY KEY,
  case_id      TEXT NOT NULL REFERENCES cases (case_id),
  file         TEXT NOT NULL,
  sha256       TEXT NOT NULL,
  bytes        INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  purged_at    INTEGER
);
CREATE INDEX recordings_live ON recordings (created_at) WHERE purged_at IS NULL;

-- Events waiting to be pushed to the backend, in write order.
CREATE TABLE outbox (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  case_id    TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (case_id, seq)
);

-- Team-lead review outcomes pulled from the backend.
CREATE TABLE reviews (
  review_id  INTEGER PRIMARY KEY,
  case_id    TEXT NOT NULL,
  outcome    TEXT NOT NULL,
  reviewer   TEXT NOT NULL,
  note       TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'streamed dual-track recordings',
    // SQLite cannot drop NOT NULL from sha256 (unknown until a streamed recording is sealed), so the
    // table is rebuilt. Legacy whole-file rows (format 'vdr1') keep working: their file name becomes
    // relative to the database's directory like the new ones. Nothing references recordings yet.
    sql: `
CREATE TABLE recordings_v2 (
  recording_id      TEXT PRIMARY KEY,
  case_id           TEXT NOT NULL REFERENCES cases (case_id),
  call_id           TEXT,
  track             TEXT,
  mime_type         TEXT,
  -- 'vdrs1': chunked, per-record AES-256-GCM (src/main/recording/file-format.ts); 'vdr1': legacy whole file
  format            TEXT NOT NULL,
  -- relative to the database's directory (absolute when elsewhere)
  file              TEXT NOT NULL,
  state             TEXT NOT NULL,
  error_code        TEXT,
  -- the recording's own AES key wrapped by the data key; NULL once retention shreds it
  wrapped_key       BLOB,
  started_at        INTEGER,
  stopped_at        INTEGER,
  chunks            INTEGER NOT NULL DEFAULT 0,
  bytes             INTEGER NOT NULL DEFAULT 0,
  -- end of the last committed record: anything after it is an uncommitted or torn tail
  file_bytes        INTEGER NOT NULL DEFAULT 0,
  -- sha256 of the whole plaintext and over the list of chunk digests; set when sealed
  sha256            TEXT,
  chunk_list_sha256 TEXT,
  duration_ms       INTEGER,
  -- the record holding seekable WebM metadata that replaces the original header on read
  seek_offset       INTEGER,
  seek_length       INTEGER,
  created_at        INTEGER NOT NULL,
  purged_at         INTEGER
);
INSERT INTO recordings_v2 (recording_id, case_id, format, file, state, chunks, bytes, sha256, created_at, purged_at)
  SELECT recording_id, case_id, 'vdr1', 'recordings/' || file, 'stopped', 1, bytes, sha256, created_at, purged_at FROM recordings;
DROP TABLE recordings;
ALTER TABLE recordings_v2 RENAME TO recordings;
CREATE INDEX recordings_live ON recordings (created_at) WHERE purged_at IS NULL;
CREATE INDEX recordings_case ON recordings (case_id, created_at);
CREATE INDEX recordings_unfinished ON recordings (state) WHERE state = 'recording';

-- One row per committed chunk: where its record lies in the file and the digest of its plaintext.
-- Written after the record is fsynced, so every row points at durable bytes.
CREATE TABLE recording_chunks (
  recording_id  TEXT NOT NULL REFERENCES recordings (recording_id),
  seq           INTEGER NOT NULL,
  file_offset   INTEGER NOT NULL,
  record_length INTEGER NOT NULL,
  bytes         INTEGER NOT NULL,
  sha256        TEXT NOT NULL,
  PRIMARY KEY (recording_id, seq)
) WITHOUT ROWID;
`,
  },
  {
    version: 3,
    name: 'closing summary',
    // the desk's decision in one line for the audit list (advice, decision, against the advice, reason code);
    // the full summary stays in the chained case.closed event
    sql: `ALTER TABLE cases ADD COLUMN close_summary TEXT;`,
  },
  {
    version: 4,
    name: 'keyed ledger, per-item evidence keys, held cases, acknowledged checkpoints',
    // Columns stay nullable: SQLite cannot add NOT NULL columns to filled tables; verify() treats a missing
    // gseq or seal as a break. The update trigger is recreated by sealLegacyEvents once old rows are sealed.
    sql: `
ALTER TABLE events ADD COLUMN gseq INTEGER;
ALTER TABLE events ADD COLUMN ledger_hash TEXT;
ALTER TABLE events ADD COLUMN seal TEXT;
CREATE UNIQUE INDEX events_gseq ON events (gseq);

-- The keyed head record (src/main/caselog/ledger.ts): one row, rewritten with every append.
CREATE TABLE ledger_head (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  gseq        INTEGER NOT NULL,
  ledger_hash TEXT NOT NULL,
  at          INTEGER NOT NULL,
  mac         TEXT NOT NULL
);

-- Each evidence item's own AES key wrapped by the data key; NULL once purged (crypto-shredding).
ALTER TABLE evidence ADD COLUMN wrapped_key BLOB;

-- Cases a backend refused for a reason a retry cannot fix: kept out of the outbox until released.
CREATE TABLE sync_held (
  case_id TEXT PRIMARY KEY,
  server  TEXT NOT NULL,
  code    TEXT NOT NULL,
  message TEXT NOT NULL,
  seq     INTEGER,
  held_at INTEGER NOT NULL
);

-- The latest checkpoint each backend acknowledged: the log must never fall behind or differ from it.
CREATE TABLE sync_acknowledged (
  server      TEXT PRIMARY KEY,
  gseq        INTEGER NOT NULL,
  ledger_hash TEXT NOT NULL,
  at          INTEGER NOT NULL
);

DROP TRIGGER events_no_update;
`,
    run: sealLegacyEvents,
  },
  {
    version: 5,
    name: 'case facts for the 质检 console',
    // one row per case with what the console filters and counts on (./case-facts.ts), kept current at append time;
    // existing cases are folded from their events here
    sql: CASE_FACTS_SCHEMA_V1,
    run: (db) => backfillCaseFacts(db),
  },
  {
    version: 6,
    name: 'agent shift log and enrolments',
    // the agent's shifts at the seat (src/main/shift/): own chained tables, never a customer case
    sql: SHIFT_SCHEMA_V1,
  },
];

const EVENTS_NO_UPDATE = `CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'case log events are append-only'); END;`;

/**
 * Gives every event written before the keyed ledger its global position (in write order), ledger hash and
 * seal. Their chain hashes stay as they were (veridesk-event/1), so copies already on a server still match.
 * Chains already broken are not blessed: their breaks are recorded and verify() reports them for good.
 */
function sealLegacyEvents(db: Database.Database, ctx: MigrationContext): void {
  if (!ctx.ledgerKey) throw new AppFailure('INTERNAL', 'the keyed-ledger migration needs the case log key');
  const key = ctx.ledgerKey;
  const rows = db.prepare('SELECT rowid AS rid, case_id, seq, type, at, actor, payload, prev_hash, hash FROM events ORDER BY rowid').all() as {
    rid: number;
    case_id: string;
    seq: number;
    type: string;
    at: number;
    actor: string;
    payload: string;
    prev_hash: string;
    hash: string;
  }[];
  const byCase = new Map<string, CaseEvent[]>();
  for (const r of rows) {
    const list = byCase.get(r.case_id) ?? [];
    list.push(rowToEvent(r));
    byCase.set(r.case_id, list);
  }
  const breaks: ChainBreak[] = [];
  for (const events of byCase.values()) {
    const b = verifyRun(events.sort((a, b) => a.seq - b.seq));
    if (b) breaks.push(b);
  }
  if (breaks.length > 0) db.prepare("INSERT INTO meta (key, value) VALUES ('ledger.legacy_breaks', ?)").run(JSON.stringify(breaks));
  const update = db.prepare('UPDATE events SET gseq = ?, ledger_hash = ?, seal = ? WHERE rowid = ?');
  const ledger = new LedgerWriter(db, key);
  let ledgerHash = LEDGER_GENESIS;
  let gseq = 0;
  let at = 0;
  for (const r of rows) {
    gseq++;
    ledgerHash = ledgerStep(ledgerHash, gseq, r.hash);
    update.run(gseq, ledgerHash, sealOf(key, { gseq, caseId: r.case_id, seq: r.seq, hash: r.hash }), r.rid);
    at = Math.max(at, r.at);
  }
  if (gseq > 0) ledger.setHead({ gseq, ledgerHash, at });
  db.prepare("INSERT INTO meta (key, value) VALUES ('ledger.legacy_sealed', ?)").run(JSON.stringify({ upTo: gseq, at: (ctx.now ?? Date.now)() }));
  db.exec(EVENTS_NO_UPDATE);
}

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export function migrate(db: Database.Database, ctx: MigrationContext = {}): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > SCHEMA_VERSION) {
    throw new AppFailure('CORRUPT_INPUT', `case log schema version ${from} is newer than this VeriDesk (${SCHEMA_VERSION}); upgrade the app`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    db.transaction(() => {
      db.exec(m.sql);
      m.run?.(db, ctx);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return { from, to: SCHEMA_VERSION };
}
