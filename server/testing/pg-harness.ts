/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: initdb + pg_ctl on a temp dir, a random
 * loopback port, trust auth, run as the `postgres` user when we are root (postgres refuses root).
 * Honours TEST_DATABASE_URL (an existing server; a fresh database is created on it when allowed).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PgCluster {
  url: string;
  stop(): Promise<void>;
}

export type PgStart = { ok: true; cluster: PgCluster } | { ok: false; reason: string };

function findBinDir(): string | null {
  if (process.env.PG_BIN_DIR && existsSync(join(process.env.PG_BIN_DIR, 'initdb'))) return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  return found ? join(found, '..') : null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function freshDatabase(baseUrl: string): Promise<PgCluster> {
  const name = `veridesk_test_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch {
    await admin.end();
    return { url: baseUrl, stop: async () => undefined };
  }
  await admin.end();
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    stop: async () => {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await c.end();
    },
  };
}

/** Starts a cluster (or uses TEST_DATABASE_URL). `durable: false` turns fsync off for speed. */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<PgStart> {
  if (process.env.TEST_DATABASE_URL) return { ok: true, cluster: await freshDatabase(process.env.TEST_DATABASE_URL) };
  const bin = findBinDir();
  if (!bin) return { ok: false, reason: 'PostgreSQL server binaries (initdb, pg_ctl) not found; install the Debian package "postgresql" or set TEST_DATABASE_URL' };
  const isRoot = process.getuid?.() === 0;
  let asUser: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'vd-pg-'));
  if (isRoot) {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (uid.status !== 0) return { ok: false, reason: 'running as root and there is no "postgres" user to run the cluster as' };
    chownSync(dir, Number(uid.stdout.trim()), Number(gid.stdout.trim()));
    asUser = ['runuser', '-u', 'postgres', '--'];
  }
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const run = (cmd: string, args: string[]) => {
    const full = [...asUser, join(bin, cmd), ...args];
    execFileSync(full[0]!, full.slice(1), { stdio: 'pipe', cwd: dir });
  };
  const port = await freePort();
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=${options.durable ? 'on' : 'off'} -c max_connections=50 -c shared_buffers=64MB`;
    run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
    return { ok: false, reason: `could not start a PostgreSQL cluster: ${stderr.slice(0, 500)}` };
  }
  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    const full = [...asUser, join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'];
    spawnSync(full[0]!, full.slice(1), { stdio: 'ignore', cwd: dir });
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopSync);
  return {
    ok: true,
    cluster: {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      stop: async () => stopSync(),
    },
  };
}
