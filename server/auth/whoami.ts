import type { FastifyInstance } from 'fastify';
import type { Queryable } from '../db/database';
import { sendError } from '../errors';
import { authenticateRequest } from './tokens';

/**
 * GET /api/v1/whoami: the role and principal of any valid token — how a workstation learns whether the token it
 * holds is a team lead's (the 质检 console opens for leads only) and under which name the lead's reviews are
 * recorded (the name a lead may not review the cases of). Reads nothing but the token itself.
 */
export function registerWhoami(app: FastifyInstance, db: Queryable): void {
  app.get('/api/v1/whoami', async (request, reply) => {
    const auth = await authenticateRequest(db, request);
    if (!auth.ok) return sendError(reply, 401, auth.code, auth.message);
    return { role: auth.principal.role, name: auth.principal.name };
  });
}
