/**
 * Real crash tests: the server and the workstation's sync run as child processes and are killed
 * with SIGKILL mid-batch / mid-commit; after restarts every event is on the server exactly once.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPglite, openPostgres, type ServerDb } from '../../../server/db/database';
import { startPostgres } from '../../../server/testing/pg-harness';
import { FileKeyProvider } from '../../../src/main/caselog/key-provider';
import { seedCases } from '../../../src/main/caselog/seed';
import { CaseStore } from '../../../src/main/caselog/store';

const ROOT = resolve(__dirname, '../../..');
const NODE = process.execPath;
const pgStart = await startPostgres();
const children = new Set<ChildProcess>();

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  if (pgStart.ok) await pgStart.cluster.stop();
});

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

interface Proc {
  child: ChildProcess;
  lines: string[];
  waitFor(pattern: RegExp, count?: number, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

function run(script: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(NODE, ['--import', 'tsx', script, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  const onData = (b: Buffer) => {
    lines.push(...b.toString().split('\n').filter(Boolean));
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) =>
    child.on('exit', (code) => {
      children.delete(child);
      for (const w of waiters) w();
      r(code);
    }),
  );
  return {
    child,
    lines,
    exited,
    waitFor: (pattern, count = 1, timeoutMs = 30_000) =>
      new Promise<void>((res, rej) => {
        const t = setTimeout(() => rej(new Error(`timeout waiting for ${pattern}; output:\n${lines.slice(-20).join('\n')}`)), timeoutMs);
        const check = () => {
          if (lines.filter((l) => pattern.test(l)).length >= count) {
            clearTimeout(t);
            res();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(t);
            rej(new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${pattern}; output:\n${lines.slice(-20).join('\n')}`));
          }
        };
        waiters.push(check);
        check();
      }),
  };
}

const kill9 = async (p: Proc) => {
  p.child.kill('SIGKILL');
  await p.exited;
};

type Backend = { name: string; skip: string | null; env: (dataDir: string) => Record<string, string>; open: (dataDir: string) => Promise<ServerDb> };
const backends: Backend[] = [
  { name: 'PGlite', skip: null, env: (d) => ({ VERIDESK_SERVER_DATA: d }), open: (d) => openPglite(join(d, 'pglite')) },
  {
    name: 'PostgreSQL',
    skip: pgStart.ok ? null : pgStart.reason,
    env: (d) => ({ VERIDESK_SERVER_DATA: d, DATABASE_URL: pgStart.ok ? pgStart.cluster.url : '' }),
    open: () => openPostgres(pgStart.ok ? pgStart.cluster.url : ''),
  },
];

for (const backend of backends) {
  describe.skipIf(backend.skip !== null)(`crash safety on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    it('kill -9 of the sync client and of the server mid-commit, then a crash between ack and outbox clear: every event exactly once', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vd-fault-'));
      const serverData = join(dir, 'server');
      const dbPath = join(dir, 'ws', 'cases.db');
      try {
        const store = CaseStore.open({ path: dbPath, keyProvider: new FileKeyProvider(`${dbPath}.key`) });
        // the token is named after the log's workstation id: the server checks each batch's signed checkpoint
        // against the token's workstation, and the log signs with its own id
        const wsName = store.workstationId;
        const created = spawnSync(NODE, ['--import', 'tsx', 'server/main.ts', 'token', 'create', '--name', wsName], { cwd: ROOT, env: { ...process.env, ...backend.env(serverData) }, encoding: 'utf8' });
        expect(created.status, created.stderr).toBe(0);
        const token = created.stdout.trim();

        seedCases(store, { count: 60, seed: 7 });
        const local = store.db.prepare('SELECT case_id, seq, hash FROM events ORDER BY case_id, seq').all() as { case_id: string; seq: number; hash: string }[];
        store.close();

        const port = await freePort();
        const url = `http://127.0.0.1:${port}`;
        const startServer = (delay: number) => run('server/main.ts', ['serve', '--port', String(port)], { ...backend.env(serverData), VERIDESK_FAULT_COMMIT_DELAY_MS: String(delay) });
        const syncEnv = { VERIDESK_SYNC_TOKEN: token };
        const sync = (env: Record<string, string> = {}) => run('tests/unit/sync/case-cli-child.ts', ['sync', '--once', '--db', dbPath, '--server', url, '--batch-size', '40'], { ...syncEnv, ...env });

        // 1. Server holds each transaction open 1.5 s before COMMIT. Let two batches commit, then
        //    SIGKILL the client while its third request is in flight and the server mid-commit.
        let server = startServer(1500);
        await server.waitFor(/server listening/);
        let client = sync();
        await server.waitFor(/sync batch stored/, 2, 60_000);
        await server.waitFor(/holding the transaction open before COMMIT/, 3, 60_000);
        await kill9(client);
        await kill9(server);
        expect(server.lines.filter((l) => /sync batch stored/.test(l)).length).toBe(2);

        // 2. Restart the server; a client crash after the server acknowledged but before the
        //    outbox was cleared: the next run resends that batch and the server stores nothing twice.
        server = startServer(0);
        await server.waitFor(/server listening/);
        client = sync({ VERIDESK_FAULT_PAUSE_AFTER_ACK_MS: '10000' });
        await client.waitFor(/outbox not yet cleared/);
        await kill9(client);

        // 3. Restart the client; it drains everything.
        client = sync();
        expect(await client.exited).toBe(0);
        const result = JSON.parse(client.lines.find((l) => l.startsWith('{"batches"')) ?? '{}') as { replayed?: number; pending?: number };
        expect(result.pending).toBe(0);
        // The batch acknowledged before the crash in step 2 was resent and answered from the idempotency store.
        expect(result.replayed).toBe(1);
        await kill9(server);
        // Structured logs, and never a token in them.
        expect(server.lines.some((l) => /"msg":"sync batch stored"/.test(l))).toBe(true);
        expect([...server.lines, ...client.lines].join('\n')).not.toContain(token);

        const db = await backend.open(serverData);
        try {
          const ids = [...new Set(local.map((r) => r.case_id))];
          const { rows } = await db.query<{ case_id: string; seq: number; hash: string }>('SELECT case_id, seq, hash FROM events WHERE case_id = ANY($1::text[]) ORDER BY case_id, seq', [ids]);
          expect(rows.length).toBe(local.length);
          expect(rows).toEqual(local);
          const batches = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sync_batches WHERE workstation = $1', [wsName]);
          expect(Number(batches.rows[0]?.n)).toBeGreaterThanOrEqual(Math.ceil(local.length / 40));
        } finally {
          await db.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 180_000);
  });
}
