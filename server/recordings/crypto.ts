/**
 * Recordings at rest on the server: the approach of reference photos (server/reference-photos/crypto.ts) —
 * AES-256-GCM under a key derived from the server key, associated data binding what the bytes are — with one
 * more level, because a recording is many objects in storage the database does not control:
 *
 *   server key ──HKDF("veridesk/recording/key-wrap/v1")──▶ KEK
 *   KEK wraps a random 256-bit key per recording (recordings.wrapped_key, AAD = the recording id)
 *   that key seals every object of the recording (AAD = recording id + which part it is)
 *
 * Retention sets wrapped_key to NULL before it deletes the objects (crypto-shredding, DESIGN.md §7): an object
 * storage kept anyway (S3 versioning, a replica, a backup) can no longer be read. The AAD means an object
 * moved to another recording or another seq fails to open, so storage (or whoever can write to it) cannot
 * reorder or swap chunks unnoticed.
 *
 * Server key: VERIDESK_SERVER_KEY (64 hex, the same one reference photos use), else a key file
 * (`<data dir>/recording.key`, created 0600 on first use). Sealed format: 0x01 ‖ 12-byte IV ‖ ciphertext ‖ tag.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { loadOrCreateKeyFile, parseServerKey, type KeySourceOptions } from '../reference-photos/crypto';

const VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Bytes a sealed object adds to its plaintext. */
export const SEAL_OVERHEAD = 1 + IV_BYTES + TAG_BYTES;

export interface RecordingKeys {
  /** Wraps and unwraps the per-recording keys. */
  readonly kek: Buffer;
}

/** Thrown when a stored object or wrapped key does not authenticate (wrong key, altered or moved). */
export class RecordingDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordingDecryptError';
  }
}

export function deriveRecordingKeys(serverKey: Buffer): RecordingKeys {
  if (serverKey.length !== 32) throw new Error('the server key must be 32 bytes');
  return { kek: Buffer.from(hkdfSync('sha256', serverKey, Buffer.alloc(0), 'veridesk/recording/key-wrap/v1', 32)) };
}

/** Resolves the keys on first use, as reference photos do; a malformed VERIDESK_SERVER_KEY throws at once. */
export function recordingKeySource(options: KeySourceOptions): () => RecordingKeys {
  let cached: RecordingKeys | null = options.serverKeyHex ? deriveRecordingKeys(parseServerKey(options.serverKeyHex, 'VERIDESK_SERVER_KEY')) : null;
  return () => {
    cached ??= deriveRecordingKeys(loadOrCreateKeyFile(options.keyFile, options.onKeyFile));
    return cached;
  };
}

function seal(key: Buffer, aad: Buffer, plaintext: Uint8Array): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(VERSION), iv, body, cipher.getAuthTag()]);
}

function open(key: Buffer, aad: Buffer, sealed: Uint8Array, what: string): Buffer {
  const blob = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (blob.length < SEAL_OVERHEAD || blob[0] !== VERSION) throw new RecordingDecryptError(`${what} has an unknown format`);
  const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(1, 1 + IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(blob.subarray(1 + IV_BYTES, blob.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new RecordingDecryptError(`${what} does not authenticate (wrong server key, or it was altered or moved)`);
  }
}

// Recording ids never contain a newline (RECORDING_ID_PATTERN), so these encodings are unambiguous.
const keyAad = (recordingId: string) => Buffer.from(`veridesk.recording-key.v1\n${recordingId}`, 'utf8');
export type RecordingPart = { kind: 'chunk'; seq: number } | { kind: 'seekHeader' };
const partAad = (recordingId: string, part: RecordingPart) =>
  Buffer.from(`veridesk.recording.v1\n${recordingId}\n${part.kind === 'chunk' ? `chunk\n${part.seq}` : 'seek-header'}`, 'utf8');

/** A fresh key for a new recording, and its wrapped form for the row. */
export function newRecordingKey(keys: RecordingKeys, recordingId: string): { key: Buffer; wrapped: Buffer } {
  const key = randomBytes(32);
  return { key, wrapped: seal(keys.kek, keyAad(recordingId), key) };
}

export function unwrapRecordingKey(keys: RecordingKeys, recordingId: string, wrapped: Uint8Array): Buffer {
  return open(keys.kek, keyAad(recordingId), wrapped, `the key of recording ${recordingId}`);
}

export const sealPart = (key: Buffer, recordingId: string, part: RecordingPart, plaintext: Uint8Array): Buffer => seal(key, partAad(recordingId, part), plaintext);

export function openPart(key: Buffer, recordingId: string, part: RecordingPart, sealed: Uint8Array): Buffer {
  return open(key, partAad(recordingId, part), sealed, `recording ${recordingId} ${part.kind === 'chunk' ? `chunk ${part.seq}` : 'seek header'}`);
}
