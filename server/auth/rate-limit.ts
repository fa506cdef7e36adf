/**
 * Request rate limits (docs/server-security.md), on @fastify/rate-limit's counters.
 *
 * Two budgets per fixed one-minute window:
 * - a valid bearer token (key: sha256 of the token) gets `perTokenPerMinute`, whatever address it
 *   comes from, so workstations behind one NAT do not share a budget;
 * - everything else (no token, or one that is unknown, revoked or expired) shares
 *   `perIpPerMinute` per client address (IPv6 per /64). Keying a made-up token by its own hash
 *   would hand every guess a fresh budget, so only tokens that authenticate get one.
 *
 * The check is one root onRequest hook, not the plugin's per-route hooks: root hooks run before
 * every route's own hooks (reference-photo routes authenticate in onRequest) and before 404s, and
 * the answer is written here, not thrown, so no route's own error handler (signaling answers in
 * its own vocabulary) can turn a 429 into something else. A WebSocket upgrade is one request
 * through this hook; messages on the open socket are not counted (signaling has its own
 * per-connection token bucket, server/signaling/rate-limit.ts).
 * Counters are in memory, per server instance: behind a load balancer each instance limits alone.
 */
import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Queryable } from '../db/database';
import { sendError } from '../errors';
import { authenticateRequest } from './tokens';

export interface RateLimitOptions {
  /** Requests per minute for each valid bearer token (default DEFAULT_RATE_LIMITS.perTokenPerMinute). */
  perTokenPerMinute?: number;
  /** Requests per minute per client address without a valid token (default DEFAULT_RATE_LIMITS.perIpPerMinute). */
  perIpPerMinute?: number;
  /** IPv6 clients are counted per prefix of this length (default 64: one subscriber's allocation). */
  ipv6Subnet?: number;
  /** Keys tracked at once (least recently used are dropped; default 10,000). */
  cacheSize?: number;
}

/**
 * perTokenPerMinute 1200 (20/s sustained, per token): the sync client sends its batches one after
 * another; a 10,000-case backlog (~63,000 events of seeded cases) is ~315 batches of 200 events,
 * which the server took at 17 ms (PGlite in memory) / 11 ms (PostgreSQL, fsync off) each on the
 * 2-core dev machine: the whole drain lands in one window, ~4x under the budget, and a larger
 * backlog is slowed (429 is retryable for the client), not refused. Steady state is tens a minute (a sync
 * every 5 s, a room and an upgrade per call). One runaway or stolen token still cannot take more
 * than 20 requests a second of the database.
 * perIpPerMinute 300: the callers without a token are customers opening a join link (the page,
 * its assets, one WebSocket: ~5 requests) and probes; 300 covers dozens of customers behind one
 * carrier NAT a minute and the e2e suite, and caps a scanner or a token guesser at 5 a second.
 */
export const DEFAULT_RATE_LIMITS = { perTokenPerMinute: 1200, perIpPerMinute: 300, ipv6Subnet: 64, cacheSize: 10_000 } as const;

const WINDOW_MS = 60_000;

export async function installRateLimit(app: FastifyInstance, db: Queryable, options: RateLimitOptions = {}): Promise<void> {
  // Unset fields, and fields set to undefined (the CLI's unset flags), keep their defaults.
  const o: Required<RateLimitOptions> = { ...DEFAULT_RATE_LIMITS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  // A budget of 0 would refuse every request: a typo, not a policy (use rateLimit: false to turn limits off).
  for (const k of ['perTokenPerMinute', 'perIpPerMinute', 'cacheSize'] as const) if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`rateLimit.${k} must be a positive integer`);
  if (!Number.isInteger(o.ipv6Subnet) || o.ipv6Subnet < 0 || o.ipv6Subnet > 128) throw new Error('rateLimit.ipv6Subnet must be 0-128');
  const tokenKey = (hash: string) => `token:${hash}`;
  // global: false — the plugin attaches no route hooks; the one hook below does the counting.
  await app.register(fastifyRateLimit, {
    global: false,
    timeWindow: WINDOW_MS,
    cache: o.cacheSize,
    keyGenerator: async (request: FastifyRequest) => {
      if (request.headers.authorization !== undefined) {
        const auth = await authenticateRequest(db, request);
        if (auth.ok) return tokenKey(auth.tokenHash);
      }
      return `ip:${normalizeIP(request.ip, o.ipv6Subnet)}`;
    },
    max: (_request: FastifyRequest, key: string) => (key.startsWith('token:') ? o.perTokenPerMinute : o.perIpPerMinute),
  });
  const check = app.createRateLimit();
  // One warning per key and window, not one per refused request: a flood must not flood the log too.
  const warned = new Map<string, number>();

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.rateLimit === false) return;
    const r = await check(request);
    if (r.isAllowed) return;
    reply.header('x-ratelimit-limit', r.max).header('x-ratelimit-remaining', r.remaining).header('x-ratelimit-reset', r.ttlInSeconds);
    if (!r.isExceeded) return;
    const byToken = r.key.startsWith('token:');
    const resetAt = Math.round((Date.now() + r.ttl) / 1000);
    if (warned.get(r.key) !== resetAt) {
      if (warned.size > 10_000) warned.clear();
      warned.set(r.key, resetAt);
      const auth = byToken ? await authenticateRequest(db, request) : null;
      request.log.warn({ limit: r.max, by: byToken ? 'token' : 'address', ip: request.ip, token: auth?.ok ? auth.principal.tokenName : undefined, url: request.routeOptions.url }, 'rate limit exceeded');
    }
    if ((request.raw as { upgrade?: boolean }).upgrade === true) {
      // A refused WebSocket upgrade: Node handed the socket over with the 'upgrade' event, and the
      // websocket plugin's clean-up keys on its own onRequest hook, which does not run after this
      // one answered, so nothing would close the socket (and app.close() would wait on it).
      reply.raw.once('finish', () => request.raw.socket.destroy());
    }
    reply.header('retry-after', Math.max(1, r.ttlInSeconds));
    return sendError(reply, 429, 'RATE_LIMITED', `more than ${r.max} requests per minute from this ${byToken ? 'token' : 'address'}; retry in ${Math.max(1, r.ttlInSeconds)} s`);
  });
}
