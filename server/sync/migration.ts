/**
 * Server schema for the workstation ledger (DESIGN.md §7-§8, src/common/ledger.ts), applied as migration 5
 * by server/db/migrations.ts.
 *
 * - events.gseq: the event's global position in its workstation's ledger (NULL for events from clients older
 *   than the ledger). events.workstation is written with every event from now on so that one partial unique
 *   index enforces "one event per (workstation, gseq)" on the same heap row: a separate positions table would
 *   cost another heap insert and another index per event on the drain's hot path. Legacy rows keep
 *   workstation NULL (cases.workstation still says whose they are); the index and the ledger reads only look at
 *   rows with a gseq.
 * - sync_checkpoints: every signed checkpoint the server accepted, by position; the highest is the head a
 *   later batch may not go below.
 * - workstation_signers: the Ed25519 key pinned by a workstation's first checkpoint (trust on first use).
 */
export const SYNC_LEDGER_MIGRATION = `
ALTER TABLE events ADD COLUMN workstation TEXT;
ALTER TABLE events ADD COLUMN gseq BIGINT CHECK (gseq >= 1);
CREATE UNIQUE INDEX events_workstation_gseq ON events (workstation, gseq) WHERE gseq IS NOT NULL;

CREATE TABLE sync_checkpoints (
  workstation TEXT NOT NULL,
  gseq        BIGINT NOT NULL CHECK (gseq >= 1),
  ledger_hash TEXT NOT NULL,
  at          BIGINT NOT NULL,
  signature   TEXT NOT NULL,
  batch_id    TEXT NOT NULL,
  received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (workstation, gseq)
);

CREATE TABLE workstation_signers (
  workstation TEXT PRIMARY KEY,
  public_key  TEXT NOT NULL,
  pinned_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
`;
