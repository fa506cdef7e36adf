/**
 * Schema version 8 (server/db/migrations.ts): the customer journey (issue 12, docs/queue.md).
 *
 * - queue_requests: one row per customer asking for a video agent, from a channel's hand-over or a call-back
 *   that fell due. `secret_hash` is the hash (server/signaling/admission.ts hashToken) of the customer's secret;
 *   the room made at accept is joinable with the same secret. `context` is the validated hand-over context
 *   (intent, prior checks, script step) as JSON; the reference photo is in reference_photos, keyed as that
 *   module keys it. `customer_seen_at`: the customer page's last status poll — routing offers only requests
 *   whose customer is there, and a request not seen for the presence timeout is abandoned.
 *   (channel, channel_request_id) is the channel's idempotency key; `body_hash` tells a replay from a conflict.
 * - queue_agents: one row per workstation (the principal of a workstation token): the agent signed in there,
 *   their state, since when they are ready (the longest-ready agent is offered first), and the request offered.
 * - queue_skills: the service types a workstation's agents take (set with the server CLI); none = all.
 * - queue_declines: an agent who declined or let an offer lapse is not offered the same request again.
 * - queue_log: every agent state change and routing decision (who, what, when, why), for the audit.
 * - queue_callbacks: booked call-backs; a due one makes a queue_requests row with origin 'callback'.
 * All times are epoch ms from the server's (injectable) clock. No `;` followed by a line break inside a
 * statement: migrateServer splits on that.
 */
export const QUEUE_MIGRATION = `
CREATE TABLE queue_requests (
  request_id         TEXT PRIMARY KEY,
  channel            TEXT NOT NULL,
  channel_request_id TEXT NOT NULL,
  body_hash          TEXT NOT NULL,
  origin             TEXT NOT NULL CHECK (origin IN ('handover', 'callback')),
  service_type       TEXT NOT NULL,
  customer_ref       TEXT NOT NULL,
  context            TEXT NOT NULL,
  has_photo          BOOLEAN NOT NULL DEFAULT false,
  secret_hash        TEXT NOT NULL,
  priority           INTEGER NOT NULL DEFAULT 0,
  state              TEXT NOT NULL CHECK (state IN ('waiting', 'offered', 'assigned', 'finished', 'abandoned', 'left', 'callback', 'closed')),
  created_at         BIGINT NOT NULL,
  enqueued_at        BIGINT NOT NULL,
  customer_seen_at   BIGINT,
  offered_to         TEXT,
  offer_expires_at   BIGINT,
  assigned_to        TEXT,
  assigned_at        BIGINT,
  case_id            TEXT,
  room_id            TEXT,
  ended_at           BIGINT,
  callback_id        TEXT,
  UNIQUE (channel, channel_request_id)
);
CREATE INDEX queue_requests_waiting ON queue_requests (priority DESC, enqueued_at) WHERE state = 'waiting';
CREATE INDEX queue_requests_offered ON queue_requests (offer_expires_at) WHERE state = 'offered';
CREATE INDEX queue_requests_enqueued ON queue_requests (enqueued_at);

CREATE TABLE queue_agents (
  workstation      TEXT PRIMARY KEY,
  agent_id         TEXT,
  state            TEXT NOT NULL CHECK (state IN ('ready', 'busy', 'away', 'offline')),
  reason           TEXT,
  ready_since      BIGINT,
  offer_request_id TEXT,
  updated_at       BIGINT NOT NULL
);
CREATE INDEX queue_agents_ready ON queue_agents (ready_since) WHERE state = 'ready' AND offer_request_id IS NULL;

CREATE TABLE queue_skills (
  workstation  TEXT NOT NULL,
  service_type TEXT NOT NULL,
  PRIMARY KEY (workstation, service_type)
);

CREATE TABLE queue_declines (
  request_id  TEXT NOT NULL,
  workstation TEXT NOT NULL,
  at          BIGINT NOT NULL,
  PRIMARY KEY (request_id, workstation)
);

CREATE TABLE queue_log (
  log_id      BIGSERIAL PRIMARY KEY,
  at          BIGINT NOT NULL,
  kind        TEXT NOT NULL,
  workstation TEXT,
  agent_id    TEXT,
  request_id  TEXT,
  detail      TEXT
);
CREATE INDEX queue_log_request ON queue_log (request_id, log_id);
CREATE INDEX queue_log_at ON queue_log (at);

CREATE TABLE queue_callbacks (
  callback_id        TEXT PRIMARY KEY,
  channel            TEXT NOT NULL,
  channel_request_id TEXT NOT NULL,
  from_request_id    TEXT,
  service_type       TEXT NOT NULL,
  customer_ref       TEXT NOT NULL,
  context            TEXT NOT NULL,
  has_photo          BOOLEAN NOT NULL DEFAULT false,
  secret_hash        TEXT NOT NULL,
  slot_start         BIGINT NOT NULL,
  slot_end           BIGINT NOT NULL,
  state              TEXT NOT NULL CHECK (state IN ('booked', 'queued', 'retry', 'done', 'closed')),
  attempts           INTEGER NOT NULL DEFAULT 0,
  due_at             BIGINT NOT NULL,
  closed_reason      TEXT,
  created_at         BIGINT NOT NULL,
  UNIQUE (channel, channel_request_id)
);
CREATE INDEX queue_callbacks_due ON queue_callbacks (due_at) WHERE state IN ('booked', 'retry');
CREATE INDEX queue_callbacks_slot ON queue_callbacks (service_type, slot_start);
`;
