/**
 * The lead API (docs/lead-api.md): team leads (组长, 质检) search, page through and count cases of every
 * workstation. Lead tokens only — a workstation or channel token gets 403 FORBIDDEN on every endpoint here — and
 * everything under the global per-token limiter; statistics also under their own, stricter budget
 * (./stats-budget.ts). Reviews are posted through POST /api/v1/cases/:id/reviews (server/reviews/routes.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodError } from 'zod';
import { CaseIdSchema } from '../../src/shared/cases';
import { requireRole } from '../auth/tokens';
import type { ServerDb } from '../db/database';
import { ApiError } from '../errors';
import { statsCsv } from './csv';
import { caseDetail } from './detail';
import { listCases } from './list';
import { decodeCursor, filterOf, LeadListQuerySchema, LeadStatsQuerySchema } from './query';
import { DEFAULT_STATS_PER_TOKEN_PER_MINUTE, statsBudget } from './stats-budget';
import { computeStats } from './stats';

export interface LeadApiOptions {
  /** Statistics requests per minute per lead token (default DEFAULT_STATS_PER_TOKEN_PER_MINUTE). */
  statsPerTokenPerMinute?: number;
}

/** 400 with the first problem named (which parameter, what is wrong): a lead's tool can show it as is. */
const badQuery = (error: ZodError): ApiError => {
  const issue = error.issues[0];
  const where = issue?.path.length ? ` parameter ${issue.path.join('.')}` : '';
  return new ApiError(400, 'MALFORMED_BATCH', `bad query${where}: ${issue?.message ?? 'invalid'}`);
};

export function registerLeadRoutes(app: FastifyInstance, db: ServerDb, options: LeadApiOptions = {}): void {
  const leadOnly = requireRole(db, 'lead');
  const budget = statsBudget(app, options.statsPerTokenPerMinute ?? DEFAULT_STATS_PER_TOKEN_PER_MINUTE);

  app.get('/api/v1/lead/cases', { preHandler: leadOnly }, async (request) => {
    const q = LeadListQuerySchema.safeParse(request.query);
    if (!q.success) throw badQuery(q.error);
    const keyset = q.data.cursor === undefined ? null : decodeCursor(q.data.cursor);
    if (q.data.cursor !== undefined && !keyset) throw new ApiError(400, 'MALFORMED_BATCH', 'bad cursor: pass back the nextCursor of the page before, unchanged');
    return listCases(db, filterOf(q.data), keyset, q.data.limit);
  });

  app.get<{ Params: { caseId: string } }>('/api/v1/lead/cases/:caseId', { preHandler: leadOnly }, async (request) => {
    if (!CaseIdSchema.safeParse(request.params.caseId).success) throw new ApiError(400, 'MALFORMED_BATCH', 'bad case id');
    const detail = await caseDetail(db, request.params.caseId);
    if (!detail) throw new ApiError(404, 'NOT_FOUND', 'no such case');
    return detail;
  });

  app.get('/api/v1/lead/stats', { preHandler: budget ? [leadOnly, budget] : leadOnly }, async (request, reply) => {
    const q = LeadStatsQuerySchema.safeParse(request.query);
    if (!q.success) throw badQuery(q.error);
    const stats = await computeStats(db, filterOf(q.data), q.data.groupBy, q.data.tzOffsetMinutes);
    if (q.data.format === 'json') return stats;
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="lead-stats-by-${q.data.groupBy}.csv"`)
      .send(statsCsv(stats));
  });
}
