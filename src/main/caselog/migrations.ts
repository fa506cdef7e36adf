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
