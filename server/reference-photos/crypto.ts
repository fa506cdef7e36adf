/**
 * Reference photos at rest: AES-256-GCM under a server key, with the customer reference (and the
 * image type) as associated data, so a ciphertext moved to another reference's row fails to decrypt.
 * Rows are keyed by HMAC-SHA256 of the reference, so the table does not reveal references either.
 *
 * The server key is 32 bytes: `VERIDESK_SERVER_KEY` (64 hex characters) or, when that is unset, a
 * key file (`<data dir>/reference-photo.key`, 64 hex characters, created 0600 on first use). The
 * encryption key and the HMAC key are derived from it with HKDF-SHA256 under distinct labels, so
 * one key never serves two algorithms.
 *
 * Sealed format (BYTEA): version 0x01 ‖ 12-byte random IV ‖ ciphertext ‖ 16-byte GCM tag.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ReferencePhotoMime } from './sniff';

const VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_HEX = /^[0-9a-fA-F]{64}$/;

export interface ReferencePhotoKeys {
  /** AES-256-GCM key. */
  readonly enc: Buffer;
  /** HMAC-SHA256 key for row ids. */
  readonly mac: Buffer;
}

/** Thrown when a stored ciphertext does not authenticate (wrong key, tampered or moved row). */
export class ReferencePhotoDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReferencePhotoDecryptError';
  }
}

/** Parses a 64-hex-character server key; throws a message naming `source` (never the value). */
export function parseServerKey(hex: string, source: string): Buffer {
  const trimmed = hex.trim();
  if (!KEY_HEX.test(trimmed)) throw new Error(`${source} must be 64 hex characters (a 256-bit key; e.g. openssl rand -hex 32)`);
  return Buffer.from(trimmed, 'hex');
}

export function deriveKeys(serverKey: Buffer): ReferencePhotoKeys {
  if (serverKey.length !== 32) throw new Error('the server key must be 32 bytes');
  const derive = (label: string) => Buffer.from(hkdfSync('sha256', serverKey, Buffer.alloc(0), label, 32));
  return { enc: derive('veridesk/reference-photo/aes-256-gcm/v1'), mac: derive('veridesk/reference-photo/ref-hmac/v1') };
}

/** The row id for a customer reference: hex HMAC-SHA256 under the derived HMAC key. */
export const customerRefHash = (keys: ReferencePhotoKeys, customerRef: string): string => createHmac('sha256', keys.mac).update(customerRef, 'utf8').digest('hex');

/** References never contain a newline (CUSTOMER_REF_PATTERN), so this encoding is unambiguous. */
const aad = (customerRef: string, mime: ReferencePhotoMime): Buffer => Buffer.from(`veridesk.reference-photo.v1\n${customerRef}\n${mime}`, 'utf8');

export function sealPhoto(keys: ReferencePhotoKeys, customerRef: string, mime: ReferencePhotoMime, plaintext: Uint8Array): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keys.enc, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(customerRef, mime));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(VERSION), iv, body, cipher.getAuthTag()]);
}

export function openPhoto(keys: ReferencePhotoKeys, customerRef: string, mime: ReferencePhotoMime, sealed: Uint8Array): Buffer {
  const blob = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (blob.length < 1 + IV_BYTES + TAG_BYTES || blob[0] !== VERSION) throw new ReferencePhotoDecryptError('stored reference photo has an unknown format');
  const iv = blob.subarray(1, 1 + IV_BYTES);
  const tag = blob.subarray(blob.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', keys.enc, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad(customerRef, mime));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(blob.subarray(1 + IV_BYTES, blob.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new ReferencePhotoDecryptError('stored reference photo does not authenticate (wrong server key, or the row was altered or moved)');
  }
}

export interface KeySourceOptions {
  /** `VERIDESK_SERVER_KEY`: 64 hex characters. Wins over the key file. */
  serverKeyHex?: string;
  /** Used when `serverKeyHex` is unset: read, or created 0600 on first use. */
  keyFile: string;
  /** Told once when the key comes from (or is created in) the key file. */
  onKeyFile?: (event: { path: string; created: boolean; looseMode: boolean }) => void;
}

/**
 * Resolves the keys on first use (a server that never stores a reference photo never writes a key
 * file). A malformed `serverKeyHex` is refused at once, so a bad configuration stops the start.
 */
export function keySource(options: KeySourceOptions): () => ReferencePhotoKeys {
  const fromEnv = options.serverKeyHex ? deriveKeys(parseServerKey(options.serverKeyHex, 'VERIDESK_SERVER_KEY')) : null;
  let cached: ReferencePhotoKeys | null = fromEnv;
  return () => {
    cached ??= deriveKeys(loadOrCreateKeyFile(options.keyFile, options.onKeyFile));
    return cached;
  };
}

/**
 * Reads the key file, or creates it: written in full to a private temp file, then hard-linked into
 * place (atomic, and fails if another process created it first — then that one is read), so no
 * reader ever sees half a key.
 */
export function loadOrCreateKeyFile(path: string, onKeyFile?: KeySourceOptions['onKeyFile']): Buffer {
  const existing = readKeyFile(path);
  if (existing) {
    onKeyFile?.({ path, created: false, looseMode: existing.looseMode });
    return existing.key;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  let linked = false;
  try {
    if (process.platform !== 'win32') chmodSync(tmp, 0o600);
    linkSync(tmp, path);
    linked = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(tmp);
  }
  const created = readKeyFile(path);
  if (!created) throw new Error(`reference-photo key file ${path} could not be created`);
  onKeyFile?.({ path, created: linked, looseMode: created.looseMode });
  return created.key;
}

function readKeyFile(path: string): { key: Buffer; looseMode: boolean } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const key = parseServerKey(text, `the key file ${path}`);
  const looseMode = process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0;
  return { key, looseMode };
}
