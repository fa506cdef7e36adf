import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { AppFailure } from '../../shared/errors';
import { checkHeader, FRAME_PREFIX, headerLength, openRecord, parseFrame, RECORD_KINDS, type RecordFrame } from './file-format';

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A committed chunk as the database indexes it. */
export interface ChunkIndex {
  seq: number;
  offset: number;
  length: number;
  sha256: string;
}

/**
 * 'torn': the file ends inside the record (what a crash leaves). 'bad': the bytes are there but cannot be a
 * record (damage, or the zeros some filesystems leave after a power loss — only ever past the last row).
 */
export type RawRecord = { status: 'ok'; frame: RecordFrame; record: Buffer } | { status: 'end' } | { status: 'torn'; why: string } | { status: 'bad'; why: string };

/**
 * Reads records of one `.vdrs` file, one at a time (memory: one record). Two modes:
 * - indexed (`readChunk`): follows the database rows and verifies each record against its row;
 * - scanning (`scan`): walks the file from the header for recovery, trusting nothing but the AAD.
 */
export class RecordFile {
  private fd: number | null;
  readonly size: number;

  constructor(
    readonly path: string,
    readonly recordingId: string,
  ) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }

  /** The header's own check; a damaged header means this is not this recording's file. */
  checkHeader(): string | null {
    const want = headerLength(this.recordingId);
    return checkHeader(this.bytes(0, Math.min(want, this.size)), this.recordingId);
  }

  get dataStart(): number {
    return headerLength(this.recordingId);
  }

  private bytes(offset: number, length: number): Buffer {
    if (this.fd === null) throw new Error('recording file is closed');
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, out, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return done === length ? out : out.subarray(0, done);
  }

  /** The record starting at `offset`: complete, the clean end of the file, or torn (cut off or unparseable). */
  at(offset: number): RawRecord {
    if (offset >= this.size) return { status: 'end' };
    if (offset + FRAME_PREFIX > this.size) return { status: 'torn', why: 'the file ends inside a record header' };
    const frame = parseFrame(this.bytes(offset, FRAME_PREFIX));
    if (!frame) return { status: 'bad', why: 'invalid record length' };
    if (offset + frame.length > this.size) return { status: 'torn', why: 'the file ends inside a record' };
    return { status: 'ok', frame, record: this.bytes(offset, frame.length) };
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * Reads and verifies the chunk a row points at. Returns null when the file ends inside it (a torn
 * tail: everything before it is still good). Throws CORRUPT_INPUT naming the seq when the bytes are
 * all there but are not what was recorded: tampered, damaged, moved or reordered.
 */
export function readChunk(file: RecordFile, key: Buffer, row: ChunkIndex): Buffer | null {
  const bad = (why: string) => new AppFailure('CORRUPT_INPUT', `recording ${file.recordingId}: chunk seq ${row.seq} ${why}`);
  if (row.offset + row.length > file.size) return null;
  const raw = file.at(row.offset);
  if (raw.status !== 'ok') throw bad(raw.status === 'end' ? 'is missing' : `is damaged (${raw.why})`);
  if (raw.frame.length !== row.length) throw bad(`has length ${raw.frame.length}, the index records ${row.length}`);
  const plain = openRecord(key, file.recordingId, RECORD_KINDS.chunk, row.seq, raw.record);
  if (!plain) throw bad('failed authentication (tampered, damaged or not from this recording and position)');
  if (sha256Hex(plain) !== row.sha256) throw bad('does not match its recorded sha256');
  return plain;
}

export type ScanItem =
  | { status: 'chunk'; seq: number; offset: number; length: number; plaintext: Buffer }
  | { status: 'seekHeader'; offset: number }
  /** Where valid records stop: the clean end, a torn tail, or a complete record that is not the next chunk. */
  | { status: 'stop'; offset: number; reason: 'end' | 'torn' | 'invalid'; why?: string };

/** Walks records from `offset` expecting chunk `seq`, `seq + 1`, …; stops at the first one that is not valid. */
export function* scan(file: RecordFile, key: Buffer, offset: number, seq: number): Generator<ScanItem> {
  for (;;) {
    const raw = file.at(offset);
    if (raw.status === 'end') return yield { status: 'stop', offset, reason: 'end' };
    if (raw.status === 'torn') return yield { status: 'stop', offset, reason: 'torn', why: raw.why };
    if (raw.status === 'bad') return yield { status: 'stop', offset, reason: 'invalid', why: raw.why };
    if (raw.frame.kind === RECORD_KINDS.seekHeader) {
      yield { status: 'seekHeader', offset };
      offset += raw.frame.length;
      continue;
    }
    const plaintext = openRecord(key, file.recordingId, RECORD_KINDS.chunk, seq, raw.record);
    if (!plaintext) return yield { status: 'stop', offset, reason: 'invalid', why: `record at ${offset} is not a valid chunk seq ${seq}` };
    yield { status: 'chunk', seq, offset, length: raw.frame.length, plaintext };
    offset += raw.frame.length;
    seq++;
  }
}
