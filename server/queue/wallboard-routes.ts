/**
 * GET /api/v1/lead/wallboard (lead token) → Wallboard (src/shared/queue.ts), computed by ./wallboard.ts.
 * `?tzOffsetMinutes=480` makes "today" the center's local day (default UTC, as the contract says).
 *
 *   await app.register(registerWallboard, { db, now })
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { QUEUE_PATHS } from '../../src/shared/queue';
import { requireRole } from '../auth/tokens';
import type { ServerDb } from '../db/database';
import { installQueueErrors, QueueApiError } from './callback-errors';
import { computeWallboard } from './wallboard';

export interface WallboardPluginOptions {
  db: ServerDb;
  now?: () => number;
}

const WallboardQuerySchema = z
  .object({
    tzOffsetMinutes: z
      .string()
      .regex(/^-?\d{1,3}$/, 'tzOffsetMinutes must be whole minutes')
      .transform(Number)
      .refine((n) => Math.abs(n) <= 14 * 60, 'tzOffsetMinutes must be within ±840')
      .optional(),
  })
  .strict();

export const registerWallboard: FastifyPluginAsync<WallboardPluginOptions> = async (app, options) => {
  installQueueErrors(app);
  const now = options.now ?? Date.now;
  app.get(QUEUE_PATHS.wallboard, { preHandler: requireRole(options.db, 'lead') }, async (request, reply) => {
    const q = WallboardQuerySchema.safeParse(request.query);
    if (!q.success) throw new QueueApiError(400, 'INVALID_PAYLOAD', `bad query: ${q.error.issues[0]?.message ?? 'invalid'}`);
    reply.header('Cache-Control', 'no-store');
    return computeWallboard(options.db, now(), q.data.tzOffsetMinutes ?? 0);
  });
};
