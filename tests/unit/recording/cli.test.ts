import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileKeyProvider } from '../../../src/main/caselog/key-provider';
import { CaseStore } from '../../../src/main/caselog/store';
import { silentLogger } from '../../../src/main/log/logger';
import { RecordingService } from '../../../src/main/recording/recording-service';
import { ebmlLayout, makeLiveWebm, mediaSkipReason, mediaTitle, openCase, probe, splitChunks, tempDir } from './helpers';

const ROOT = resolve(__dirname, '../../..');
const { dir, cleanup } = tempDir('vd-rec-cli-');
const db = join(dir, 'cases.db');
afterAll(cleanup);

const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main/cli/index.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, VERIDESK_KEY_FILE: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

let ids: { customer: string; agent: string; caseId: string };

describe.skipIf(mediaSkipReason)(mediaTitle('veridesk recordings CLI'), () => {
  beforeAll(async () => {
    const media = makeLiveWebm(3);
    const store = CaseStore.open({ path: db, keyProvider: new FileKeyProvider(`${db}.key`) });
    try {
      const svc = new RecordingService({ store, log: silentLogger });
      const caseId = openCase(store);
      const start = (track: 'customer' | 'agent') => svc.start({ caseId, callId: 'call-cli-0001', track, mimeType: 'video/webm', startedAt: 1, actor: 'agent-7' }).recordingId;
      ids = { customer: start('customer'), agent: start('agent'), caseId };
      splitChunks(media).forEach((c, seq) => {
        svc.appendChunk(ids.customer, seq, c);
        svc.appendChunk(ids.agent, seq, c);
      });
      await svc.stop(ids.customer);
      // the agent track stays 'recording' (as after a crash)
    } finally {
      store.close();
    }
  });

  it('lists recordings as JSON and text, filtered by case', () => {
    const json = cli('recordings', 'list', '--db', db, '--json');
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.out) as { recordingId: string; track: string; state: string; seekable: boolean; durationMs: number | null }[];
    expect(rows.map((r) => [r.recordingId, r.track, r.state, r.seekable])).toEqual([
      [ids.customer, 'customer', 'stopped', true],
      [ids.agent, 'agent', 'recording', false],
    ]);
    expect(rows[0]!.durationMs).toBeGreaterThan(2500);
    const text = cli('recordings', 'list', '--db', db, '--case', ids.caseId);
    expect(text.out).toContain(ids.customer);
    expect(text.out).toMatch(/customer\tstopped\t\d+ chunks/);
    expect(cli('recordings', 'list', '--db', db, '--case', 'nope').out).toMatch(/no recordings/);
  });

  it('exports a playable, seekable WebM and refuses to overwrite', () => {
    const out = join(dir, 'customer.webm');
    const r = cli('recordings', 'export', ids.customer, '--db', db, '--out', out);
    expect(r).toMatchObject({ code: 0, out: expect.stringMatching(/seekable/) });
    const webm = readFileSync(out);
    const p = probe(webm, dir);
    expect(p.decodeErrors).toBe('');
    expect(p.formatDuration).toBeGreaterThan(2.7);
    expect(ebmlLayout(webm).cuesOnClusters).toBe(true);

    writeFileSync(out, 'keep me');
    const again = cli('recordings', 'export', ids.customer, '--db', db, '--out', out);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already exists/);
    expect(readFileSync(out, 'utf8')).toBe('keep me');

    const live = join(dir, 'agent.webm');
    expect(cli('recordings', 'export', ids.agent, '--db', db, '--out', live)).toMatchObject({ code: 0, out: expect.stringMatching(/not seekable/) });
    expect(probe(readFileSync(live), dir).packets).toBeGreaterThan(0);
  });

  it('clear errors for an unknown recording, a missing database or key', () => {
    const missing = cli('recordings', 'export', '00000000-0000-0000-0000-000000000000', '--db', db, '--out', join(dir, 'x.webm'));
    expect(missing).toMatchObject({ code: 1, err: expect.stringMatching(/does not exist/) });
    expect(cli('recordings', 'list', '--db', join(dir, 'nope.db')).err).toMatch(/database .* does not exist/);
    expect(cli('recordings', 'list', '--db', db, '--key-file', join(dir, 'no.key')).err).toMatch(/key file .* does not exist/);
  });
});
