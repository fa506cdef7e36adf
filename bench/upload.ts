/**
 * npx tsx bench/upload.ts [--mb 64] [--chunk-kib 125,640] [--storage fs,s3] [--json]
 *
 * Recording upload (docs/recording-upload.md): for a recording of N MB made of random chunks, on the filesystem
 * store and on an S3-protocol server (s3rver on loopback), prints
 *   - upload throughput (MB/s of plaintext) through the real uploader and a real server process, split into the
 *     chunk phase and `complete` (which reads everything back from storage and checks the case log's digests),
 *   - download throughput of the playable WebM by a lead (decrypted on the fly), checked against readPlayable,
 *   - resume after a kill: an uploading child process is SIGKILLed half-way, a new one started; the time from its
 *     start to the upload complete, and how much of it is the restart itself (process start to first chunk).
 * 125 KiB is what a 1 Mbit/s MediaRecorder with a 1 s timeslice writes per chunk; 640 KiB is the largest chunk.
 * The server runs with rate limits off and the uploader unpaced, to measure the pipeline rather than the budget
 * (at the default 15 requests/s a 125 KiB-chunk upload is paced to ~1.9 MB/s).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import S3rver from 's3rver';
import { FileKeyProvider } from '../src/main/caselog/key-provider';
import { CaseStore } from '../src/main/caselog/store';
import { silentLogger } from '../src/main/log/logger';
import { RecordingService } from '../src/main/recording/recording-service';
import { SyncClient } from '../src/main/sync/sync-client';
import { LocalRecordingSource } from '../src/main/upload/recording-source';
import { Uploader } from '../src/main/upload/uploader';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '64' },
    'chunk-kib': { type: 'string', default: '125,640' },
    storage: { type: 'string', default: 'fs,s3' },
    json: { type: 'boolean', default: false },
    child: { type: 'boolean', default: false },
    db: { type: 'string' },
    server: { type: 'string' },
  },
});

const openStore = (dbPath: string) => CaseStore.open({ path: dbPath, keyProvider: new FileKeyProvider(`${dbPath}.key`) });

/** Child mode: the uploader alone in a process (the resume measurement kills it). */
async function child(): Promise<void> {
  const store = openStore(values.db!);
  const recordings = new RecordingService({ store, log: silentLogger });
  const uploader = new Uploader({
    source: new LocalRecordingSource(store, recordings),
    serverUrl: values.server!,
    token: process.env.VERIDESK_BACKEND_TOKEN,
    maxRequestsPerSecond: 0,
    onChunk: (e) => console.log(`chunk ${e.seq} ${e.stored ? 'stored' : 'held'}`),
  });
  const r = await uploader.uploadOnce();
  console.log(JSON.stringify({ result: r }));
  store.close();
}

const MB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function spawnTsx(args: string[], env: Record<string, string>): { proc: ChildProcess; lines: string[]; waitFor(re: RegExp, count?: number): Promise<void>; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const onData = (b: Buffer) => {
    lines.push(...b.toString().split('\n').filter(Boolean));
    for (const w of waiters) w();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return {
    proc,
    lines,
    exited,
    waitFor: (re, count = 1) =>
      new Promise<void>((res, rej) => {
        const check = () => {
          if (lines.filter((l) => re.test(l)).length >= count) {
            waiters.delete(check);
            res();
          } else if (proc.exitCode !== null || proc.signalCode !== null) {
            waiters.delete(check);
            rej(new Error(`exited before ${re}:\n${lines.slice(-10).join('\n')}`));
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

interface StorageRun {
  name: 'fs' | 's3';
  env: Record<string, string>;
  stop(): Promise<void>;
}

async function storageEnv(name: 'fs' | 's3', dir: string): Promise<StorageRun> {
  if (name === 'fs') return { name, env: { VERIDESK_RECORDING_STORAGE: 'fs', VERIDESK_RECORDING_DIR: join(dir, 'objects') }, stop: async () => {} };
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 's3rver'), configureBuckets: [{ name: 'bench' }] });
  const { port } = await s3.run();
  return {
    name,
    env: {
      VERIDESK_RECORDING_STORAGE: 's3',
      VERIDESK_S3_BUCKET: 'bench',
      VERIDESK_S3_ENDPOINT: `http://127.0.0.1:${port}`,
      VERIDESK_S3_ACCESS_KEY_ID: 'S3RVER',
      VERIDESK_S3_SECRET_ACCESS_KEY: 'S3RVER',
    },
    stop: () => s3.close(),
  };
}

function makeRecording(store: CaseStore, recordings: RecordingService, totalBytes: number, chunkBytes: number): { recordingId: string; chunks: number } {
  const caseId = store.openCase({ agentId: 'bench', serviceType: 'transact' }).caseId;
  const { recordingId } = recordings.start({ caseId, callId: `call-${randomBytes(4).toString('hex')}`, track: 'customer', mimeType: 'video/webm', startedAt: Date.now(), actor: 'bench' });
  let seq = 0;
  for (let done = 0; done < totalBytes; done += chunkBytes) recordings.appendChunk(recordingId, seq++, randomBytes(Math.min(chunkBytes, totalBytes - done)));
  recordings.stopSync(recordingId);
  return { recordingId, chunks: seq };
}

async function main(): Promise<void> {
  const totalBytes = Math.round(Number(values.mb) * MB);
  const sizes = values['chunk-kib']!.split(',').map((s) => Math.round(Number(s) * 1024));
  const storages = values.storage!.split(',') as ('fs' | 's3')[];
  const out: Record<string, unknown> = { cpu: cpus()[0]?.model ?? '?', cpus: cpus().length, node: process.version, at: new Date().toISOString(), mb: Number(values.mb), runs: [] as unknown[], resume: [] as unknown[] };
  const say = (line: string) => {
    if (!values.json) console.log(line);
  };
  say(`bench:upload — node ${process.version}, ${cpus().length} CPU (${cpus()[0]?.model ?? '?'}), ${new Date().toISOString()}`);
  say(`conditions: shared machine; server in its own process (PGlite on disk, rate limits off) on loopback HTTP; uploader unpaced; recording of ${values.mb} MB random chunks`);

  for (const name of storages) {
    const dir = mkdtempSync(join(tmpdir(), `vd-bench-upload-${name}-`));
    const storage = await storageEnv(name, dir);
    const serverEnv = { VERIDESK_SERVER_DATA: join(dir, 'server'), VERIDESK_SERVER_KEY: randomBytes(32).toString('hex'), VERIDESK_LOG_LEVEL: 'info', ...storage.env };
    let server: ReturnType<typeof spawnTsx> | null = null;
    const dbPath = join(dir, 'ws', 'cases.db');
    const store = openStore(dbPath);
    try {
      const recordings = new RecordingService({ store, log: silentLogger });
      const token = (name_: string, role: string) => {
        const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/main.ts', 'token', 'create', '--name', name_, '--role', role], { cwd: ROOT, env: { ...process.env, ...serverEnv }, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(r.stderr);
        return r.stdout.trim();
      };
      const wsToken = token(store.workstationId, 'workstation');
      const lead = token('bench-lead', 'lead');
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      server = spawnTsx(['server/main.ts', 'serve', '--port', String(port), '--no-rate-limit'], serverEnv);
      await server.waitFor(/server listening/);
      const source = new LocalRecordingSource(store, recordings);

      for (const chunkBytes of sizes) {
        const { recordingId, chunks } = makeRecording(store, recordings, totalBytes, chunkBytes);
        await new SyncClient({ store, serverUrl: url, token: wsToken }).syncOnce();
        let lastAck = 0;
        const uploader = new Uploader({ source, serverUrl: url, token: wsToken, maxRequestsPerSecond: 0, onChunk: () => void (lastAck = performance.now()) });
        const t0 = performance.now();
        const r = await uploader.uploadOnce();
        const t1 = performance.now();
        if (r.completed !== 1) throw new Error(`upload did not complete: ${JSON.stringify(r)}`);
        const expected = sha(await recordings.readPlayable(recordingId));
        const d0 = performance.now();
        const res = await fetch(`${url}/api/v1/recordings/${recordingId}`, { headers: { authorization: `Bearer ${lead}` } });
        const body = Buffer.from(await res.arrayBuffer());
        const d1 = performance.now();
        if (sha(body) !== expected) throw new Error('download differs from readPlayable');
        const run = {
          storage: name,
          chunkKiB: chunkBytes / 1024,
          chunks,
          uploadMBps: +(totalBytes / MB / ((t1 - t0) / 1000)).toFixed(1),
          chunkPhaseMBps: +(totalBytes / MB / ((lastAck - t0) / 1000)).toFixed(1),
          completeMs: Math.round(t1 - lastAck),
          perChunkMs: +((lastAck - t0) / chunks).toFixed(2),
          downloadMBps: +(totalBytes / MB / ((d1 - d0) / 1000)).toFixed(1),
        };
        (out.runs as unknown[]).push(run);
        say(
          `${name.padEnd(2)} ${String(run.chunkKiB).padStart(4)} KiB × ${String(chunks).padStart(4)}: upload ${run.uploadMBps} MB/s (chunks ${run.chunkPhaseMBps} MB/s, ${run.perChunkMs} ms each; complete + read-back ${run.completeMs} ms), download ${run.downloadMBps} MB/s`,
        );
      }

      // resume after kill -9, with the largest chunk size
      const chunkBytes = Math.max(...sizes);
      const { recordingId, chunks } = makeRecording(store, recordings, totalBytes, chunkBytes);
      await new SyncClient({ store, serverUrl: url, token: wsToken }).syncOnce();
      const env = { VERIDESK_BACKEND_TOKEN: wsToken };
      const first = spawnTsx(['bench/upload.ts', '--child', '--db', dbPath, '--server', url], env);
      await first.waitFor(/^chunk \d+ stored$/, Math.floor(chunks / 2));
      first.proc.kill('SIGKILL');
      await first.exited;
      const killedAfter = first.lines.filter((l) => /^chunk \d+ stored$/.test(l)).length;
      const r0 = performance.now();
      const second = spawnTsx(['bench/upload.ts', '--child', '--db', dbPath, '--server', url], env);
      let firstAck = 0;
      second.proc.stdout!.on('data', () => void (firstAck ||= performance.now()));
      const code = await second.exited;
      const r1 = performance.now();
      if (code !== 0) throw new Error(`resumed upload failed:\n${second.lines.join('\n')}`);
      const { result } = JSON.parse(second.lines.find((l) => l.startsWith('{"result"'))!) as { result: { completed: number; chunksSent: number; chunksHeld: number } };
      if (result.completed !== 1 || result.chunksSent + result.chunksHeld !== chunks) throw new Error(`resume counts wrong: ${JSON.stringify(result)}`);
      const res = await fetch(`${url}/api/v1/recordings/${recordingId}`, { headers: { authorization: `Bearer ${lead}` } });
      if (sha(Buffer.from(await res.arrayBuffer())) !== sha(await recordings.readPlayable(recordingId))) throw new Error('resumed download differs');
      const resume = {
        storage: name,
        chunkKiB: chunkBytes / 1024,
        chunks,
        killedAfterChunks: killedAfter,
        resentChunks: result.chunksSent,
        heldChunks: result.chunksHeld,
        resumeTotalMs: Math.round(r1 - r0),
        restartToFirstChunkMs: Math.round(firstAck - r0),
      };
      (out.resume as unknown[]).push(resume);
      say(
        `${name.padEnd(2)} resume after kill -9 at chunk ${killedAfter}/${chunks}: ${resume.resumeTotalMs} ms to complete (${resume.restartToFirstChunkMs} ms process start → first chunk), sent ${resume.resentChunks}, skipped ${resume.heldChunks} held`,
      );
    } finally {
      store.close();
      server?.proc.kill('SIGTERM');
      await server?.exited;
      await storage.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (values.json) console.log(JSON.stringify(out, null, 2));
}

await (values.child ? child() : main());
