/**
 * Case log migration 6 (registered in src/main/caselog/migrations.ts): the agent's shift log and enrolments.
 * Own tables, not `events`: a shift is not a case, its events are not in the case ledger's global sequence and
 * are not synced (./shift-chain.ts says how they are chained and sealed instead). IF NOT EXISTS throughout: a log
 * whose user_version was set back (tests of older migrations do that) re-runs this step without harm.
 */
export const SHIFT_SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS shifts (
  shift_id    TEXT PRIMARY KEY,
  agent_id    TEXT NOT NULL,
  started_at  INTEGER NOT NULL,
  ended_at    INTEGER,
  end_reason  TEXT,
  last_seq    INTEGER NOT NULL,
  last_hash   TEXT NOT NULL,
  -- HMAC (ledger key) over shift, agent, start, last seq and hash: a cut tail does not match it
  head_mac    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS shifts_started ON shifts (started_at);

-- Append-only, chained per shift and sealed with the ledger key.
CREATE TABLE IF NOT EXISTS shift_events (
  shift_id  TEXT NOT NULL REFERENCES shifts (shift_id),
  seq       INTEGER NOT NULL,
  type      TEXT NOT NULL,
  at        INTEGER NOT NULL,
  payload   TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL,
  seal      TEXT NOT NULL,
  PRIMARY KEY (shift_id, seq)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS shift_events_no_update BEFORE UPDATE ON shift_events
BEGIN SELECT RAISE(ABORT, 'shift events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS shift_events_no_delete BEFORE DELETE ON shift_events
BEGIN SELECT RAISE(ABORT, 'shift events are append-only'); END;

-- The enrolled face of each agent id: only the embedding, AES-256-GCM with the data key (the photo is not kept).
CREATE TABLE IF NOT EXISTS shift_enrolments (
  agent_id     TEXT PRIMARY KEY,
  embedding    BLOB NOT NULL,
  model_sha256 TEXT NOT NULL,
  enrolled_at  INTEGER NOT NULL
);
`;
