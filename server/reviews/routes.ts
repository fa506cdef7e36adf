import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CaseIdSchema, REVIEW_OUTCOMES, VERDICTS } from '../../src/shared/cases';
import { requireRole } from '../auth/tokens';
import type { ServerDb } from '../db/database';
import { ApiError } from '../errors';
import { caseEvents } from '../leads/detail';
import { toReview } from '../sync/routes';

/** Advisory lock key that serialises review inserts (see the insert below); exported for tests. */
export const REVIEW_ORDER_LOCK = 724202;

const ReviewBody = z.object({ outcome: z.enum(REVIEW_OUTCOMES), note: z.string().max(4000).default('') }).strict();
const ListQuery = z.object({
  agent: z.string().max(128).optional(),
  verdict: z.enum(VERDICTS).optional(),
  from: z.coerce.number().int().optional(),
  to: z.coerce.number().int().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** Team-lead endpoints: list cases, read one (re-verified), record a review outcome (the lead API proper: server/leads). */
export function registerReviewRoutes(app: FastifyInstance, db: ServerDb): void {
  const leadOnly = requireRole(db, 'lead');

  app.get('/api/v1/cases', { preHandler: leadOnly }, async (request) => {
    const q = ListQuery.safeParse(request.query);
    if (!q.success) throw new ApiError(400, 'MALFORMED_BATCH', 'bad filter');
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.data.agent) add('agent_id = ?', q.data.agent);
    if (q.data.verdict) add('verdict = ?', q.data.verdict);
    if (q.data.from !== undefined) add('opened_at >= ?', q.data.from);
    if (q.data.to !== undefined) add('opened_at < ?', q.data.to);
    params.push(q.data.limit);
    const { rows } = await db.query(
      `SELECT case_id, workstation, agent_id, service_type, id_masked, verdict, opened_at, closed_at, last_seq FROM cases ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY opened_at DESC LIMIT $${params.length}`,
      params,
    );
    return { cases: rows };
  });

  // The older detail (events only); GET /api/v1/lead/cases/:id adds the summary and reviews (server/leads/detail.ts).
  app.get<{ Params: { caseId: string } }>('/api/v1/cases/:caseId', { preHandler: leadOnly }, async (request) => {
    const found = await caseEvents(db, request.params.caseId);
    if (!found) throw new ApiError(404, 'NOT_FOUND', 'no such case');
    return found;
  });

  app.post<{ Params: { caseId: string } }>('/api/v1/cases/:caseId/reviews', { preHandler: leadOnly }, async (request, reply) => {
    if (!CaseIdSchema.safeParse(request.params.caseId).success) throw new ApiError(400, 'MALFORMED_BATCH', 'bad case id');
    const body = ReviewBody.safeParse(request.body);
    if (!body.success) throw new ApiError(400, 'MALFORMED_BATCH', `bad review: ${body.error.issues[0]?.message ?? ''}`);
    const { rows: cases } = await db.query<{ workstation: string; agent_id: string | null }>('SELECT workstation, agent_id FROM cases WHERE case_id = $1', [request.params.caseId]);
    const c = cases[0];
    if (!c) throw new ApiError(404, 'NOT_FOUND', 'no such case');
    // 质检 is a second pair of eyes: a lead who also takes calls cannot pass judgement on their own case
    const reviewer = request.principal!;
    if (c.agent_id !== null && (c.agent_id === reviewer.name || c.agent_id === reviewer.tokenName)) {
      throw new ApiError(403, 'FORBIDDEN', `不能复核自己的案件 / cannot review your own case (a reviewer cannot review their own case: it was handled by agent ${c.agent_id}, the reviewer's own id)`, { caseId: request.params.caseId });
    }
    const rows = await db.transaction(async (tx) => {
      // Workstations read reviews by review_id cursor, so ids must become visible in id order: one writer at a
      // time (held to COMMIT) keeps a later id from committing before an earlier one and being skipped past.
      await tx.query('SELECT pg_advisory_xact_lock($1)', [REVIEW_ORDER_LOCK]);
      const inserted = await tx.query<Parameters<typeof toReview>[0]>(
        'INSERT INTO reviews (case_id, workstation, outcome, reviewer, note, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *',
        [request.params.caseId, c.workstation, body.data.outcome, request.principal!.name, body.data.note, Date.now()],
      );
      // the lead API's review filter reads the latest outcome off the case row (migration 6); under the lock
      // above, the latest to commit is the highest review id
      await tx.query('UPDATE cases SET review_outcome = $2, reviewed_at = $3 WHERE case_id = $1', [request.params.caseId, inserted.rows[0]!.outcome, inserted.rows[0]!.created_at]);
      return inserted.rows;
    });
    return reply.code(201).send(toReview(rows[0]!));
  });
}
