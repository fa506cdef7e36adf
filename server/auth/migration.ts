/**
 * Schema version 4 (server/db/migrations.ts): workstations as their own rows, several tokens per
 * workstation, token expiry and last use (docs/server-security.md).
 *
 * Until version 3 a workstation WAS its token: routes stored cases, sync batches, reviews and
 * signaling rooms under the token's name. So every existing 'workstation' token (revoked ones too:
 * their cases are still stored under their name) becomes a workstation whose id is that name,
 * and the token is attached to it; the principal's `name` is now the workstation id, which for
 * these tokens is the same string, so nothing stored before has to be rewritten.
 *
 * Times are TIMESTAMPTZ (operators read them in `token list` and in SQL); the server compares
 * them with its own, injectable clock (server/auth/tokens.ts), not the database's.
 * No `;` followed by a line break inside a statement: migrateServer splits on that.
 */
export const AUTH_MIGRATION = `
CREATE TABLE workstations (
  workstation_id TEXT PRIMARY KEY,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

INSERT INTO workstations (workstation_id, created_at)
  SELECT name, created_at FROM api_tokens WHERE role = 'workstation'
  ON CONFLICT (workstation_id) DO NOTHING;

ALTER TABLE api_tokens ADD COLUMN workstation_id TEXT REFERENCES workstations (workstation_id);
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE api_tokens ADD COLUMN last_used_at TIMESTAMPTZ;

UPDATE api_tokens SET workstation_id = name WHERE role = 'workstation';

ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_workstation_check CHECK ((role = 'workstation') = (workstation_id IS NOT NULL));
CREATE INDEX api_tokens_workstation ON api_tokens (workstation_id);
`;
