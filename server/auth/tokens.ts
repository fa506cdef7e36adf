import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Queryable } from '../db/database';
import { sendError } from '../errors';

/** workstation: an agent's workstation; lead: a team lead / QA; channel: a self-service channel (app, IVR, chatbot). */
export const TOKEN_ROLES = ['workstation', 'lead', 'channel'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];
export const isTokenRole = (value: string): value is TokenRole => (TOKEN_ROLES as readonly string[]).includes(value);

export interface Principal {
  name: string;
  role: TokenRole;
}

/** Tokens are 256-bit random; only their sha256 is stored (a slow hash adds nothing at this entropy). */
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export async function createToken(db: Queryable, name: string, role: TokenRole = 'workstation'): Promise<string> {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new Error('token name: 1-64 characters of A-Z a-z 0-9 . _ -');
  const token = `vd_${randomBytes(32).toString('base64url')}`;
  await db.query('INSERT INTO api_tokens (name, role, token_hash) VALUES ($1, $2, $3)', [name, role, hashToken(token)]);
  return token;
}

export async function revokeToken(db: Queryable, name: string): Promise<boolean> {
  const { rows } = await db.query<{ name: string }>('UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL RETURNING name', [name]);
  return rows.length > 0;
}

export async function listTokens(db: Queryable): Promise<{ name: string; role: string; created_at: unknown; revoked_at: unknown }[]> {
  return (await db.query<{ name: string; role: string; created_at: unknown; revoked_at: unknown }>('SELECT name, role, created_at, revoked_at FROM api_tokens ORDER BY name')).rows;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** A preHandler that requires `Authorization: Bearer <token>` of one of `roles`. */
export function requireRole(db: Queryable, ...roles: TokenRole[]) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S{8,256})$/.exec(header) : null;
    if (!match?.[1]) return sendError(reply, 401, 'UNAUTHENTICATED', 'missing or malformed Authorization: Bearer token');
    const { rows } = await db.query<{ name: string; role: TokenRole }>('SELECT name, role FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL', [hashToken(match[1])]);
    const row = rows[0];
    if (!row) return sendError(reply, 401, 'UNAUTHENTICATED', 'unknown or revoked token');
    if (!roles.includes(row.role)) return sendError(reply, 403, 'FORBIDDEN', `this endpoint needs a ${roles.join(' or ')} token`);
    request.principal = { name: row.name, role: row.role };
  };
}
