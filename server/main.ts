/**
 * The VeriDesk backend.
 *   npm run server                                   start (PGlite in ./.data/server unless DATABASE_URL)
 *   npm run server -- token create ws-1              a workstation token for workstation ws-1 (printed once)
 *   npm run server -- token create ws-1-b --workstation ws-1 --expires-in 90d   another token for ws-1, expiring
 *   npm run server -- token create lead-1 --role lead
 *   npm run server -- token create app-1 --role channel   (a self-service channel: stores reference photos)
 *   npm run server -- token rotate --workstation ws-1 [--grace 1h] [--expires-in 90d]   new token; ws-1's others expire
 *   npm run server -- token revoke --name ws-1        (or --workstation ws-1: all of its tokens)
 *   npm run server -- token list
 *   npm run server -- queue skills ws-1 transact operate   (the service types ws-1 takes; --all = every type; none = show)
 * (`--name NAME` works in place of the positional NAME.) Tokens, rotation, limits: docs/server-security.md.
 * Environment: PORT (8787), HOST (127.0.0.1), DATABASE_URL, VERIDESK_SERVER_DATA (./.data/server),
 * VERIDESK_LOG_LEVEL, VERIDESK_BODY_LIMIT (bytes), VERIDESK_QUEUE_OFFER_TIMEOUT_MS / VERIDESK_QUEUE_PRESENCE_TIMEOUT_MS.
 * Security (docs/server-security.md): VERIDESK_TRUST_PROXY (proxy addresses/CIDRs, comma-separated; none by default),
 * VERIDESK_RATE_LIMIT_PER_TOKEN (1200/min), VERIDESK_RATE_LIMIT_PER_IP (300/min), VERIDESK_RATE_LIMIT=off,
 * VERIDESK_CONNECTION_TIMEOUT_MS (60000), VERIDESK_REQUEST_TIMEOUT_MS (120000), VERIDESK_KEEP_ALIVE_TIMEOUT_MS (72000);
 * the serve flags below override them.
 * Live calls (docs/signaling.md): VERIDESK_PUBLIC_URL (base of customer join links; default
 * http://HOST:PORT), VERIDESK_TURN_URLS (comma-separated turn:/turns: URLs), VERIDESK_TURN_SECRET
 * (coturn static-auth-secret), VERIDESK_TURN_TTL_S (3600), VERIDESK_STUN_URLS (comma-separated),
 * VERIDESK_ICE_TRANSPORT_POLICY (all | relay; default all), VERIDESK_JOIN_PAGE_DIR (out/join).
 * Reference photos (docs/reference-photos.md): VERIDESK_SERVER_KEY (64 hex; else <data dir>/reference-photo.key),
 * VERIDESK_REFERENCE_PHOTO_TTL_DAYS (30).
 */
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLogger } from '../src/common/logger';
import { buildServer, parseTrustProxy, type TimeoutOptions } from './app';
import type { RateLimitOptions } from './auth/rate-limit';
import { createToken, isTokenRole, listTokens, parseDuration, revokeToken, revokeWorkstation, rotateToken, TOKEN_ROLES } from './auth/tokens';
import { openDatabase, type ServerDb } from './db/database';
import { migrateServer } from './db/migrations';
import { parseIceConfig } from './turn/credentials';
import { setSkills, skillsOf } from './queue/skills';
import { SERVICE_TYPES } from '../src/shared/cases';

async function openDb(): Promise<ServerDb> {
  const dataDir = resolve(process.env.VERIDESK_SERVER_DATA ?? '.data/server');
  const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir: join(dataDir, 'pglite') });
  await migrateServer(db);
  return db;
}

/** VERIDESK_PUBLIC_URL (an http(s) origin, optionally with a path), else the listen address. */
function publicBaseUrl(configured: string | undefined, host: string, port: string): string {
  if (!configured) return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
  const url = new URL(configured);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('VERIDESK_PUBLIC_URL must be an http(s) URL');
  if (url.search || url.hash) throw new Error('VERIDESK_PUBLIC_URL must not have a query or fragment');
  return url.toString().replace(/\/+$/, '');
}

/** The built customer join page (`npm run build` writes out/join); VERIDESK_JOIN_PAGE_DIR overrides. */
function joinPageDir(logger: { warn: (o: object, m: string) => void }): string | undefined {
  const dir = resolve(process.env.VERIDESK_JOIN_PAGE_DIR ?? 'out/join');
  if (existsSync(join(dir, 'index.html'))) return dir;
  logger.warn({ dir }, 'customer join page not built (run npm run build): join links will answer 404');
  return undefined;
}

/** A non-negative integer setting; anything else stops the start (a typo must not silently mean "default"). */
function intSetting(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value.trim())) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

interface ServeOpts {
  port: string;
  host: string;
  trustProxy?: string;
  rateLimit: boolean;
  rateLimitToken?: string;
  rateLimitIp?: string;
}

function rateLimitSettings(opts: ServeOpts): RateLimitOptions | false {
  const off = (process.env.VERIDESK_RATE_LIMIT ?? '').trim().toLowerCase();
  if (!opts.rateLimit || off === 'off' || off === 'false' || off === '0') return false;
  return {
    perTokenPerMinute: intSetting('--rate-limit-token / VERIDESK_RATE_LIMIT_PER_TOKEN', opts.rateLimitToken ?? process.env.VERIDESK_RATE_LIMIT_PER_TOKEN),
    perIpPerMinute: intSetting('--rate-limit-ip / VERIDESK_RATE_LIMIT_PER_IP', opts.rateLimitIp ?? process.env.VERIDESK_RATE_LIMIT_PER_IP),
  };
}

function timeoutSettings(): TimeoutOptions {
  return {
    connectionMs: intSetting('VERIDESK_CONNECTION_TIMEOUT_MS', process.env.VERIDESK_CONNECTION_TIMEOUT_MS),
    requestMs: intSetting('VERIDESK_REQUEST_TIMEOUT_MS', process.env.VERIDESK_REQUEST_TIMEOUT_MS),
    keepAliveMs: intSetting('VERIDESK_KEEP_ALIVE_TIMEOUT_MS', process.env.VERIDESK_KEEP_ALIVE_TIMEOUT_MS),
  };
}

const program = new Command('veridesk-server').description('VeriDesk backend: sync API, team-lead review API, live-call signaling');

program
  .command('serve', { isDefault: true })
  .description('start the server')
  .option('--port <port>', 'listen port', process.env.PORT ?? '8787')
  .option('--host <host>', 'listen address', process.env.HOST ?? '127.0.0.1')
  .option('--trust-proxy <addrs>', 'reverse proxies (IP addresses or CIDRs, comma-separated) whose X-Forwarded-For is believed; default none', process.env.VERIDESK_TRUST_PROXY)
  .option('--rate-limit-token <n>', 'requests per minute per valid token (default 1200)')
  .option('--rate-limit-ip <n>', 'requests per minute per client address without a valid token (default 300)')
  .option('--no-rate-limit', 'turn request rate limits off (e.g. when a proxy in front limits)')
  .action(async (opts: ServeOpts) => {
    const logger = createLogger('veridesk-server');
    // Checked before the database opens: a configuration that cannot connect calls stops here.
    const ice = parseIceConfig(process.env);
    const trustProxy = parseTrustProxy(opts.trustProxy);
    const rateLimit = rateLimitSettings(opts);
    const timeouts = timeoutSettings();
    const publicUrl = publicBaseUrl(process.env.VERIDESK_PUBLIC_URL, opts.host, opts.port);
    if (/^(0\.0\.0\.0|::|\[::\])$/.test(opts.host) && !process.env.VERIDESK_PUBLIC_URL) {
      logger.warn({ publicUrl }, 'listening on all interfaces without VERIDESK_PUBLIC_URL: customer join links will not be reachable');
    }
    const db = await openDb();
    const commitDelayMs = Number(process.env.VERIDESK_FAULT_COMMIT_DELAY_MS ?? 0) || undefined;
    const app = await buildServer({
      db,
      logger,
      bodyLimit: Number(process.env.VERIDESK_BODY_LIMIT ?? 0) || undefined,
      faults: { commitDelayMs },
      signaling: { publicUrl, ice },
      joinPageDir: joinPageDir(logger),
      trustProxy,
      rateLimit,
      timeouts,
      queue: queueSettings(),
    });
    const address = await app.listen({ port: Number(opts.port), host: opts.host });
    logger.info({ address, database: db.kind, publicUrl, turn: ice.turnUrls.length, stun: ice.stunUrls.length, iceTransportPolicy: ice.iceTransportPolicy, trustProxy, rateLimit }, 'server listening');
    const stop = async () => {
      await app.close();
      await db.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
  });

const token = program.command('token').description('manage API tokens (stored hashed; docs/server-security.md)');

/** Runs `fn` on the migrated database and closes it. */
async function withDb<T>(fn: (db: ServerDb) => Promise<T>): Promise<T> {
  const db = await openDb();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const expiryFrom = (expiresIn: string | undefined): Date | null => (expiresIn === undefined ? null : new Date(Date.now() + parseDuration(expiresIn)));
const when = (t: unknown): string => (t === null || t === undefined ? '-' : new Date(t as string).toISOString());

token
  .command('create')
  .description('create a token; printed once on stdout')
  .argument('[name]', 'token name, unique (A-Z a-z 0-9 . _ -)')
  .option('--name <name>', 'the token name (same as the argument)')
  .option('--role <role>', TOKEN_ROLES.join(' | '), 'workstation')
  .option('--workstation <id>', 'workstation tokens: the workstation it acts for (default: the token name); created if new')
  .option('--expires-in <duration>', 'e.g. 90d, 12h; default: never')
  .action(async (arg: string | undefined, opts: { name?: string; role: string; workstation?: string; expiresIn?: string }) => {
    const name = arg ?? opts.name;
    if (!name) throw new Error('token create needs a NAME (or --name NAME)');
    if (arg && opts.name && arg !== opts.name) throw new Error('give the token name once');
    const role = opts.role;
    if (!isTokenRole(role)) throw new Error(`--role must be one of ${TOKEN_ROLES.join(', ')}`);
    if (opts.workstation !== undefined && role !== 'workstation') throw new Error('--workstation is only for --role workstation');
    const expiresAt = expiryFrom(opts.expiresIn);
    await withDb(async (db) => {
      const t = await createToken(db, name, role, { workstation: opts.workstation, expiresAt });
      console.log(t);
      const ws = role === 'workstation' ? ` for workstation "${opts.workstation ?? name}"` : '';
      console.error(`created ${role} token "${name}"${ws}${expiresAt ? `, expires ${expiresAt.toISOString()}` : ''}; it is shown only now, store it safely`);
    });
  });

token
  .command('rotate')
  .description("a new token for a workstation (printed once); the workstation's other tokens expire after --grace")
  .requiredOption('--workstation <id>', 'the workstation')
  .option('--grace <duration>', 'how long the old tokens keep working, e.g. 1h; default 0 (they stop now)', '0')
  .option('--expires-in <duration>', "the new token's lifetime, e.g. 90d; default: never")
  .option('--name <name>', 'the new token name (default <workstation>.<UTC time>.<4 hex>)')
  .action(async (opts: { workstation: string; grace: string; expiresIn?: string; name?: string }) => {
    const graceMs = parseDuration(opts.grace);
    const expiresAt = expiryFrom(opts.expiresIn);
    await withDb(async (db) => {
      const r = await rotateToken(db, opts.workstation, { graceMs, expiresAt, name: opts.name });
      console.log(r.token);
      console.error(`created token "${r.name}" for workstation "${opts.workstation}"${expiresAt ? `, expires ${expiresAt.toISOString()}` : ''}; it is shown only now, store it safely`);
      for (const old of r.retired) console.error(`  old token "${old.name}" ${old.expiresAt.getTime() <= Date.now() ? 'expired now' : `expires ${old.expiresAt.toISOString()}`}`);
    });
  });

token
  .command('revoke')
  .description('revoke one token (--name) or every token of a workstation (--workstation)')
  .option('--name <name>', 'the token')
  .option('--workstation <id>', 'all tokens of this workstation')
  .action(async (opts: { name?: string; workstation?: string }) => {
    if (!opts.name === !opts.workstation) throw new Error('token revoke needs exactly one of --name or --workstation');
    await withDb(async (db) => {
      if (opts.name) console.log((await revokeToken(db, opts.name)) ? `revoked ${opts.name}` : `no active token named ${opts.name}`);
      else {
        const revoked = await revokeWorkstation(db, opts.workstation!);
        console.log(revoked.length ? `revoked ${revoked.join(', ')}` : `no active token for workstation ${opts.workstation}`);
      }
    });
  });

token
  .command('list')
  .description('name, role, workstation, state, created, expires, last used (tab-separated)')
  .action(async () => {
    await withDb(async (db) => {
      const now = Date.now();
      console.log(['name', 'role', 'workstation', 'state', 'created', 'expires', 'last_used'].join('\t'));
      for (const t of await listTokens(db)) {
        const expired = t.expires_at !== null && new Date(t.expires_at as string).getTime() <= now;
        const state = t.revoked_at ? 'revoked' : expired ? 'expired' : 'active';
        console.log([t.name, t.role, t.workstation_id ?? '-', state, when(t.created_at), when(t.expires_at), when(t.last_used_at)].join('\t'));
      }
    });
  });

/** The queue's timings from the environment (docs/queue.md); unset or malformed → the defaults, said in the log. */
function queueSettings(env: NodeJS.ProcessEnv = process.env): { offerTimeoutMs?: number; presenceTimeoutMs?: number } {
  const ms = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1000 || value > 3_600_000) throw new Error(`${name} must be a whole number of milliseconds between 1000 and 3600000`);
    return value;
  };
  return { offerTimeoutMs: ms('VERIDESK_QUEUE_OFFER_TIMEOUT_MS'), presenceTimeoutMs: ms('VERIDESK_QUEUE_PRESENCE_TIMEOUT_MS') };
}

const queue = program.command('queue').description('the customer queue (docs/queue.md)');

queue
  .command('skills')
  .description("the service types a workstation's agents take: list them, set them, or --all (every type)")
  .argument('<workstation>', 'the workstation id')
  .argument('[serviceTypes...]', `${SERVICE_TYPES.join(' | ')}; none given: show the current skills`)
  .option('--all', 'clear the list: the workstation takes every service type')
  .action(async (workstation: string, serviceTypes: string[], opts: { all?: boolean }) => {
    if (opts.all && serviceTypes.length > 0) throw new Error('give service types or --all, not both');
    await withDb(async (db) => {
      const skills = opts.all || serviceTypes.length > 0 ? await setSkills(db, workstation, opts.all ? [] : serviceTypes) : await skillsOf(db, workstation);
      console.log(`${workstation}\t${skills.length === 0 ? 'all' : skills.join(',')}`);
    });
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
