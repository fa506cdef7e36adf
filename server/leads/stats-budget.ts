/**
 * A stricter per-token budget for the statistics endpoint, on top of the global limiter (server/auth/rate-limit.ts,
 * 1200 requests a minute per token). A list page is an index range scan of at most 501 rows; a statistics request
 * aggregates every case in its range (~100,000 in a year of one team: tens to a few hundred ms of a database
 * connection, docs/lead-api.md), so a runaway dashboard polling it could take a whole connection on its own.
 * The counters are the rate-limit plugin's (a child store of its own), so they behave like the global ones:
 * in memory, per instance, fixed one-minute windows. With rate limiting off (rateLimit: false) there is no budget.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../errors';

/**
 * 60 a minute (one a second sustained): the console asks for statistics when a lead changes the filter or period
 * (two requests: per day and per agent, plus a CSV now and then), which a person does a few times a minute.
 */
export const DEFAULT_STATS_PER_TOKEN_PER_MINUTE = 60;

/** A preHandler (after requireRole, which sets the principal) that answers 429 RATE_LIMITED past `perMinute`. */
export function statsBudget(app: FastifyInstance, perMinute: number): ((request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>) | null {
  if (!Number.isInteger(perMinute) || perMinute < 1) throw new Error('lead statsPerTokenPerMinute must be a positive integer');
  if (!app.hasDecorator('createRateLimit')) return null;
  const check = app.createRateLimit({ max: perMinute, timeWindow: 60_000, keyGenerator: (request) => `lead-stats:${request.principal?.tokenName ?? ''}` });
  return async (request, reply) => {
    const r = await check(request);
    if (r.isAllowed || !r.isExceeded) return undefined;
    const retry = Math.max(1, r.ttlInSeconds);
    reply.header('retry-after', retry).header('x-ratelimit-limit', r.max).header('x-ratelimit-remaining', 0);
    request.log.warn({ limit: r.max, token: request.principal?.tokenName, url: request.routeOptions.url }, 'lead statistics budget exceeded');
    // returning the reply tells Fastify the hook answered (no handler runs after it)
    return sendError(reply, 429, 'RATE_LIMITED', `more than ${r.max} statistics requests per minute from this token; retry in ${retry} s`);
  };
}
