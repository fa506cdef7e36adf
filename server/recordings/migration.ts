/**
 * Schema version 7 (server/db/migrations.ts): recordings uploaded by workstations after a call
 * (docs/recording-upload.md).
 *
 * - recordings: one row per uploaded track. What it must hold (chunks, bytes, sha256, chunk_list_sha256,
 *   seekable) is copied from the case's synced `recording.stopped` / `recording.recovered` event when the
 *   upload begins, so the case log, not the uploader, says what "complete" means. `wrapped_key` is the
 *   recording's own AES-256 key wrapped by the server key: retention sets it to NULL (crypto-shredding)
 *   before it deletes the objects, so a copy the storage kept (S3 versioning, a backup) is unreadable too.
 *   Times are epoch ms: created_at from the server's (injectable) clock, recorded_at the sealing event's.
 * - recording_chunks: the chunks the server holds, each with the sha256 of its plaintext (recomputed on
 *   receipt) and the storage object it is in. The primary key makes a chunk stored at most once.
 * No `;` followed by a line break inside a statement: migrateServer splits on that.
 */
export const RECORDINGS_MIGRATION = `
CREATE TABLE recordings (
  recording_id      TEXT PRIMARY KEY,
  case_id           TEXT NOT NULL REFERENCES cases (case_id),
  workstation       TEXT NOT NULL,
  call_id           TEXT,
  track             TEXT,
  mime_type         TEXT NOT NULL,
  state             TEXT NOT NULL CHECK (state IN ('uploading', 'complete', 'purged')),
  chunks            INTEGER NOT NULL CHECK (chunks >= 0),
  bytes             BIGINT NOT NULL CHECK (bytes >= 0),
  sha256            TEXT NOT NULL,
  chunk_list_sha256 TEXT NOT NULL,
  seekable          BOOLEAN NOT NULL,
  duration_ms       BIGINT,
  recorded_at       BIGINT NOT NULL,
  wrapped_key       BYTEA,
  seek_object       TEXT,
  seek_replaced     INTEGER,
  seek_bytes        INTEGER,
  seek_sha256       TEXT,
  created_at        BIGINT NOT NULL,
  completed_at      BIGINT,
  purged_at         BIGINT,
  objects_deleted   BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX recordings_case ON recordings (case_id);
CREATE INDEX recordings_unpurged ON recordings (created_at) WHERE purged_at IS NULL;
CREATE INDEX recordings_undeleted ON recordings (purged_at) WHERE purged_at IS NOT NULL AND objects_deleted = false;

CREATE TABLE recording_chunks (
  recording_id TEXT NOT NULL REFERENCES recordings (recording_id),
  seq          INTEGER NOT NULL CHECK (seq >= 0),
  bytes        INTEGER NOT NULL CHECK (bytes >= 0),
  sha256       TEXT NOT NULL,
  object_key   TEXT NOT NULL,
  PRIMARY KEY (recording_id, seq)
);
`;
