/**
 * The VeriDesk backend.
 *   npm run server                                   start (PGlite in ./.data/server unless DATABASE_URL)
 *   npm run server -- token create --name ws-1       create a workstation token (printed once)
 *   npm run server -- token create --name lead-1 --role lead
 *   npm run server -- token create --name app-1 --role channel   (a self-service channel: stores reference photos)
 *   npm run server -- token revoke --name ws-1
 *   npm run server -- token list
 * Environment: PORT (8787), HOST (127.0.0.1), DATABASE_URL, VERIDESK_SERVER_DATA (./.data/server),
 * VERIDESK_LOG_LEVEL, VERIDESK_BODY_LIMIT (bytes).
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
import { buildServer } from './app';
import { createToken, isTokenRole, listTokens, revokeToken, TOKEN_ROLES } from './auth/tokens';
import { openDatabase, type ServerDb } from './db/database';
import { migrateServer } from './db/migrations';
import { parseIceConfig } from './turn/credentials';

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

const program = new Command('veridesk-server').description('VeriDesk backend: sync API, team-lead review API, live-call signaling');

program
  .command('serve', { isDefault: true })
  .description('start the server')
  .option('--port <port>', 'listen port', process.env.PORT ?? '8787')
  .option('--host <host>', 'listen address', process.env.HOST ?? '127.0.0.1')
  .action(async (opts: { port: string; host: string }) => {
    const logger = createLogger('veridesk-server');
    // Checked before the database opens: a configuration that cannot connect calls stops here.
    const ice = parseIceConfig(process.env);
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
    });
    const address = await app.listen({ port: Number(opts.port), host: opts.host });
    logger.info({ address, database: db.kind, publicUrl, turn: ice.turnUrls.length, stun: ice.stunUrls.length, iceTransportPolicy: ice.iceTransportPolicy }, 'server listening');
    const stop = async () => {
      await app.close();
      await db.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
  });

const token = program.command('token').description('manage API tokens (stored hashed)');
token
  .command('create')
  .requiredOption('--name <name>', 'workstation, team-lead or channel name, unique')
  .option('--role <role>', TOKEN_ROLES.join(' | '), 'workstation')
  .action(async (opts: { name: string; role: string }) => {
    const role = opts.role;
    if (!isTokenRole(role)) throw new Error(`--role must be one of ${TOKEN_ROLES.join(', ')}`);
    const db = await openDb();
    try {
      const t = await createToken(db, opts.name, role);
      console.log(t);
      console.error(`created ${opts.role} token "${opts.name}"; it is shown only now, store it safely`);
    } finally {
      await db.close();
    }
  });
token.command('revoke').requiredOption('--name <name>').action(async (opts: { name: string }) => {
  const db = await openDb();
  try {
    console.log((await revokeToken(db, opts.name)) ? `revoked ${opts.name}` : `no active token named ${opts.name}`);
  } finally {
    await db.close();
  }
});
token.command('list').action(async () => {
  const db = await openDb();
  try {
    for (const t of await listTokens(db)) console.log(`${t.name}\t${t.role}\t${t.revoked_at ? 'revoked' : 'active'}`);
  } finally {
    await db.close();
  }
});

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
