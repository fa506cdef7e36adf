/**
 * Where the server keeps recording objects (docs/recording-upload.md): the filesystem by default, an
 * S3-compatible bucket in production. Objects are already sealed (crypto.ts) when they get here, so a
 * storage backend never sees a clear byte and needs no encryption of its own.
 *
 * Keys are `<recordingId>/<name>`: one "folder" per recording, so retention deletes a recording with one
 * prefix. Every implementation must give back exactly the bytes put, and `null` for a key it does not have.
 */
import { join, resolve } from 'node:path';
import { FsStorage } from './storage-fs';
import { S3Storage, type S3StorageConfig } from './storage-s3';

export interface RecordingStorage {
  readonly kind: 'fs' | 's3';
  /** Stores `data` under `key`, replacing what was there; resolved once the object is durable. */
  put(key: string, data: Buffer): Promise<void>;
  /** The object's bytes, or null when there is none. */
  get(key: string): Promise<Buffer | null>;
  /** Every key under `prefix` (a recording's folder, ending in '/'). */
  list(prefix: string): Promise<string[]>;
  /** Deletes these keys; a key that is not there is no error. */
  delete(keys: readonly string[]): Promise<void>;
  /** Deletes every key under `prefix`. */
  deletePrefix(prefix: string): Promise<void>;
  close(): Promise<void>;
}

export type StorageConfig = { kind: 'fs'; dir: string } | ({ kind: 's3' } & S3StorageConfig);

export function openStorage(config: StorageConfig): RecordingStorage {
  return config.kind === 'fs' ? new FsStorage(config.dir) : new S3Storage(config);
}

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
const falsy = (v: string | undefined) => v !== undefined && /^(0|false|no|off)$/i.test(v.trim());

/**
 * The storage the environment asks for:
 *   VERIDESK_RECORDING_STORAGE   fs (default) | s3
 *   VERIDESK_RECORDING_DIR       fs: the folder (default <VERIDESK_SERVER_DATA or .data/server>/recordings)
 *   VERIDESK_S3_BUCKET (required for s3), VERIDESK_S3_ENDPOINT (e.g. http://127.0.0.1:9000 for MinIO),
 *   VERIDESK_S3_REGION (us-east-1), VERIDESK_S3_PREFIX (key prefix, e.g. recordings/),
 *   VERIDESK_S3_FORCE_PATH_STYLE (default: on when an endpoint is set: local servers have no bucket subdomains),
 *   VERIDESK_S3_ACCESS_KEY_ID + VERIDESK_S3_SECRET_ACCESS_KEY (else the AWS SDK's own chain: AWS_* variables,
 *   instance roles …).
 * A setting that cannot work throws, so the server does not start on it.
 */
export function storageConfigFromEnv(env: NodeJS.ProcessEnv = process.env): StorageConfig {
  const kind = (env.VERIDESK_RECORDING_STORAGE ?? 'fs').trim().toLowerCase();
  if (kind === 'fs' || kind === '') return { kind: 'fs', dir: resolve(env.VERIDESK_RECORDING_DIR ?? join(env.VERIDESK_SERVER_DATA ?? '.data/server', 'recordings')) };
  if (kind !== 's3') throw new Error(`VERIDESK_RECORDING_STORAGE must be fs or s3, got "${kind}"`);
  const bucket = env.VERIDESK_S3_BUCKET?.trim();
  if (!bucket) throw new Error('VERIDESK_RECORDING_STORAGE=s3 needs VERIDESK_S3_BUCKET');
  const endpoint = env.VERIDESK_S3_ENDPOINT?.trim() || undefined;
  const id = env.VERIDESK_S3_ACCESS_KEY_ID?.trim();
  const secret = env.VERIDESK_S3_SECRET_ACCESS_KEY?.trim();
  if (!id !== !secret) throw new Error('set both VERIDESK_S3_ACCESS_KEY_ID and VERIDESK_S3_SECRET_ACCESS_KEY, or neither');
  const pathStyle = env.VERIDESK_S3_FORCE_PATH_STYLE;
  return {
    kind: 's3',
    bucket,
    endpoint,
    region: env.VERIDESK_S3_REGION?.trim() || 'us-east-1',
    prefix: env.VERIDESK_S3_PREFIX?.trim() || undefined,
    forcePathStyle: truthy(pathStyle) || (!falsy(pathStyle) && endpoint !== undefined),
    credentials: id && secret ? { accessKeyId: id, secretAccessKey: secret } : undefined,
  };
}
