import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { SYNC_LIMITS } from '../src/shared/cases';
import type { ServerDb } from './db/database';
import { installErrorHandling } from './errors';
import { registerJoinPage } from './join/routes';
import { registerReferencePhotos, type ReferencePhotoOptions } from './reference-photos/routes';
import { registerReviewRoutes } from './reviews/routes';
import { registerSignaling } from './signaling/routes';
import type { SignalingOptions } from './signaling/service';
import { registerSyncRoutes } from './sync/routes';

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
}

/**
 * Builds the backend's Fastify app. Feature modules register their routes here; signaling and
 * the customer join page plug in the same way (`app.register(...)` before `listen`).
 * All state lives in the database, so several instances can run behind a load balancer.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? SYNC_LIMITS.maxBodyBytes,
    trustProxy: true,
  });
  installErrorHandling(app);

  app.get('/health', async (_request, reply) => {
    try {
      await options.db.query('SELECT 1');
      return { status: 'ok', database: options.db.kind };
    } catch {
      return reply.code(503).send({ status: 'unavailable', database: options.db.kind });
    }
  });

  registerSyncRoutes(app, options.db, { commitDelayMs: options.faults?.commitDelayMs });
  registerReviewRoutes(app, options.db);
  await app.register(registerReferencePhotos, { db: options.db, ...options.referencePhotos });
  if (options.joinPageDir) await app.register(registerJoinPage, { dir: options.joinPageDir });
  await registerSignaling(app, options.db, options.logger, options.signaling);
  return app;
}
