import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { encodeHeader, sealRecord, type RecordKind } from './file-format';
import type { RecordingFileOps } from './file-ops';

/**
 * Appends sealed records to one `.vdrs` file. Every append is written and fsynced before it returns,
 * so the caller may then commit the chunk's row: a row always points at durable bytes.
 * A failed append is rolled back (truncated to where it started) so the file never keeps a torn record
 * that a later append would bury; if even the truncate fails, readers still ignore it (they follow the rows).
 */
export class ChunkWriter {
  private constructor(
    private readonly ops: RecordingFileOps,
    private fd: number | null,
    readonly path: string,
    private readonly recordingId: string,
    private readonly key: Buffer,
    private endOffset: number,
  ) {}

  /** Creates the file with its header (never overwrites one) and makes its directory entry durable. */
  static create(ops: RecordingFileOps, path: string, recordingId: string, key: Buffer): ChunkWriter {
    mkdirSync(dirname(path), { recursive: true });
    const fd = ops.open(path, 'wx');
    const header = encodeHeader(recordingId);
    try {
      ops.write(fd, header, 0);
      ops.fsync(fd);
      ops.syncDir(dirname(path));
    } catch (error) {
      try {
        ops.close(fd);
      } catch {
        // already failing; the orphan is removed below
      }
      rmSync(path, { force: true });
      throw error;
    }
    return new ChunkWriter(ops, fd, path, recordingId, key, header.length);
  }

  /** Reopens an existing file to append after `endOffset` (recovery), dropping whatever lies beyond it. */
  static reopen(ops: RecordingFileOps, path: string, recordingId: string, key: Buffer, endOffset: number): ChunkWriter {
    const fd = ops.open(path, 'r+');
    try {
      ops.truncate(fd, endOffset);
      ops.fsync(fd);
    } catch (error) {
      ops.close(fd);
      throw error;
    }
    return new ChunkWriter(ops, fd, path, recordingId, key, endOffset);
  }

  /** Where the next record will start: the end of the last durable record. */
  get end(): number {
    return this.endOffset;
  }

  append(kind: RecordKind, seq: number, plaintext: Uint8Array): { offset: number; length: number } {
    if (this.fd === null) throw new Error('recording file is closed');
    const record = sealRecord(this.key, this.recordingId, kind, seq, plaintext);
    const offset = this.endOffset;
    try {
      this.ops.write(this.fd, record, offset);
      this.ops.fsync(this.fd);
    } catch (error) {
      this.rollback(offset);
      throw error;
    }
    this.endOffset = offset + record.length;
    return { offset, length: record.length };
  }

  /** Drops everything from `offset` on: a failed append, or a durable record whose row could not be committed. */
  rollback(offset: number): void {
    this.endOffset = offset;
    if (this.fd === null) return;
    try {
      this.ops.truncate(this.fd, offset);
      this.ops.fsync(this.fd);
    } catch {
      // Best effort: the bytes beyond the last row are an ignored tail for readers and recovery.
    }
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    this.ops.close(fd);
  }
}
