import { closeSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { AppFailure, type ErrorCode } from '../../shared/errors';

/**
 * The low-level writes the recorder makes, injectable so tests can fail any of them (ENOSPC, EIO)
 * at a chosen moment. Reads use node:fs directly: they have nothing to inject.
 * All calls are synchronous: a chunk is durable before appendChunk returns (DESIGN.md §10).
 */
export interface RecordingFileOps {
  /** 'wx' creates a new file (never clobbers one), 'r+' reopens an existing one. */
  open(path: string, flags: 'wx' | 'r+'): number;
  /** Writes all of `bytes` at `position`. Positional, so a retry after a failed write overwrites its torn bytes. */
  write(fd: number, bytes: Uint8Array, position: number): void;
  fsync(fd: number): void;
  truncate(fd: number, length: number): void;
  close(fd: number): void;
  /** Makes a new directory entry durable (no-op where directories cannot be opened, e.g. Windows). */
  syncDir(dir: string): void;
}

export const nodeFileOps: RecordingFileOps = {
  open: (path, flags) => openSync(path, flags, 0o600),
  write(fd, bytes, position) {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  },
  fsync: (fd) => fsyncSync(fd),
  truncate: (fd, length) => ftruncateSync(fd, length),
  close: (fd) => closeSync(fd),
  syncDir(dir) {
    let fd: number;
    try {
      fd = openSync(dir, 'r');
    } catch {
      return;
    }
    try {
      fsyncSync(fd);
    } catch {
      // Some platforms refuse fsync on a directory; the file's own fsync still holds its data.
    } finally {
      closeSync(fd);
    }
  },
};

const DISK_FULL_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'SQLITE_FULL']);

/** Maps a write failure to the contract's code: a full disk is something the agent can act on. */
export function ioErrorCode(error: unknown): Extract<ErrorCode, 'DISK_FULL' | 'IO_ERROR'> {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && DISK_FULL_ERRNOS.has(code) ? 'DISK_FULL' : 'IO_ERROR';
}

/** A message safe for logs and the UI: the errno and syscall, never the bytes or the key. */
export function describeIoError(error: unknown): string {
  if (error instanceof AppFailure) return error.message;
  const e = error as { code?: unknown; syscall?: unknown; message?: unknown } | null;
  if (e && typeof e.code === 'string') return `${e.code}${typeof e.syscall === 'string' ? ` (${e.syscall})` : ''}`;
  return e && typeof e.message === 'string' ? e.message : String(error);
}
