// node:crypto for the chain and ledger hashes (src/common/hash.ts); the same bytes as the browser's @noble/hashes
import '../src/common/node-hash';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { SYNC_LIMITS } from '../src/shared/cases';
import { installRateLimit, type RateLimitOptions } from './auth/rate-limit';
import { installAuthClock } from './auth/tokens';
import { registerWhoami } from './auth/whoami';
import type { ServerDb } from './db/database';
import { installErrorHandling } from './errors';
import { registerJoinPage } from './join/routes';
import { customerRefLookup } from './leads/ref-lookup';
import { registerLeadRoutes, type LeadApiOptions } from './leads/routes';
import { registerReferencePhotos, type ReferencePhotoOptions } from './reference-photos/routes';
import type { RecordingOptions } from './recordings/config';
import { registerRecordings } from './recordings/routes';
import { registerReviewRoutes } from './reviews/routes';
import { registerSignaling } from './signaling/routes';
import type { SignalingOptions } from './signaling/service';
import { registerQueue, type QueuePluginOptions } from './queue/routes';
import type { QueueOptions } from './queue/service';
import { registerQueueCallbacks } from './queue/callback-routes';
import type { CallbackOptions } from './queue/callback-config';
import { registerWallboard } from './queue/wallboard-routes';
import { registerSyncRoutes } from './sync/routes';

export interface TimeoutOptions {
  /** Socket inactivity (Node server.timeout): a socket silent this long mid-request or mid-response is closed. */
  connectionMs?: number;
  /** The whole request (headers and body) must arrive within this (Node server.requestTimeout); 0 = no limit. */
  requestMs?: number;
  /** An idle keep-alive connection is closed after this (Node server.keepAliveTimeout). */
  keepAliveMs?: number;
}

/**
 * connectionMs 60 s: no route is silent that long while it works (a sync batch is one
 * transaction of at most 1000 events; the sync client itself gives up after 30 s), so a socket
 * quiet for a minute belongs to a peer that is gone. requestMs 120 s: the largest body, a 10 MiB
 * reference photo, still arrives at ~0.7 Mbit/s (a 4 MiB sync batch at ~0.3 Mbit/s), while a
 * slow-loris client cannot hold a socket open for ever. keepAliveMs 72 s: longer than the 60 s
 * idle timeout of common load balancers, so the balancer, not the server, closes an idle
 * connection and never sends a request into one the server is closing (a 502).
 * None of them cuts an open signaling WebSocket: requestTimeout covers only receiving a request
 * (an upgrade is complete with its headers and leaves Node's request tracking), keepAliveTimeout
 * applies between requests, and ws sets the upgraded socket's inactivity timeout to 0
 * (signaling's own ping/pong finds dead sockets). tests/unit/server/auth.test.ts checks this.
 */
export const DEFAULT_TIMEOUTS = { connectionMs: 60_000, requestMs: 120_000, keepAliveMs: 72_000 } as const;

export interface ServerOptions {
  db: ServerDb;
  logger: Logger;
  /** Largest request body in bytes (default 4 MiB). */
  bodyLimit?: number;
  /** Test-only fault injection (see sync/store-batch.ts). */
  faults?: { commitDelayMs?: number };
  /** The built customer join page (out/join); served at /join/<roomId> when set (server/join/routes.ts). */
  joinPageDir?: string;
  /**
   * Live-call signaling (server/signaling): `publicUrl` (base of join links), `ice` (STUN/TURN,
   * server/turn/credentials.ts), and for tests `now`, `limits` and the job intervals.
   */
  signaling?: SignalingOptions;
  /** Reference photos (server/reference-photos, docs/reference-photos.md): key, TTL, sweep; unset fields come from the environment. */
  referencePhotos?: ReferencePhotoOptions;
  /** Uploaded call recordings (server/recordings, docs/recording-upload.md): storage, key, retention; unset fields come from the environment. */
  recordings?: RecordingOptions;
  /** The clock API-token expiry is checked against (epoch ms; tests inject one); also signaling's unless `signaling.now` is set. */
  now?: () => number;
  /** Per-token and per-address request budgets (server/auth/rate-limit.ts); `false` turns limiting off. */
  rateLimit?: RateLimitOptions | false;
  /** The lead API (server/leads, docs/lead-api.md): the statistics endpoint's own per-token budget. */
  leadApi?: LeadApiOptions;
  /** HTTP timeouts; unset fields are DEFAULT_TIMEOUTS. */
  timeouts?: TimeoutOptions;
  /**
   * Addresses or CIDRs of reverse proxies whose X-Forwarded-For / -Host / -Proto are believed.
   * Unset: none, the client address is the TCP peer (otherwise any client could pick its own
   * address and dodge the per-address limit).
   */
  trustProxy?: string | string[];
  /** The customer queue (server/queue, docs/queue.md): offer and presence timeouts, dispatch interval, clock (default `now`); `onService` for tests. */
  queue?: QueueOptions & Pick<QueuePluginOptions, 'onService'>;
  /** Call-back appointments (server/queue/callback-routes.ts, docs/queue.md "Call-backs"): opening hours, time zone, capacity, sweep interval, clock (default `now`). */
  callbacks?: CallbackOptions;
}

/** `defaults` overlaid with the fields of `given` that are set (an explicit `undefined`, as the CLI passes for an unset flag, keeps the default). */
export function withDefaults<T extends object>(defaults: T, given: { [K in keyof T]?: T[K] | undefined } | undefined): T {
  const out = { ...defaults };
  for (const [k, v] of Object.entries(given ?? {})) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Validates a trusted-proxy list: IPv4/IPv6 addresses and CIDRs only (no names like "loopback", no hop counts, no `true`). */
export function parseTrustProxy(value: string | string[] | undefined): string[] {
  const entries = (Array.isArray(value) ? value : (value ?? '').split(',')).map((s) => s.trim()).filter(Boolean);
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || extra !== undefined) throw new Error(`trusted proxy "${entry}" is not an IP address or CIDR (e.g. 10.0.0.5, 10.0.0.0/8, fd00::/8)`);
  }
  return entries;
}

/** Node checks request/header timeouts on an interval (30 s by default): a quarter of the timeout keeps the overshoot under 25 %. */
function httpTimeoutOptions(requestMs: number): { requestTimeout: number; headersTimeout: number; connectionsCheckingInterval: number } | undefined {
  if (requestMs <= 0) return undefined;
  return { requestTimeout: requestMs, headersTimeout: Math.min(60_000, requestMs), connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(requestMs / 4))) };
}

/**
 * Builds the backend's Fastify app. Feature modules register their routes here; signaling and
 * the customer join page plug in the same way (`app.register(...)` before `listen`).
 * All state lives in the database, so several instances can run behind a load balancer.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const timeouts = withDefaults<Required<TimeoutOptions>>(DEFAULT_TIMEOUTS, options.timeouts);
  for (const [k, v] of Object.entries(timeouts)) if (!Number.isInteger(v) || v < 0) throw new Error(`timeouts.${k} must be a non-negative integer (ms)`);
  const trustProxy = parseTrustProxy(options.trustProxy);
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? SYNC_LIMITS.maxBodyBytes,
    trustProxy: trustProxy.length > 0 ? trustProxy : false,
    connectionTimeout: timeouts.connectionMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: httpTimeoutOptions(timeouts.requestMs),
  });
  installErrorHandling(app);
  const now = options.now ?? Date.now;
  installAuthClock(app, now);
  // Before any route: the limiter is a root onRequest hook (see server/auth/rate-limit.ts).
  if (options.rateLimit !== false) await installRateLimit(app, options.db, options.rateLimit);

  // Exempt from rate limits: load balancers and monitors poll it, and it reads nothing private.
  app.get('/health', { config: { rateLimit: false } }, async (_request, reply) => {
    try {
      await options.db.query('SELECT 1');
      return { status: 'ok', database: options.db.kind };
    } catch {
      return reply.code(503).send({ status: 'unavailable', database: options.db.kind });
    }
  });

  // one customer-reference lookup for ingest and the lead API's searches (server/leads/ref-lookup.ts)
  const refLookup = customerRefLookup(options.db, app.log, options.leadApi);
  registerSyncRoutes(app, options.db, { commitDelayMs: options.faults?.commitDelayMs, customerRefLookup: refLookup });
  registerReviewRoutes(app, options.db);
  registerLeadRoutes(app, options.db, options.leadApi, refLookup);
  registerWhoami(app, options.db);
  await app.register(registerReferencePhotos, { db: options.db, ...options.referencePhotos });
  await app.register(registerRecordings, { db: options.db, now: options.now, ...options.recordings });
  if (options.joinPageDir) await app.register(registerJoinPage, { dir: options.joinPageDir });
  const signaling = await registerSignaling(app, options.db, options.logger, { ...options.signaling, now: options.signaling?.now ?? options.now });
  await app.register(registerQueue, { db: options.db, signaling, publicUrl: options.signaling?.publicUrl, referencePhotos: options.referencePhotos, ...options.queue, now: options.queue?.now ?? options.now });
  await app.register(registerQueueCallbacks, { db: options.db, publicUrl: options.signaling?.publicUrl, ...options.callbacks, now: options.callbacks?.now ?? options.now });
  await app.register(registerWallboard, { db: options.db, now: options.now });
  return app;
}
