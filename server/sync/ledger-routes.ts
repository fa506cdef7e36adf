/**
 * What the server holds of a workstation's ledger, for `cases verify --server` and for verifying export bundles
 * (DESIGN.md §7-§8): its checkpoints, its events by global position, and the signer key it pinned.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CheckpointsResponse, LedgerResponse } from '../../src/shared/cases';
import { requireRole } from '../auth/tokens';
import type { Queryable } from '../db/database';
import { ApiError } from '../errors';

const MAX_CHECKPOINTS = 1000;
const MAX_LEDGER_EVENTS = 5000;

const position = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const CheckpointsQuerySchema = z.object({ after: position.default(0), limit: z.coerce.number().int().min(1).max(MAX_CHECKPOINTS).default(MAX_CHECKPOINTS) });
const LedgerQuerySchema = z.object({ from: position, to: position }).refine((q) => q.from <= q.to, 'from must not be above to');
const SignerQuerySchema = z.object({ workstation: z.string().min(1).max(128).optional() });

export interface SignerResponse {
  workstation: string;
  /** Raw 32-byte Ed25519 public key, base64. */
  publicKey: string;
  /** Epoch ms. */
  pinnedAt: number;
}

const badQuery = (message: string) => new ApiError(400, 'MALFORMED_BATCH', message);

export async function readCheckpoints(db: Queryable, workstation: string, after: number, limit: number): Promise<CheckpointsResponse> {
  // Head first: a checkpoint stored between the two reads can then only make the page reach past the head.
  const head = await db.query<{ gseq: number; ledger_hash: string }>('SELECT gseq, ledger_hash FROM sync_checkpoints WHERE workstation = $1 ORDER BY gseq DESC LIMIT 1', [workstation]);
  const list = await db.query<{ gseq: number; ledger_hash: string; at: number; received_at: number }>(
    'SELECT gseq, ledger_hash, at, (extract(epoch FROM received_at) * 1000)::bigint AS received_at FROM sync_checkpoints WHERE workstation = $1 AND gseq > $2 ORDER BY gseq LIMIT $3',
    [workstation, after, limit],
  );
  const top = head.rows[0];
  return {
    checkpoints: list.rows.map((r) => ({ gseq: Number(r.gseq), ledgerHash: r.ledger_hash, at: Number(r.at), receivedAt: Number(r.received_at) })),
    head: top ? { gseq: Number(top.gseq), ledgerHash: top.ledger_hash } : null,
  };
}

export async function readLedger(db: Queryable, workstation: string, from: number, to: number): Promise<LedgerResponse> {
  const { rows } = await db.query<{ gseq: number; case_id: string; seq: number; hash: string }>(
    'SELECT gseq, case_id, seq, hash FROM events WHERE workstation = $1 AND gseq BETWEEN $2 AND $3 ORDER BY gseq LIMIT $4',
    [workstation, from, to, MAX_LEDGER_EVENTS],
  );
  return { events: rows.map((r) => ({ gseq: Number(r.gseq), caseId: r.case_id, seq: Number(r.seq), hash: r.hash })) };
}

/** GET /api/v1/sync/checkpoints, /ledger (the calling workstation's own) and /signer (a lead: any workstation's). */
export function registerLedgerRoutes(app: FastifyInstance, db: Queryable): void {
  const workstationOnly = requireRole(db, 'workstation');

  app.get('/api/v1/sync/checkpoints', { preHandler: workstationOnly }, async (request) => {
    const q = CheckpointsQuerySchema.safeParse(request.query);
    if (!q.success) throw badQuery(`after must be a non-negative integer, limit 1-${MAX_CHECKPOINTS}`);
    return readCheckpoints(db, request.principal!.name, q.data.after, q.data.limit);
  });

  app.get('/api/v1/sync/ledger', { preHandler: workstationOnly }, async (request) => {
    const q = LedgerQuerySchema.safeParse(request.query);
    if (!q.success) throw badQuery(`from and to must be non-negative integers, from ≤ to (at most ${MAX_LEDGER_EVENTS} events are returned)`);
    return readLedger(db, request.principal!.name, q.data.from, q.data.to);
  });

  app.get('/api/v1/sync/signer', { preHandler: requireRole(db, 'workstation', 'lead') }, async (request) => {
    const q = SignerQuerySchema.safeParse(request.query);
    if (!q.success) throw badQuery('workstation must be a workstation name');
    const principal = request.principal!;
    const workstation = q.data.workstation ?? (principal.role === 'workstation' ? principal.name : undefined);
    if (!workstation) throw badQuery('a lead token must name the workstation (?workstation=…)');
    if (principal.role === 'workstation' && workstation !== principal.name) throw new ApiError(403, 'FORBIDDEN', 'a workstation token reads only its own signer');
    const { rows } = await db.query<{ public_key: string; pinned_at: number }>(
      'SELECT public_key, (extract(epoch FROM pinned_at) * 1000)::bigint AS pinned_at FROM workstation_signers WHERE workstation = $1',
      [workstation],
    );
    const row = rows[0];
    if (!row) throw new ApiError(404, 'NOT_FOUND', `no signer is pinned for workstation ${workstation}`);
    const body: SignerResponse = { workstation, publicKey: row.public_key, pinnedAt: Number(row.pinned_at) };
    return body;
  });
}
