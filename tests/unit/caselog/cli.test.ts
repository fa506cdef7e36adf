import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'vd-cli-'));
const db = join(dir, 'cases.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real CLI entry (what `veridesk` and `npm run cli` run). */
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main/cli/index.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, VERIDESK_KEY_FILE: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('veridesk cases CLI', () => {
  it('seed, list, export, verify (db and bundle), and tamper detection with exact case and seq', () => {
    expect(cli('cases', 'seed', '--db', db, '--count', '30').out).toMatch(/seeded 30 cases/);
    const list = cli('cases', 'list', '--db', db, '--json', '--limit', '100');
    const cases = JSON.parse(list.out) as { caseId: string; eventCount: number; idNumberMasked: string | null }[];
    expect(cases).toHaveLength(30);
    expect(cli('cases', 'verify', '--db', db)).toMatchObject({ code: 0, out: expect.stringContaining('30 cases') });

    const bundle = join(dir, 'export.json');
    const exp = cli('cases', 'export', '--db', db, '--out', bundle);
    expect(exp.code).toBe(0);
    const fp = /signer fingerprint (\S+)/.exec(exp.out)?.[1];
    expect(fp).toBeTruthy();
    expect(cli('cases', 'verify', '--bundle', bundle, '--fingerprint', fp!)).toMatchObject({ code: 0, out: expect.stringContaining('OK') });
    expect(cli('cases', 'verify', '--bundle', bundle, '--fingerprint', '00:11')).toMatchObject({ code: 1, out: expect.stringContaining('DOES NOT MATCH') });

    // Tamper with the bundle: an event's payload changes → signature and chain both fail.
    const b = JSON.parse(readFileSync(bundle, 'utf8')) as { cases: { summary: { caseId: string }; events: { seq: number; payload: Record<string, unknown> }[] }[] };
    const target = b.cases[4]!;
    target.events[1]!.payload.forged = true;
    writeFileSync(bundle, JSON.stringify(b));
    const bad = cli('cases', 'verify', '--bundle', bundle);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(`BROKEN: case ${target.summary.caseId} seq 2`);
    expect(bad.out).toContain('signature: INVALID');

    // Tamper with the database through a raw connection with the trigger gone.
    const victim = cases[7]!.caseId;
    const raw = new Database(db);
    raw.exec('DROP TRIGGER events_no_delete');
    raw.prepare('DELETE FROM events WHERE case_id = ? AND seq = 3').run(victim);
    raw.close();
    const v = cli('cases', 'verify', '--db', db);
    expect(v.code).toBe(1);
    expect(v.out.split('\n')[0]).toBe(`BROKEN: case ${victim} seq 3: CHAIN_GAP: case ${victim}: event seq 3 is missing (next present is 4)`);
    // the ledger names the deleted event's global position too
    expect(v.out).toMatch(/^BROKEN: ledger gseq \d+: LEDGER_GAP: global position \d+ is missing \(deleted\)$/m);
    // without a pinned signer a valid bundle is not OK
    const fresh = join(dir, 'export2.json');
    cli('cases', 'export', '--db', db, '--out', fresh, '--case', cases[0]!.caseId);
    expect(cli('cases', 'verify', '--bundle', fresh)).toMatchObject({ code: 1, out: expect.stringContaining('not pinned') });

    // seed --evidence and purge: evidence and recordings are written, then shredded
    const evDb = join(dir, 'evidence.db');
    expect(cli('cases', 'seed', '--db', evDb, '--count', '4', '--days', '1', '--evidence', '3').out).toMatch(/seeded 4 cases/);
    const ev = new Database(evDb, { readonly: true });
    expect(ev.prepare('SELECT count(*) AS n FROM evidence WHERE wrapped_key IS NOT NULL').get()).toEqual({ n: 12 });
    expect(ev.prepare("SELECT count(*) AS n FROM recordings WHERE state = 'stopped'").get()).toEqual({ n: 4 });
    ev.close();
    expect(cli('cases', 'purge', '--db', evDb, '--days', '0').out).toMatch(/purged 12 evidence items and 4 recordings in 4 cases .*keys and ciphertext destroyed/);

    expect(cli('cases', 'show', '--db', db, victim).out).toContain('case.opened');
    expect(cli('cases', 'verify', '--db', db, '--key-file', join(dir, 'other.key')).err).toMatch(/key does not match/);
  }, 120_000);
});
