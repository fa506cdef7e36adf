import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SyncBatchSchema, type ChangesResponse, type Review } from '../../src/shared/cases';
import { requireRole } from '../auth/tokens';
import type { ServerDb } from '../db/database';
import { ApiError } from '../errors';
import { registerLedgerRoutes } from './ledger-routes';
import { storeBatch, type StoreBatchOptions } from './store-batch';

const IdempotencyKeySchema = z.string().regex(/^[A-Za-z0-9._:-]{8,128}$/);
const ChangesQuerySchema = z.object({ since: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(1000).default(500) });

interface ReviewRow {
  review_id: number;
  case_id: string;
  outcome: Review['outcome'];
  reviewer: string;
  note: string;
  created_at: number;
}

export const toReview = (r: ReviewRow): Review => ({
  reviewId: Number(r.review_id),
  caseId: r.case_id,
  outcome: r.outcome,
  reviewer: r.reviewer,
  note: r.note,
  createdAt: Number(r.created_at),
});

/** POST /api/v1/sync/batches, GET /api/v1/sync/changes and the ledger reads (ledger-routes.ts) (DESIGN.md §8). */
export function registerSyncRoutes(app: FastifyInstance, db: ServerDb, options: StoreBatchOptions = {}): void {
  const workstationOnly = requireRole(db, 'workstation');

  app.post('/api/v1/sync/batches', { preHandler: workstationOnly }, async (request, reply) => {
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) throw new ApiError(415, 'MALFORMED_BATCH', 'send the batch as application/json');
    const key = IdempotencyKeySchema.safeParse(request.headers['idempotency-key']);
    if (!key.success) throw new ApiError(400, 'IDEMPOTENCY_KEY_MISSING', 'send an Idempotency-Key header (8-128 characters of A-Z a-z 0-9 . _ : -)');
    const parsed = SyncBatchSchema.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ApiError(400, 'MALFORMED_BATCH', `malformed batch at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    const principal = request.principal!;
    const { result, replayed } = await storeBatch(db, principal.name, key.data, parsed.data, {
      ...options,
      onCommitDelay: () => request.log.warn({ fault: 'commit-delay', events: parsed.data.events.length }, 'fault injection: holding the transaction open before COMMIT'),
    });
    request.log.info({ workstation: principal.name, batchId: result.batchId, accepted: result.accepted, duplicates: result.duplicates, checkpoint: result.checkpoint?.gseq ?? null, replayed }, 'sync batch stored');
    return reply.code(200).send({ ...result, replayed });
  });

  app.get('/api/v1/sync/changes', { preHandler: workstationOnly }, async (request) => {
    const q = ChangesQuerySchema.safeParse(request.query);
    if (!q.success) throw new ApiError(400, 'MALFORMED_BATCH', 'since and limit must be non-negative integers');
    const { rows } = await db.query<ReviewRow>('SELECT * FROM reviews WHERE workstation = $1 AND review_id > $2 ORDER BY review_id LIMIT $3', [request.principal!.name, q.data.since, q.data.limit]);
    const reviews = rows.map(toReview);
    const body: ChangesResponse = { reviews, cursor: reviews[reviews.length - 1]?.reviewId ?? q.data.since };
    return body;
  });

  registerLedgerRoutes(app, db);
}
