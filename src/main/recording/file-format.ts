import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The `.vdrs` recording file (docs/recording.md):
 *
 *   header  "VDRS" | u8 version | u8 0 | u16be id length | recordingId (ASCII)
 *   record  u32be body length | u8 kind | u32be seq | 12-byte IV | ciphertext | 16-byte GCM tag
 *
 * Each record is sealed on its own (AES-256-GCM, fresh random IV) so a crash at any byte leaves every
 * earlier record decryptable; only the torn tail is lost. The AAD binds recordingId, kind and seq, so a
 * record cannot be reordered, replayed under another seq, or moved into another recording's file.
 * The plaintext kind and seq in the frame only help scanning; the AAD is what makes them trustworthy.
 */
export const FILE_MAGIC = Buffer.from('VDRS', 'ascii');
export const FORMAT_VERSION = 1;
export const FORMAT_NAME = 'vdrs1';

export const RECORD_KINDS = { chunk: 1, seekHeader: 2 } as const;
export type RecordKind = (typeof RECORD_KINDS)[keyof typeof RECORD_KINDS];

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** length prefix + kind + seq + IV + tag */
export const RECORD_OVERHEAD = 4 + 1 + 4 + IV_BYTES + TAG_BYTES;
/** Bodies longer than this are a torn or damaged length prefix, not a record (a chunk is ≤ 640 KiB, a seek header a few KiB). */
export const MAX_RECORD_BODY = 16 * 1024 * 1024;

export function encodeHeader(recordingId: string): Buffer {
  const id = Buffer.from(recordingId, 'ascii');
  const out = Buffer.alloc(8 + id.length);
  FILE_MAGIC.copy(out, 0);
  out.writeUInt8(FORMAT_VERSION, 4);
  out.writeUInt16BE(id.length, 6);
  id.copy(out, 8);
  return out;
}

export const headerLength = (recordingId: string): number => 8 + Buffer.byteLength(recordingId, 'ascii');

/** Checks a file's header belongs to this recording; returns a reason when it does not. */
export function checkHeader(bytes: Buffer, recordingId: string): string | null {
  if (bytes.length < 8 || !bytes.subarray(0, 4).equals(FILE_MAGIC)) return 'not a VeriDesk recording file';
  if (bytes.readUInt8(4) !== FORMAT_VERSION) return `unsupported recording format version ${bytes.readUInt8(4)}`;
  const idLength = bytes.readUInt16BE(6);
  if (bytes.length < 8 + idLength || bytes.subarray(8, 8 + idLength).toString('ascii') !== recordingId) return 'the file belongs to another recording';
  return null;
}

const aad = (recordingId: string, kind: RecordKind, seq: number) => Buffer.from(`${FORMAT_NAME}\0${recordingId}\0${kind}\0${seq}`, 'utf8');

/** One framed, encrypted record, ready to append. */
export function sealRecord(key: Buffer, recordingId: string, kind: RecordKind, seq: number, plaintext: Uint8Array): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(recordingId, kind, seq));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const frame = Buffer.alloc(9);
  frame.writeUInt32BE(RECORD_OVERHEAD - 4 + body.length, 0);
  frame.writeUInt8(kind, 4);
  frame.writeUInt32BE(seq, 5);
  return Buffer.concat([frame, iv, body, cipher.getAuthTag()]);
}

/** The fixed part of a record, read before its body: 9 bytes. */
export const FRAME_PREFIX = 9;

export interface RecordFrame {
  /** Whole record length, prefix included. */
  length: number;
  kind: number;
  seq: number;
}

/** Parses the 9-byte prefix; null when the length cannot be a record (torn or damaged). */
export function parseFrame(prefix: Buffer): RecordFrame | null {
  if (prefix.length < FRAME_PREFIX) return null;
  const body = prefix.readUInt32BE(0);
  if (body < RECORD_OVERHEAD - 4 || body > MAX_RECORD_BODY) return null;
  return { length: body + 4, kind: prefix.readUInt8(4), seq: prefix.readUInt32BE(5) };
}

/** Decrypts a whole record (prefix included); null when it fails authentication for this place. */
export function openRecord(key: Buffer, recordingId: string, kind: RecordKind, seq: number, record: Buffer): Buffer | null {
  const frame = parseFrame(record);
  if (!frame || frame.length !== record.length || frame.kind !== kind || frame.seq !== seq) return null;
  const iv = record.subarray(FRAME_PREFIX, FRAME_PREFIX + IV_BYTES);
  const tag = record.subarray(record.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(aad(recordingId, kind, seq));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(record.subarray(FRAME_PREFIX + IV_BYTES, record.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return null;
  }
}

/** The seek-header record's plaintext: u32be count of original bytes it replaces | seekable WebM metadata. */
export function encodeSeekHeader(replacedBytes: number, metadata: Buffer): Buffer {
  const out = Buffer.alloc(4 + metadata.length);
  out.writeUInt32BE(replacedBytes, 0);
  metadata.copy(out, 4);
  return out;
}

export function decodeSeekHeader(plain: Buffer): { replacedBytes: number; metadata: Buffer } | null {
  if (plain.length < 4) return null;
  return { replacedBytes: plain.readUInt32BE(0), metadata: plain.subarray(4) };
}
