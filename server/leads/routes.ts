/**
 * The lead API (docs/lead-api.md): team leads (组长, 质检) search, page through, count and sample cases of every
 * workstation, and read chosen cases' rows for a CSV. Lead tokens only — a workstation or channel token gets 403
 * FORBIDDEN on every endpoint here — and everything under the global per-token limiter; statistics and samples
 * (each reads every matching case) also under their own, stricter budget (./stats-budget.ts). Reviews are posted
 * through POST /api/v1/cases/:id/reviews (server/reviews/routes.ts).
 *
 * A customer-reference search is a POST whose body carries the clear reference (…/search): hashed at once with the
 * server's lookup key (./ref-lookup.ts) and used only as that hash; no log line, error message or URL carries it.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodError } from 'zod';
import { CaseIdSchema } from '../../src/shared/cases';
import { requireRole } from '../auth/tokens';
import type { ServerDb } from '../db/database';
import { ApiError } from '../errors';
import { statsCsv } from './csv';
import { caseDetail } from './detail';
import { listCases, rowsByIds } from './list';
import {
  bodyFilterOf,
  decodeCursor,
  filterOf,
  LeadCasesSearchSchema,
  LeadListQuerySchema,
  LeadRowsSchema,
  LeadSampleQuerySchema,
  LeadSampleSearchSchema,
  LeadStatsQuerySchema,
  LeadStatsSearchSchema,
} from './query';
import { completeRefLookups, type CustomerRefLookup, type RefLookupOptions } from './ref-lookup';
import { drawLeadSample } from './sample';
import { DEFAULT_STATS_PER_TOKEN_PER_MINUTE, statsBudget } from './stats-budget';
import { computeStats } from './stats';

export interface LeadApiOptions extends RefLookupOptions {
  /** Statistics and sample requests per minute per lead token (default DEFAULT_STATS_PER_TOKEN_PER_MINUTE). */
  statsPerTokenPerMinute?: number;
}

/** 400 with the first problem named (which parameter, what is wrong): a lead's tool can show it as is. */
const badQuery = (error: ZodError): ApiError => {
  const issue = error.issues[0];
  const where = issue?.path.length ? ` parameter ${issue.path.join('.')}` : '';
  return new ApiError(400, 'MALFORMED_BATCH', `bad query${where}: ${issue?.message ?? 'invalid'}`);
};

const badBody = (error: ZodError): ApiError => {
  const issue = error.issues[0];
  const where = issue?.path.length ? ` field ${issue.path.join('.')}` : '';
  // zod names the field and the rule, never the value: the reference does not come back in an answer or a log
  return new ApiError(400, 'MALFORMED_BATCH', `bad body${where}: ${issue?.message ?? 'invalid'}`);
};

/** `refLookup`: the server's customer-reference lookup, the one the sync upsert stores (server/app.ts makes it). */
export function registerLeadRoutes(app: FastifyInstance, db: ServerDb, options: LeadApiOptions | undefined, refLookup: CustomerRefLookup): void {
  const leadOnly = requireRole(db, 'lead');
  const budget = statsBudget(app, options?.statsPerTokenPerMinute ?? DEFAULT_STATS_PER_TOKEN_PER_MINUTE);
  const heavy = budget ? [leadOnly, budget] : leadOnly;
  const log = app.log.child({ component: 'lead-lookup' });

  // Cases migration 9 marked (or an older writer left) get their lookup before the first request; each search
  // completes any stored since without one (one probe of an empty partial index when there are none).
  const completed = async (): Promise<CustomerRefLookup> => {
    const n = await completeRefLookups(db, refLookup);
    if (n > 0) log.info({ cases: n }, 'customer-reference lookups completed from stored case.opened events');
    return refLookup;
  };
  app.addHook('onReady', async () => void (await completed()));
  const cursorOf = (cursor: string | undefined) => {
    const keyset = cursor === undefined ? null : decodeCursor(cursor);
    if (cursor !== undefined && !keyset) throw new ApiError(400, 'MALFORMED_BATCH', 'bad cursor: pass back the nextCursor of the page before, unchanged');
    return keyset;
  };

  app.get('/api/v1/lead/cases', { preHandler: leadOnly }, async (request) => {
    const q = LeadListQuerySchema.safeParse(request.query);
    if (!q.success) throw badQuery(q.error);
    return listCases(db, filterOf(q.data), cursorOf(q.data.cursor), q.data.limit);
  });

  app.post('/api/v1/lead/cases/search', { preHandler: leadOnly }, async (request) => {
    const b = LeadCasesSearchSchema.safeParse(request.body);
    if (!b.success) throw badBody(b.error);
    const keyset = cursorOf(b.data.cursor);
    return listCases(db, bodyFilterOf(b.data, await completed()), keyset, b.data.limit);
  });

  app.post('/api/v1/lead/cases/rows', { preHandler: leadOnly }, async (request) => {
    const b = LeadRowsSchema.safeParse(request.body);
    if (!b.success) throw badBody(b.error);
    return { rows: await rowsByIds(db, b.data.caseIds) };
  });

  app.get<{ Params: { caseId: string } }>('/api/v1/lead/cases/:caseId', { preHandler: leadOnly }, async (request) => {
    if (!CaseIdSchema.safeParse(request.params.caseId).success) throw new ApiError(400, 'MALFORMED_BATCH', 'bad case id');
    const detail = await caseDetail(db, request.params.caseId);
    if (!detail) throw new ApiError(404, 'NOT_FOUND', 'no such case');
    return detail;
  });

  app.get('/api/v1/lead/stats', { preHandler: heavy }, async (request, reply) => {
    const q = LeadStatsQuerySchema.safeParse(request.query);
    if (!q.success) throw badQuery(q.error);
    const stats = await computeStats(db, filterOf(q.data), q.data.groupBy, q.data.tzOffsetMinutes);
    if (q.data.format === 'json') return stats;
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="lead-stats-by-${q.data.groupBy}.csv"`)
      .send(statsCsv(stats));
  });
  app.post('/api/v1/lead/stats/search', { preHandler: heavy }, async (request) => {
    const b = LeadStatsSearchSchema.safeParse(request.body);
    if (!b.success) throw badBody(b.error);
    return computeStats(db, bodyFilterOf(b.data, await completed()), b.data.groupBy, b.data.tzOffsetMinutes).then(withoutLookup);
  });

  app.get('/api/v1/lead/sample', { preHandler: heavy }, async (request) => {
    const q = LeadSampleQuerySchema.safeParse(request.query);
    if (!q.success) throw badQuery(q.error);
    return drawLeadSample(db, filterOf(q.data), q.data);
  });

  app.post('/api/v1/lead/sample/search', { preHandler: heavy }, async (request) => {
    const b = LeadSampleSearchSchema.safeParse(request.body);
    if (!b.success) throw badBody(b.error);
    return drawLeadSample(db, bodyFilterOf(b.data, await completed()), b.data);
  });
}

/** The statistics echo their filter; a search's holds the lookup, which is the server's business, not the lead's. */
function withoutLookup<T extends { filter: { customerRefLookup?: string } }>(stats: T): T {
  const { customerRefLookup: _lookup, ...filter } = stats.filter;
  return { ...stats, filter };
}
