import type Database from 'better-sqlite3';
import { AppFailure } from '../../shared/errors';

/**
 * Numbered migrations, applied in order through `PRAGMA user_version` (DESIGN.md §7).
 * Never edit a released migration: append a new one.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
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
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export function migrate(db: Database.Database): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > SCHEMA_VERSION) {
    throw new AppFailure('CORRUPT_INPUT', `case log schema version ${from} is newer than this VeriDesk (${SCHEMA_VERSION}); upgrade the app`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return { from, to: SCHEMA_VERSION };
}
