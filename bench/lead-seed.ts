/**
 * The cases bench/lead-api.ts measures, seeded straight into the summary columns with one INSERT … SELECT FROM
 * generate_series($1) (the sync path is bench/store.ts's business): 60 agents, 40 workstations, a year of
 * openings before SEED_NOW, and shares like a real team's — advice pass 70 % / review 20 % / fail 10 %, 5 % not
 * decided, overrides with reason codes (~16 %), escalations 3 %, re-verifications 5 %, failed checks (quality
 * 15 %, liveness and mismatch 5 %, …), 8 % reviewed, customer reference hashes on 60 % (50,000 customers).
 * Pseudo-random but deterministic (hashint4 of the case number), so both databases and every run hold the same
 * cases.
 */

const DAY = 86_400_000;
export const SEED_NOW = Date.UTC(2026, 0, 1);
const NOW = SEED_NOW;

/** SQL for the customer reference hash the seed gives customer `n`. */
export const customerHashSql = (n: number) => `encode(sha256(('customer-' || ${n})::bytea), 'hex')`;

// u(k): a deterministic "random" number in [0, 1) per case i and stream k
const u = (k: number) => `((hashint4(i * 97 + ${k}) & 2147483647) % 1000000) / 1000000.0`;
export const LEAD_SEED_SQL = `
INSERT INTO cases (case_id, workstation, agent_id, service_type, id_masked, id_hash, customer_ref_hash, opened_at, decided_at, closed_at,
  verdict, advice, decision, against_advice, reason_code, escalated, challenges, id_photos, reverified, failed_checks, review_outcome, reviewed_at,
  last_seq, last_hash)
SELECT 'case-' || lpad(i::text, 7, '0'), 'ws-' || lpad(floor(r.w * 40)::int::text, 2, '0'), 'agent-' || lpad(floor(r.a * 60)::int::text, 2, '0'),
  (ARRAY['consult', 'query', 'operate', 'transact'])[1 + (r.s * 4)::int % 4], '110***********0012', md5(i::text),
  CASE WHEN r.c < 0.6 THEN encode(sha256(('customer-' || (r.c * 50000)::int)::bytea), 'hex') END,
  o.opened, CASE WHEN d.decision IS NOT NULL THEN o.opened + 60000 + (r.h * 540000)::bigint END,
  CASE WHEN d.decision IS NOT NULL OR r.open < 0.07 THEN o.opened + 61000 + (r.h * 540000)::bigint END,
  CASE d.decision WHEN 'pass' THEN 'verified' WHEN 'fail' THEN 'rejected' ELSE CASE WHEN r.open < 0.07 THEN 'abandoned' END END,
  d.advice, d.decision, NULL,
  CASE WHEN d.against THEN (ARRAY['id_photo_old', 'appearance_changed', 'poor_lighting_or_camera', 'glasses_mask_or_makeup', 'verified_other_means',
    'suspected_impostor', 'suspected_coaching', 'document_doubtful', 'customer_refused_checks', 'engine_error'])[1 + (r.rc * 10)::int % 10] END,
  r.e < 0.03, CASE WHEN r.rv < 0.05 THEN 2 ELSE 1 END, 1, r.rv < 0.05,
  ARRAY(SELECT k FROM (VALUES ('face_swap', r.f1 < 0.01), ('id_consistency', r.f2 < 0.01), ('liveness', r.f3 < 0.05), ('mismatch', r.f4 < 0.05),
    ('presence', r.f5 < 0.02), ('quality', r.f6 < 0.15), ('spoken_code', r.f7 < 0.02)) AS f (k, hit) WHERE hit),
  CASE WHEN r.rev < 0.08 THEN CASE WHEN r.rev < 0.056 THEN 'confirmed' WHEN r.rev < 0.068 THEN 'overturned' WHEN r.rev < 0.076 THEN 'process_not_followed' ELSE 'needs_followup' END END,
  CASE WHEN r.rev < 0.08 THEN o.opened + 2 * ${DAY} END,
  12, md5('h' || i::text) || md5('t' || i::text)
FROM generate_series(1, $1::int) AS i
CROSS JOIN LATERAL (SELECT ${u(1)} AS w, ${u(2)} AS a, ${u(3)} AS s, ${u(4)} AS c, ${u(5)} AS h, ${u(6)} AS open, ${u(7)} AS adv, ${u(8)} AS dec,
  ${u(9)} AS rc, ${u(10)} AS e, ${u(11)} AS rv, ${u(12)} AS f1, ${u(13)} AS f2, ${u(14)} AS f3, ${u(15)} AS f4, ${u(16)} AS f5, ${u(17)} AS f6,
  ${u(18)} AS f7, ${u(19)} AS rev, ${u(20)} AS t) AS r
CROSS JOIN LATERAL (SELECT ${NOW}::bigint - (i::bigint * ${365 * DAY} / $1::int) - (r.t * 3600000)::bigint AS opened) AS o
CROSS JOIN LATERAL (SELECT CASE WHEN r.adv < 0.7 THEN 'pass' WHEN r.adv < 0.9 THEN 'review' ELSE 'fail' END AS advice) AS a0
CROSS JOIN LATERAL (SELECT a0.advice,
  CASE WHEN r.open < 0.05 THEN NULL
       WHEN a0.advice = 'pass' THEN CASE WHEN r.dec < 0.95 THEN 'pass' ELSE 'fail' END
       WHEN a0.advice = 'review' THEN CASE WHEN r.dec < 0.6 THEN 'pass' ELSE 'fail' END
       ELSE CASE WHEN r.dec < 0.15 THEN 'pass' ELSE 'fail' END END AS decision) AS d0
CROSS JOIN LATERAL (SELECT d0.advice, d0.decision,
  d0.decision IS NOT NULL AND CASE WHEN d0.decision = 'pass' THEN d0.advice <> 'pass' ELSE d0.advice = 'pass' END AS against) AS d`;
