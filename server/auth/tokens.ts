import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Queryable, ServerDb } from '../db/database';
import { sendError } from '../errors';

/** workstation: an agent's workstation; lead: a team lead / QA; channel: a self-service channel (app, IVR, chatbot). */
export const TOKEN_ROLES = ['workstation', 'lead', 'channel'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];
export const isTokenRole = (value: string): value is TokenRole => (TOKEN_ROLES as readonly string[]).includes(value);

export interface Principal {
  /**
   * The key every route stores and authorizes under (cases, sync batches, reviews, signaling rooms,
   * the ledger): the WORKSTATION id for a workstation token, so all tokens of one workstation, old
   * and rotated, share its data; the token's own name for lead and channel tokens.
   */
  name: string;
  role: TokenRole;
  /** The token's own name (unique; what `token revoke` and the logs name). */
  tokenName: string;
  /** The workstation id, for role 'workstation' only (equals `name`). */
  workstation?: string;
}

/** Token names and workstation ids: short, log- and shell-safe. */
const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const checkName = (what: string, value: string): void => {
  if (!NAME_PATTERN.test(value)) throw new Error(`${what}: 1-64 characters of A-Z a-z 0-9 . _ -`);
};

/** Tokens are 256-bit random; only their sha256 is stored (a slow hash adds nothing at this entropy). */
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');
const newToken = (): string => `vd_${randomBytes(32).toString('base64url')}`;

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90d`, `12h`, `30m`, `45s`, `2w` (or `0`) in ms: the CLI's --expires-in and --grace. */
export function parseDuration(text: string): number {
  const m = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  if (text.trim() === '0') return 0;
  if (!m) throw new Error(`"${text}" is not a duration like 90d, 12h, 30m, 45s or 2w`);
  return Number(m[1]) * DURATION_UNITS[m[2]!]!;
}

export interface CreateTokenOptions {
  /** Role 'workstation' only: the workstation this token acts for (created if new). Default: the token's name. */
  workstation?: string;
  /** When the token stops working (epoch ms or Date); unset = never. */
  expiresAt?: number | Date | null;
}

const toDate = (t: number | Date | null | undefined): Date | null => (t === null || t === undefined ? null : new Date(t));

/**
 * Creates a token and returns it (shown once; only its hash is stored). Backward compatible with
 * the one-token-per-workstation days: `createToken(db, 'ws-1')` makes workstation ws-1 and its token ws-1.
 */
export async function createToken(db: Queryable, name: string, role: TokenRole = 'workstation', options: CreateTokenOptions = {}): Promise<string> {
  checkName('token name', name);
  if (role !== 'workstation' && options.workstation !== undefined) throw new Error('only workstation tokens belong to a workstation');
  const workstation = role === 'workstation' ? (options.workstation ?? name) : null;
  if (workstation !== null) {
    checkName('workstation id', workstation);
    // Two statements, no transaction (Queryable has none): a failed token insert leaves at most an
    // empty workstation row behind, which the next token for it reuses.
    await db.query('INSERT INTO workstations (workstation_id) VALUES ($1) ON CONFLICT (workstation_id) DO NOTHING', [workstation]);
  }
  const token = newToken();
  await db.query('INSERT INTO api_tokens (name, role, token_hash, workstation_id, expires_at) VALUES ($1, $2, $3, $4, $5)', [
    name,
    role,
    hashToken(token),
    workstation,
    toDate(options.expiresAt),
  ]);
  return token;
}

export interface RotateOptions {
  /** The new token's name (default `<workstation>.<UTC time>.<4 hex>`). */
  name?: string;
  /** How long the workstation's other tokens keep working (default 0: they stop now). */
  graceMs?: number;
  /** The new token's expiry (epoch ms or Date); unset = never. */
  expiresAt?: number | Date | null;
  /** The clock (epoch ms); default Date.now(). */
  now?: number;
}

export interface Rotation {
  token: string;
  name: string;
  /** The workstation's other live tokens and when they now expire. */
  retired: { name: string; expiresAt: Date }[];
}

/**
 * A new token for an existing workstation; the workstation's other unrevoked tokens expire after
 * the grace period (or keep an earlier expiry they already had). The workstation id does not
 * change, so its cases, reviews, rooms and ledger stay its own. One transaction: a rotation that
 * fails changes nothing.
 */
export async function rotateToken(db: ServerDb, workstation: string, options: RotateOptions = {}): Promise<Rotation> {
  checkName('workstation id', workstation);
  const now = options.now ?? Date.now();
  const graceMs = options.graceMs ?? 0;
  if (!Number.isFinite(graceMs) || graceMs < 0) throw new Error('grace must be a non-negative duration');
  const stamp = new Date(now).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const name = options.name ?? `${workstation.slice(0, 41)}.${stamp}.${randomBytes(2).toString('hex')}`;
  checkName('token name', name);
  return db.transaction(async (tx) => {
    const { rows: found } = await tx.query('SELECT workstation_id FROM workstations WHERE workstation_id = $1 FOR UPDATE', [workstation]);
    if (found.length === 0) throw new Error(`no workstation ${workstation} (create its first token with token create --workstation ${workstation})`);
    const token = newToken();
    const { rows: created } = await tx.query<{ token_id: number }>(
      "INSERT INTO api_tokens (name, role, token_hash, workstation_id, expires_at) VALUES ($1, 'workstation', $2, $3, $4) RETURNING token_id",
      [name, hashToken(token), workstation, toDate(options.expiresAt)],
    );
    const cutoff = new Date(now + graceMs);
    const { rows: retired } = await tx.query<{ name: string; expires_at: Date }>(
      `UPDATE api_tokens SET expires_at = CASE WHEN expires_at IS NOT NULL AND expires_at < $2::timestamptz THEN expires_at ELSE $2::timestamptz END
        WHERE workstation_id = $1 AND revoked_at IS NULL AND token_id <> $3 AND (expires_at IS NULL OR expires_at > $4::timestamptz)
        RETURNING name, expires_at`,
      [workstation, cutoff, created[0]!.token_id, new Date(now)],
    );
    return { token, name, retired: retired.map((r) => ({ name: r.name, expiresAt: new Date(r.expires_at) })) };
  });
}

export async function revokeToken(db: Queryable, name: string): Promise<boolean> {
  const { rows } = await db.query<{ name: string }>('UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL RETURNING name', [name]);
  return rows.length > 0;
}

/** Revokes every token of a workstation (a stolen or retired machine); returns the names revoked. */
export async function revokeWorkstation(db: Queryable, workstation: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>('UPDATE api_tokens SET revoked_at = now() WHERE workstation_id = $1 AND revoked_at IS NULL RETURNING name', [workstation]);
  return rows.map((r) => r.name);
}

export interface TokenInfo {
  name: string;
  role: string;
  workstation_id: string | null;
  created_at: unknown;
  expires_at: unknown;
  revoked_at: unknown;
  last_used_at: unknown;
}

export async function listTokens(db: Queryable): Promise<TokenInfo[]> {
  return (await db.query<TokenInfo>('SELECT name, role, workstation_id, created_at, expires_at, revoked_at, last_used_at FROM api_tokens ORDER BY workstation_id NULLS LAST, name')).rows;
}

export type Authentication =
  | { ok: true; principal: Principal; /** sha256 of the bearer token (the per-token rate-limit key). */ tokenHash: string }
  | { ok: false; code: 'UNAUTHENTICATED' | 'TOKEN_EXPIRED'; message: string };

const BEARER = /^Bearer\s+(\S{8,256})$/;

/**
 * last_used_at is informational (which tokens a rotation's grace period still has to cover), so it
 * is written at most once a minute per token and process rather than on every request.
 */
const LAST_USED_EVERY_MS = 60_000;
const lastUsedWrites = new Map<string, number>();

/** Who is behind `Authorization: Bearer <token>` at `now` (epoch ms). One indexed lookup. */
export async function authenticate(db: Queryable, authorization: string | undefined, now: number = Date.now()): Promise<Authentication> {
  const match = typeof authorization === 'string' ? BEARER.exec(authorization) : null;
  if (!match?.[1]) return { ok: false, code: 'UNAUTHENTICATED', message: 'missing or malformed Authorization: Bearer token' };
  const tokenHash = hashToken(match[1]);
  const { rows } = await db.query<{ token_id: number; name: string; role: TokenRole; workstation_id: string | null; expires_at: Date | string | null }>(
    'SELECT token_id, name, role, workstation_id, expires_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL',
    [tokenHash],
  );
  const row = rows[0];
  if (!row) return { ok: false, code: 'UNAUTHENTICATED', message: 'unknown or revoked token' };
  if (row.expires_at !== null && new Date(row.expires_at).getTime() <= now) {
    return { ok: false, code: 'TOKEN_EXPIRED', message: `token expired at ${new Date(row.expires_at).toISOString()}; install the workstation's new token (token rotate)` };
  }
  const last = lastUsedWrites.get(tokenHash);
  if (last === undefined || now - last >= LAST_USED_EVERY_MS || now < last) {
    lastUsedWrites.set(tokenHash, now);
    if (lastUsedWrites.size > 10_000) lastUsedWrites.delete(lastUsedWrites.keys().next().value!);
    // A failed bookkeeping write must not fail the request it rides on.
    await db.query('UPDATE api_tokens SET last_used_at = $2 WHERE token_id = $1', [row.token_id, new Date(now)]).catch(() => undefined);
  }
  const principal: Principal =
    row.role === 'workstation' && row.workstation_id
      ? { name: row.workstation_id, role: row.role, tokenName: row.name, workstation: row.workstation_id }
      : { name: row.name, role: row.role, tokenName: row.name };
  return { ok: true, principal, tokenHash };
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyInstance {
    /** The clock token expiry is checked against (ServerOptions.now); set by installAuthClock. */
    authNow?: () => number;
  }
}

/** Makes `now` the clock of every token check in `app` (decorators are inherited by its plugins). */
export function installAuthClock(app: FastifyInstance, now: () => number): void {
  app.decorate('authNow', now);
}

/**
 * One lookup per request, shared by the rate limiter (which keys on the token only when it is
 * valid, so made-up tokens cannot buy fresh budgets) and requireRole.
 */
const lookups = new WeakMap<FastifyRequest, Promise<Authentication>>();
export function authenticateRequest(db: Queryable, request: FastifyRequest): Promise<Authentication> {
  let lookup = lookups.get(request);
  if (!lookup) {
    lookup = authenticate(db, request.headers.authorization, (request.server.authNow ?? Date.now)());
    lookups.set(request, lookup);
  }
  return lookup;
}

/** A hook that requires `Authorization: Bearer <token>` of one of `roles`: 401 UNAUTHENTICATED / TOKEN_EXPIRED, 403 FORBIDDEN. */
export function requireRole(db: Queryable, ...roles: TokenRole[]) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const auth = await authenticateRequest(db, request);
    if (!auth.ok) return sendError(reply, 401, auth.code, auth.message);
    if (!roles.includes(auth.principal.role)) return sendError(reply, 403, 'FORBIDDEN', `this endpoint needs a ${roles.join(' or ')} token`);
    request.principal = auth.principal;
  };
}
