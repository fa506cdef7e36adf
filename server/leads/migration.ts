/**
 * Schema version 6 (server/db/migrations.ts): what the lead API (docs/lead-api.md) filters, pages and counts on.
 *
 * Summary columns on `cases`, kept current at ingest by the sync upsert (server/sync/batch-writes.ts, rules in
 * ./case-summary.ts) and by the review route (review_outcome, reviewed_at); cases stored before this version get
 * them from their stored events here (LEAD_BACKFILL, the same rules in SQL).
 * `disagreement` is generated from the desk's explicit `against` or, for events that do not say, from the final
 * advice and decision (the desk's rule: passing what the engine did not advise to pass, failing what it advised
 * to pass), so the upsert never has to recompute it from columns it is merging at the same time.
 *
 * Indexes: every list filter has one that also yields the list's order (opened_at DESC, case_id), so a page is
 * one index range scan under the keyset cursor whatever page it is; rare yes/no facts use partial indexes (a
 * query must then say the literal, `AND disagreement`, which ./query.ts does) — failed checks too, one partial
 * index per kind (the kinds of src/shared/console.ts at this version, written out: a migration is frozen). A GIN
 * index on the array gives no order, so a page needed a bitmap of every match plus a sort. The old cases_opened and
 * cases_agent indexes are replaced by their keyset forms (the old GET /api/v1/cases uses those as well).
 * No `;` followed by a line break inside a statement: migrateServer splits on that.
 */
import { QUALITY_PROBLEMS } from '../../src/shared/console';
import { CHECK_KIND_SQL } from './case-summary';

const COLUMNS = `
ALTER TABLE cases ADD COLUMN customer_ref_hash TEXT;
ALTER TABLE cases ADD COLUMN advice TEXT;
ALTER TABLE cases ADD COLUMN decision TEXT;
ALTER TABLE cases ADD COLUMN against_advice BOOLEAN;
ALTER TABLE cases ADD COLUMN reason_code TEXT;
ALTER TABLE cases ADD COLUMN escalated BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE cases ADD COLUMN decided_at BIGINT;
ALTER TABLE cases ADD COLUMN challenges INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN id_photos INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN reverified BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE cases ADD COLUMN failed_checks TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE cases ADD COLUMN review_outcome TEXT;
ALTER TABLE cases ADD COLUMN reviewed_at BIGINT;
ALTER TABLE cases ADD COLUMN disagreement BOOLEAN NOT NULL GENERATED ALWAYS AS (COALESCE(against_advice, CASE WHEN decision IS NULL OR advice IS NULL THEN false WHEN decision = 'pass' THEN advice <> 'pass' ELSE advice = 'pass' END)) STORED;
`;

const quality = QUALITY_PROBLEMS.map((q) => `'"${q}"'`).join(', ');

/**
 * Recomputes every summary column from the stored events and reviews (./case-summary.ts in SQL: "last in chain
 * order" is the first element of an array_agg ordered by seq DESC). Helper functions live only for the backfill.
 */
export const LEAD_BACKFILL = `
CREATE FUNCTION lead_token(v jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN jsonb_typeof(v) = 'string' AND (v #>> '{}') ~ '^[A-Za-z0-9._:-]{1,64}$' THEN v #>> '{}' END $$;
CREATE FUNCTION lead_failed_kind(chk_json jsonb, status jsonb, reason jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN kind = 'quality' THEN CASE WHEN status IN ('"warn"', '"fail"') AND reason IN (${quality}) THEN kind END WHEN status = '"fail"' THEN kind END FROM (SELECT ${CHECK_KIND_SQL} AS kind FROM (SELECT CASE WHEN jsonb_typeof(chk_json) = 'string' THEN chk_json #>> '{}' END AS chk) c) k $$;
CREATE FUNCTION lead_verdict_decision(v jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN v = '"verified"' THEN 'pass' WHEN v = '"rejected"' THEN 'fail' END $$;

WITH e AS (
  SELECT case_id, seq, type, at, payload::jsonb AS p FROM events
  WHERE type IN ('check.result', 'verification.event', 'decision.made', 'case.escalated', 'case.closed')
), v AS (
  SELECT case_id, seq, type, at,
    CASE WHEN type = 'verification.event' AND p->>'type' = 'advice.changed' THEN lead_token(p->'advice')
         WHEN type = 'decision.made' THEN lead_token(p->'advice')
         WHEN type = 'case.closed' THEN lead_token(p->'summary'->'advice') END AS advice,
    CASE WHEN type = 'decision.made' THEN COALESCE(lead_token(p->'decision'), lead_verdict_decision(p->'verdict'))
         WHEN type = 'case.closed' THEN COALESCE(lead_token(p->'summary'->'decision'), lead_verdict_decision(p->'verdict')) END AS decision,
    CASE WHEN type = 'decision.made' THEN CASE WHEN jsonb_typeof(p->'against') = 'boolean' THEN (p->'against')::boolean
                                              WHEN jsonb_typeof(p->'followsAdvice') = 'boolean' THEN NOT (p->'followsAdvice')::boolean END
         WHEN type = 'case.closed' AND jsonb_typeof(p->'summary'->'against') = 'boolean' THEN (p->'summary'->'against')::boolean END AS against,
    CASE WHEN type IN ('decision.made', 'case.closed') THEN lead_token(p->'reasonCode') END AS reason,
    type = 'verification.event' AND p->>'type' = 'challenge.started' AS challenge,
    type = 'verification.event' AND p->>'type' = 'id_photo.set' AS id_photo
  FROM e
), w AS (
  -- whether any event before this one gave an advice (an ID photo set after it means the verification restarted)
  SELECT v.*, count(advice) OVER (PARTITION BY case_id ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) > 0 AS advised
  FROM v
), g AS (
  SELECT case_id,
    (array_agg(advice ORDER BY seq DESC) FILTER (WHERE advice IS NOT NULL))[1] AS advice,
    (array_agg(decision ORDER BY seq DESC) FILTER (WHERE decision IS NOT NULL))[1] AS decision,
    (array_agg(against ORDER BY seq DESC) FILTER (WHERE against IS NOT NULL))[1] AS against,
    (array_agg(reason ORDER BY seq DESC) FILTER (WHERE reason IS NOT NULL))[1] AS reason_code,
    bool_or(type = 'case.escalated') AS escalated,
    (array_agg(at ORDER BY seq) FILTER (WHERE decision IS NOT NULL))[1] AS decided_at,
    count(*) FILTER (WHERE challenge)::int AS challenges,
    count(*) FILTER (WHERE id_photo)::int AS id_photos,
    count(*) FILTER (WHERE challenge) >= 2 OR COALESCE(bool_or(id_photo AND advised), false) AS reverified
  FROM w GROUP BY case_id
), k AS (
  SELECT case_id, lead_failed_kind(CASE WHEN jsonb_typeof(p->'check') = 'object' THEN p->'check'->'id' ELSE p->'check' END,
                                   CASE WHEN jsonb_typeof(p->'check') = 'object' THEN p->'check'->'status' ELSE p->'status' END,
                                   CASE WHEN jsonb_typeof(p->'check') = 'object' THEN p->'check'->'reason' ELSE p->'reason' END) AS kind
  FROM e WHERE type = 'check.result'
  UNION ALL
  SELECT case_id, 'liveness' FROM e WHERE type = 'verification.event' AND p->>'type' = 'challenge.finished' AND p->'status' = '"failed"'
  UNION ALL
  SELECT case_id, 'spoken_code' FROM e WHERE type = 'verification.event' AND p->>'type' = 'spoken_code.confirmed' AND p->'ok' = 'false'
  UNION ALL
  SELECT e.case_id, lead_failed_kind(c->'id', c->'status', c->'reason')
  FROM e CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(e.p->'summary'->'checks') = 'array' THEN e.p->'summary'->'checks' ELSE '[]'::jsonb END) AS c
  WHERE e.type = 'case.closed'
), f AS (
  SELECT case_id, array_agg(DISTINCT kind ORDER BY kind) AS failed FROM k WHERE kind IS NOT NULL GROUP BY case_id
)
UPDATE cases c SET
  advice = g.advice, decision = g.decision, against_advice = g.against, reason_code = g.reason_code, escalated = g.escalated,
  decided_at = g.decided_at, challenges = g.challenges, id_photos = g.id_photos, reverified = g.reverified,
  failed_checks = COALESCE(f.failed, '{}')
FROM g LEFT JOIN f ON f.case_id = g.case_id
WHERE c.case_id = g.case_id;

UPDATE cases c SET customer_ref_hash = e.payload::jsonb->>'customerRefHash'
FROM events e
WHERE e.case_id = c.case_id AND e.seq = 1 AND e.type = 'case.opened'
  AND jsonb_typeof(e.payload::jsonb->'customerRefHash') = 'string' AND (e.payload::jsonb->>'customerRefHash') ~ '^[0-9a-f]{64}$';

UPDATE cases c SET review_outcome = r.outcome, reviewed_at = r.created_at
FROM (SELECT DISTINCT ON (case_id) case_id, outcome, created_at FROM reviews ORDER BY case_id, review_id DESC) r
WHERE r.case_id = c.case_id;

DROP FUNCTION lead_verdict_decision(jsonb);
DROP FUNCTION lead_failed_kind(jsonb, jsonb, jsonb);
DROP FUNCTION lead_token(jsonb);
`;

/** The lead API's indexes (docs/lead-api.md lists which filter uses which, with EXPLAIN output). */
export const LEAD_INDEXES = `
DROP INDEX cases_opened;
DROP INDEX cases_agent;
CREATE INDEX cases_opened_keyset ON cases (opened_at DESC, case_id);
CREATE INDEX cases_agent_keyset ON cases (agent_id, opened_at DESC, case_id);
CREATE INDEX cases_workstation_keyset ON cases (workstation, opened_at DESC, case_id);
CREATE INDEX cases_service_keyset ON cases (service_type, opened_at DESC, case_id);
CREATE INDEX cases_advice_keyset ON cases (advice, opened_at DESC, case_id);
CREATE INDEX cases_decision_keyset ON cases (decision, opened_at DESC, case_id);
CREATE INDEX cases_undecided_keyset ON cases (opened_at DESC, case_id) WHERE decision IS NULL;
CREATE INDEX cases_review_keyset ON cases (review_outcome, opened_at DESC, case_id) WHERE review_outcome IS NOT NULL;
CREATE INDEX cases_reviewed_keyset ON cases (opened_at DESC, case_id) WHERE review_outcome IS NOT NULL;
CREATE INDEX cases_customer_keyset ON cases (customer_ref_hash, opened_at DESC, case_id) WHERE customer_ref_hash IS NOT NULL;
CREATE INDEX cases_disagreement_keyset ON cases (opened_at DESC, case_id) WHERE disagreement;
CREATE INDEX cases_escalated_keyset ON cases (opened_at DESC, case_id) WHERE escalated;
CREATE INDEX cases_reverified_keyset ON cases (opened_at DESC, case_id) WHERE reverified;
CREATE INDEX cases_failed_quality_keyset ON cases (opened_at DESC, case_id) WHERE 'quality' = ANY (failed_checks);
CREATE INDEX cases_failed_liveness_keyset ON cases (opened_at DESC, case_id) WHERE 'liveness' = ANY (failed_checks);
CREATE INDEX cases_failed_mismatch_keyset ON cases (opened_at DESC, case_id) WHERE 'mismatch' = ANY (failed_checks);
CREATE INDEX cases_failed_presence_keyset ON cases (opened_at DESC, case_id) WHERE 'presence' = ANY (failed_checks);
CREATE INDEX cases_failed_face_swap_keyset ON cases (opened_at DESC, case_id) WHERE 'face_swap' = ANY (failed_checks);
CREATE INDEX cases_failed_id_consistency_keyset ON cases (opened_at DESC, case_id) WHERE 'id_consistency' = ANY (failed_checks);
CREATE INDEX cases_failed_spoken_code_keyset ON cases (opened_at DESC, case_id) WHERE 'spoken_code' = ANY (failed_checks);
CREATE INDEX cases_case_id_prefix ON cases (case_id text_pattern_ops);
CREATE INDEX reviews_case ON reviews (case_id, review_id);
`;

/** Migration 6: columns, then the backfill (before the indexes, which are then built once over the result). */
export const LEAD_MIGRATION = `${COLUMNS}\n${LEAD_BACKFILL}\n${LEAD_INDEXES}`;
