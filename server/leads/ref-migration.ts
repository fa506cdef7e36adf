/**
 * Schema version 9 (server/db/migrations.ts): the server's customer-reference lookup (./ref-lookup.ts says why).
 *
 * - `customer_ref_lookup`: hex HMAC-SHA256(server lookup key, customer reference), set at ingest by the sync
 *   upsert (server/sync/batch-writes.ts); NULL when the case has no reference (or one no search could ask for).
 * - `ref_lookup_pending`: the case's case.opened has not been looked at yet. A migration has no key, so the
 *   backfill is two steps: here every existing case whose case.opened carries a reference string is marked, and at
 *   start (and before each search) completeRefLookups hashes them from the stored events. The default is true so
 *   that a writer which does not know the column (an older instance during a rolling upgrade, a bench seed) leaves
 *   its cases to that completion rather than unsearchable; the upsert of this version writes false with the lookup.
 * - `cases_customer_lookup_keyset`: a search is one index range in the list's order, like every other filter;
 *   `cases_ref_lookup_pending` keeps "anything pending?" one probe of an (almost always empty) partial index.
 * No `;` followed by a line break inside a statement: migrateServer splits on that.
 */
export const REF_LOOKUP_MIGRATION = `
ALTER TABLE cases ADD COLUMN customer_ref_lookup TEXT;
ALTER TABLE cases ADD COLUMN ref_lookup_pending BOOLEAN NOT NULL DEFAULT true;
UPDATE cases c SET ref_lookup_pending = false
WHERE NOT EXISTS (
  SELECT 1 FROM events e
  WHERE e.case_id = c.case_id AND e.seq = 1 AND e.type = 'case.opened' AND jsonb_typeof(e.payload::jsonb->'customerRef') = 'string'
);
CREATE INDEX cases_customer_lookup_keyset ON cases (customer_ref_lookup, opened_at DESC, case_id) WHERE customer_ref_lookup IS NOT NULL;
CREATE INDEX cases_ref_lookup_pending ON cases (case_id) WHERE ref_lookup_pending;
`;
