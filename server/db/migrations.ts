import { AUTH_MIGRATION } from '../auth/migration';
import { LEAD_MIGRATION } from '../leads/migration';
import { REF_LOOKUP_MIGRATION } from '../leads/ref-migration';
import { QUEUE_MIGRATION } from '../queue/migration';
import { RECORDINGS_MIGRATION } from '../recordings/migration';
import { SYNC_LEDGER_MIGRATION } from '../sync/migration';
import type { ServerDb } from './database';

/** Server schema migrations, numbered; applied under an advisory lock so several instances can start at once. */
export const SERVER_MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE api_tokens (
  token_id    BIGSERIAL PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  role        TEXT NOT NULL CHECK (role IN ('workstation', 'lead')),
  token_hash  TEXT NOT NULL UNIQUE,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  revoked_at  TIMESTAMPTZ
);

CREATE TABLE cases (
  case_id      TEXT PRIMARY KEY,
  workstation  TEXT NOT NULL,
  agent_id     TEXT,
  service_type TEXT,
  id_masked    TEXT,
  id_hash      TEXT,
  verdict      TEXT,
  opened_at    BIGINT,
  closed_at    BIGINT,
  last_seq     INTEGER NOT NULL,
  last_hash    TEXT NOT NULL,
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX cases_agent ON cases (agent_id, opened_at);
CREATE INDEX cases_verdict ON cases (verdict, opened_at);
CREATE INDEX cases_opened ON cases (opened_at);

CREATE TABLE events (
  case_id     TEXT NOT NULL REFERENCES cases (case_id),
  seq         INTEGER NOT NULL,
  type        TEXT NOT NULL,
  at          BIGINT NOT NULL,
  actor       TEXT NOT NULL,
  payload     TEXT NOT NULL,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL,
  batch_id    TEXT NOT NULL,
  received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (case_id, seq)
);

CREATE TABLE sync_batches (
  workstation     TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  body_hash       TEXT NOT NULL,
  response        TEXT NOT NULL,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (workstation, idempotency_key)
);

CREATE TABLE reviews (
  review_id   BIGSERIAL PRIMARY KEY,
  case_id     TEXT NOT NULL REFERENCES cases (case_id),
  workstation TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  reviewer    TEXT NOT NULL,
  note        TEXT NOT NULL DEFAULT '',
  created_at  BIGINT NOT NULL
);
CREATE INDEX reviews_workstation ON reviews (workstation, review_id);
`,
  },
  {
    // Signaling (server/signaling, docs/signaling.md). Room and token times are epoch ms from the
    // server's clock (injectable in tests); seat heartbeats use the database clock so instances
    // whose clocks drift still agree on which seats are stale.
    version: 2,
    sql: `
CREATE TABLE signal_rooms (
  room_id         TEXT PRIMARY KEY,
  case_id         TEXT NOT NULL,
  workstation     TEXT NOT NULL,
  created_at      BIGINT NOT NULL,
  expires_at      BIGINT NOT NULL,
  join_hash       TEXT NOT NULL,
  join_expires_at BIGINT NOT NULL,
  join_used_at    BIGINT,
  resume_hash     TEXT,
  closed_at       BIGINT,
  closed_reason   TEXT CHECK (closed_reason IN ('ended', 'expired'))
);
CREATE INDEX signal_rooms_open_expiry ON signal_rooms (expires_at) WHERE closed_at IS NULL;
CREATE INDEX signal_rooms_expiry ON signal_rooms (expires_at);

CREATE SEQUENCE signal_seat_epoch;

CREATE TABLE signal_seats (
  room_id      TEXT NOT NULL REFERENCES signal_rooms (room_id) ON DELETE CASCADE,
  role         TEXT NOT NULL CHECK (role IN ('agent', 'customer')),
  conn_id      TEXT NOT NULL,
  instance_id  TEXT NOT NULL,
  epoch        BIGINT NOT NULL,
  connected_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (room_id, role)
);
CREATE INDEX signal_seats_instance ON signal_seats (instance_id);
CREATE INDEX signal_seats_heartbeat ON signal_seats (heartbeat_at);

CREATE TABLE signal_messages (
  message_id BIGSERIAL PRIMARY KEY,
  payload    TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX signal_messages_created ON signal_messages (created_at);
`,
  },
  {
    // Reference photos (server/reference-photos, docs/reference-photos.md) and the token role of the
    // self-service channels that store them. Rows are keyed by HMAC-SHA256(server key, customer ref)
    // and hold only AES-256-GCM ciphertext; ages use the database clock (the sweep deletes old rows).
    version: 3,
    sql: `
ALTER TABLE api_tokens DROP CONSTRAINT IF EXISTS api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('workstation', 'lead', 'channel'));

CREATE TABLE reference_photos (
  customer_ref_hash TEXT PRIMARY KEY,
  mime              TEXT NOT NULL CHECK (mime IN ('image/jpeg', 'image/png', 'image/webp')),
  ciphertext        BYTEA NOT NULL,
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX reference_photos_updated ON reference_photos (updated_at);
`,
  },
  // Workstations, several tokens per workstation, token expiry (server/auth/migration.ts).
  { version: 4, sql: AUTH_MIGRATION },
  // The workstation ledger: event positions, signed checkpoints, pinned signer keys (server/sync/migration.ts).
  { version: 5, sql: SYNC_LEDGER_MIGRATION },
  // The lead API's case summary columns, their backfill and indexes (server/leads/migration.ts).
  { version: 6, sql: LEAD_MIGRATION },
  // Recordings uploaded after a call, stored encrypted (server/recordings/migration.ts).
  { version: 7, sql: RECORDINGS_MIGRATION },
  // the customer journey: hand-over, queue, agent presence, call-backs (server/queue/migration.ts)
  { version: 8, sql: QUEUE_MIGRATION },
  // the lead API's customer-reference lookup column and index (server/leads/ref-migration.ts)
  { version: 9, sql: REF_LOOKUP_MIGRATION },
];

export async function migrateServer(db: ServerDb): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(724201)');
    await tx.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const { rows } = await tx.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    const current = Number(rows[0]?.v ?? 0);
    for (const m of SERVER_MIGRATIONS) {
      if (m.version <= current) continue;
      for (const stmt of m.sql.split(/;\s*\n/).map((s) => s.trim()).filter(Boolean)) await tx.query(stmt);
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
    }
    return SERVER_MIGRATIONS[SERVER_MIGRATIONS.length - 1]?.version ?? 0;
  });
}
