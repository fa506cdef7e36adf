/**
 * A real crash: the workstation's uploader runs in a child process and is killed with SIGKILL while the server is
 * storing one of its chunks; after a restart it resumes from what the server holds. Nothing is lost (the download
 * is exactly readPlayable's bytes), nothing is duplicated (one row and one object per chunk, and the second run
 * sends only what the first did not get stored). Modelled on tests/unit/sync/faults.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRecording } from '../../../server/recordings/repo';
import { openStorage, type RecordingStorage } from '../../../server/recordings/storage';
import { FileKeyProvider } from '../../../src/main/caselog/key-provider';
import { CaseStore } from '../../../src/main/caselog/store';
import { silentLogger } from '../../../src/main/log/logger';
import { RecordingService } from '../../../src/main/recording/recording-service';
import { auth, fsStorage, newWorkstation, randomChunks, record, startBackend, syncUp } from './helpers';

const ROOT = resolve(__dirname, '../../..');
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

interface Proc {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function runChild(args: string[], token: string): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/unit/upload/upload-child.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, VERIDESK_BACKEND_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const lines: string[] = [];
  const onData = (b: Buffer) => void lines.push(...b.toString().split('\n').filter(Boolean));
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) =>
    child.on('exit', (code) => {
      children.delete(child);
      r(code);
    }),
  );
  return { child, lines, exited };
}

describe('kill -9 of the uploading process', () => {
  it('mid-upload, while the server stores a chunk: the restart resumes, nothing lost, nothing duplicated', async () => {
    const CHUNKS = 24;
    const KILL_AT = 9;
    const fixture = fsStorage();
    const inner = openStorage(fixture.config);
    // the server's put of chunk KILL_AT waits until the test has killed the client (then it completes)
    let arrived!: () => void;
    const putArrived = new Promise<void>((r) => (arrived = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const storage: RecordingStorage = Object.assign(Object.create(inner) as RecordingStorage, {
      put: async (key: string, data: Buffer) => {
        if (new RegExp(`/c0*${KILL_AT}\\.`).test(key)) {
          arrived();
          await released;
        }
        return inner.put(key, data);
      },
    });
    const backend = await startBackend(storage);
    const ws = await newWorkstation(backend.db);
    try {
      const chunks = randomChunks(Array.from({ length: CHUNKS }, (_, i) => 20_000 + i * 997));
      const { recordingId } = record(ws, chunks);
      await syncUp(ws, backend.url);
      const expected = await ws.recordings.readPlayable(recordingId);
      ws.store.close();

      const first = runChild(['--db', ws.dbPath, '--server', backend.url], ws.token);
      await Promise.race([putArrived, first.exited.then(() => Promise.reject(new Error(`child exited early:\n${first.lines.join('\n')}`)))]);
      first.child.kill('SIGKILL');
      await first.exited;
      // acknowledged before the kill: chunks 0 … KILL_AT-1, one line each
      expect(first.lines.filter((l) => /^chunk \d+ stored$/.test(l))).toEqual(Array.from({ length: KILL_AT }, (_, i) => `chunk ${i} stored`));
      release();
      // the server finishes storing the chunk whose client is gone
      const deadline = Date.now() + 10_000;
      while ((await backend.db.query('SELECT 1 FROM recording_chunks WHERE recording_id = $1 AND seq = $2', [recordingId, KILL_AT])).rows.length === 0) {
        if (Date.now() > deadline) throw new Error('the server did not store the chunk in flight');
        await new Promise((r) => setTimeout(r, 20));
      }

      const second = runChild(['--db', ws.dbPath, '--server', backend.url], ws.token);
      expect(await second.exited, second.lines.join('\n')).toBe(0);
      const { result } = JSON.parse(second.lines.find((l) => l.startsWith('{"result"'))!) as { result: Record<string, number> };
      // only what the server did not hold went again: the chunk in flight at the kill was not sent twice
      expect(result).toMatchObject({ completed: 1, chunksSent: CHUNKS - KILL_AT - 1, chunksHeld: KILL_AT + 1, pending: 0 });
      expect(second.lines.filter((l) => /^chunk \d+ stored$/.test(l))).toEqual(Array.from({ length: CHUNKS - KILL_AT - 1 }, (_, i) => `chunk ${KILL_AT + 1 + i} stored`));

      expect((await findRecording(backend.db, recordingId))!.state).toBe('complete');
      const rows = await backend.db.query<{ seq: number }>('SELECT seq FROM recording_chunks WHERE recording_id = $1 ORDER BY seq', [recordingId]);
      expect(rows.rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: CHUNKS }, (_, i) => i));
      expect(await inner.list(`${recordingId}/`)).toHaveLength(CHUNKS);
      const download = await fetch(`${backend.url}/api/v1/recordings/${recordingId}`, { headers: auth(backend.lead) });
      const body = Buffer.from(await download.arrayBuffer());
      expect(body.equals(expected)).toBe(true);
      expect(body.equals(Buffer.concat(chunks))).toBe(true);

      // and the workstation's own log is intact after the kill
      const reopened = CaseStore.open({ path: ws.dbPath, keyProvider: new FileKeyProvider(`${ws.dbPath}.key`) });
      try {
        expect((await new RecordingService({ store: reopened, log: silentLogger }).readPlayable(recordingId)).equals(expected)).toBe(true);
      } finally {
        reopened.close();
      }
    } finally {
      release();
      ws.close();
      await backend.close();
      await fixture.stop();
    }
  }, 120_000);
});
