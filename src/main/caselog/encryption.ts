import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppFailure } from '../../shared/errors';

/**
 * AES-256-GCM envelope: "VDE1" | 12-byte IV | 16-byte tag | ciphertext.
 * `aad` binds a ciphertext to its place (e.g. the evidence id) so blobs cannot be swapped.
 */
const MAGIC = Buffer.from('VDE1');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER = MAGIC.length + IV_BYTES + TAG_BYTES;

export function encrypt(key: Buffer, plaintext: Buffer, aad = ''): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body]);
}

export function decrypt(key: Buffer, blob: Buffer, aad = ''): Buffer {
  if (blob.length < HEADER || !blob.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new AppFailure('CORRUPT_INPUT', 'encrypted data is not in VeriDesk format (truncated or not encrypted)');
  }
  const iv = blob.subarray(MAGIC.length, MAGIC.length + IV_BYTES);
  const tag = blob.subarray(MAGIC.length + IV_BYTES, HEADER);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(blob.subarray(HEADER)), decipher.final()]);
  } catch {
    throw new AppFailure('CORRUPT_INPUT', 'cannot decrypt: wrong key or the data was tampered with');
  }
}
