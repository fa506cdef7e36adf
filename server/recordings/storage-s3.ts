/**
 * Recording objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, s3rver in tests): one object per key,
 * under an optional key prefix. PutObject is atomic and durable once answered, so nothing more is needed
 * for a put to be safe.
 *
 * Checksums: the SDK's newer default sends flexible checksums with aws-chunked bodies, which many
 * S3-compatible servers do not understand; they are asked for only when an operation requires them
 * (DeleteObjects' MD5). Integrity does not depend on them: every object is AES-GCM sealed and each chunk's
 * sha256 is checked on read (crypto.ts, playable.ts).
 */
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { checkKey, checkPrefix } from './object-keys';
import type { RecordingStorage } from './storage';

export interface S3StorageConfig {
  bucket: string;
  /** e.g. http://127.0.0.1:9000; unset = AWS. */
  endpoint?: string;
  region?: string;
  /** Prepended to every key (e.g. `recordings/`), for a bucket shared with other data. */
  prefix?: string;
  /** Path-style URLs (`endpoint/bucket/key`): local servers have no per-bucket host names. */
  forcePathStyle?: boolean;
  /** Unset: the SDK's default chain (AWS_ACCESS_KEY_ID …, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

const DELETE_BATCH = 1000;

export class S3Storage implements RecordingStorage {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(config: S3StorageConfig) {
    this.bucket = config.bucket;
    this.prefix = config.prefix ?? '';
    this.client = new S3Client({
      region: config.region ?? 'us-east-1',
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      forcePathStyle: config.forcePathStyle ?? config.endpoint !== undefined,
      ...(config.credentials ? { credentials: config.credentials } : {}),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private full(key: string): string {
    return this.prefix + key;
  }

  async put(key: string, data: Buffer): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.full(checkKey(key)), Body: data, ContentType: 'application/octet-stream', ContentLength: data.length }));
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.full(checkKey(key)) }));
      if (!out.Body) return Buffer.alloc(0);
      return Buffer.from(await out.Body.transformToByteArray());
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) return null;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.full(checkPrefix(prefix)), ContinuationToken: token }));
      for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key.slice(this.prefix.length));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH).map((k) => ({ Key: this.full(checkKey(k)) }));
      const out = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch, Quiet: true } }));
      const failed = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) throw new Error(`S3 refused to delete ${failed.length} object(s): ${failed[0]?.Code ?? 'error'}`);
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    await this.delete(await this.list(prefix));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
