/**
 * Shared fixtures of the recording upload tests: a backend (PGlite in memory, filesystem or s3rver storage)
 * listening on loopback, workstations with their own case logs, tokens and recordings, synced up.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import S3rver from 's3rver';
import { buildServer, type ServerOptions } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import { openPglite, type ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import { openStorage, type RecordingStorage, type StorageConfig } from '../../../server/recordings/storage';
import { FileKeyProvider } from '../../../src/main/caselog/key-provider';
import { CaseStore } from '../../../src/main/caselog/store';
import { silentLogger } from '../../../src/main/log/logger';
import { RecordingService } from '../../../src/main/recording/recording-service';
import { LocalRecordingSource } from '../../../src/main/upload/recording-source';
import { SyncClient } from '../../../src/main/sync/sync-client';

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface StorageFixture {
  name: 'filesystem' | 'S3 (s3rver)';
  config: StorageConfig;
  stop(): Promise<void>;
}

/** The filesystem store in a temp dir. */
export function fsStorage(): StorageFixture {
  const { dir, cleanup } = tempDir('vd-recstore-');
  return { name: 'filesystem', config: { kind: 'fs', dir }, stop: async () => cleanup() };
}

/** An S3-protocol server (s3rver) on loopback, its data in a temp dir, with the bucket made. */
export async function s3Storage(): Promise<StorageFixture> {
  const { dir, cleanup } = tempDir('vd-s3rver-');
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: 'veridesk-recordings' }] });
  const { port } = await server.run();
  return {
    name: 'S3 (s3rver)',
    config: {
      kind: 's3',
      bucket: 'veridesk-recordings',
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      prefix: 'rec/',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    },
    stop: async () => {
      await server.close();
      cleanup();
    },
  };
}

export const storageFixtures: { name: StorageFixture['name']; make: () => Promise<StorageFixture> }[] = [
  { name: 'filesystem', make: async () => fsStorage() },
  { name: 'S3 (s3rver)', make: s3Storage },
];

export interface Backend {
  db: ServerDb;
  app: FastifyInstance;
  url: string;
  storage: RecordingStorage;
  lead: string;
  close(): Promise<void>;
}

export const SERVER_KEY_HEX = 'ab'.repeat(32);

/** A migrated PGlite, the app on 127.0.0.1, a lead token. `storage` is opened here so tests can look inside it. */
export async function startBackend(
  storage: StorageConfig | RecordingStorage,
  extra: Partial<ServerOptions> & { recordings?: ServerOptions['recordings'] } = {},
  openDb: () => Promise<ServerDb> = () => openPglite(),
): Promise<Backend> {
  const db = await openDb();
  await migrateServer(db);
  const store = 'put' in storage ? storage : openStorage(storage);
  const app = await buildServer({ db, logger: silentLogger, rateLimit: false, ...extra, recordings: { serverKeyHex: SERVER_KEY_HEX, ...extra.recordings, storage: store } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const lead = await createToken(db, `lead-${randomBytes(3).toString('hex')}`, 'lead');
  return {
    db,
    app,
    url: `http://127.0.0.1:${port}`,
    storage: store,
    lead,
    close: async () => {
      await app.close();
      await store.close();
      await db.close();
    },
  };
}

export interface Workstation {
  dir: string;
  dbPath: string;
  store: CaseStore;
  recordings: RecordingService;
  source: LocalRecordingSource;
  token: string;
  close(): void;
}

/**
 * A workstation: its case log (key in a file beside it, so a child process can open it too) and a token named
 * after its workstation id (the server checks the signed checkpoints against it).
 */
export async function newWorkstation(db: ServerDb, now?: () => number): Promise<Workstation> {
  const { dir, cleanup } = tempDir('vd-upws-');
  const dbPath = join(dir, 'cases.db');
  const store = CaseStore.open({ path: dbPath, keyProvider: new FileKeyProvider(`${dbPath}.key`), now });
  const recordings = new RecordingService({ store, log: silentLogger, now });
  const token = await createToken(db, store.workstationId);
  return {
    dir,
    dbPath,
    store,
    recordings,
    source: new LocalRecordingSource(store, recordings),
    token,
    close: () => {
      store.close();
      cleanup();
    },
  };
}

/** A sealed recording of `chunks` on a new case of `ws`. */
export function record(ws: Workstation, chunks: readonly Buffer[], track: 'customer' | 'agent' = 'customer'): { recordingId: string; caseId: string } {
  const caseId = ws.store.openCase({ agentId: 'agent-7', serviceType: 'transact' }).caseId;
  const { recordingId } = ws.recordings.start({ caseId, callId: `call-${randomBytes(4).toString('hex')}`, track, mimeType: 'video/webm;codecs=vp8,opus', startedAt: Date.now(), actor: 'agent-7' });
  chunks.forEach((c, seq) => ws.recordings.appendChunk(recordingId, seq, c));
  ws.recordings.stopSync(recordingId);
  return { recordingId, caseId };
}

/** Random chunks (not WebM: the recording is sealed not seekable) of the sizes given. */
export const randomChunks = (sizes: readonly number[]): Buffer[] => sizes.map((n) => randomBytes(n));

/** Pushes the case log to the backend (the server learns the cases and their recording.stopped events). */
export async function syncUp(ws: Workstation, url: string): Promise<void> {
  await new SyncClient({ store: ws.store, serverUrl: url, token: ws.token }).syncOnce();
}

export const auth = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
