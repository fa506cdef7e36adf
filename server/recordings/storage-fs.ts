/**
 * Recording objects as files: `<dir>/<recordingId>/<name>`, mode 0600 in 0700 folders. A put is written
 * to a temp file, fsynced and renamed into place, so a reader (or a crash) never sees half an object; the
 * folder is fsynced too, so an acknowledged chunk survives a power loss.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { checkKey, checkPrefix } from './object-keys';
import type { RecordingStorage } from './storage';

const TMP = /\.tmp-[0-9a-f]{8}$/;

export class FsStorage implements RecordingStorage {
  readonly kind = 'fs' as const;

  constructor(readonly dir: string) {}

  private path(key: string): string {
    const [folder, name] = checkKey(key).split('/') as [string, string];
    return join(this.dir, folder, name);
  }

  async put(key: string, data: Buffer): Promise<void> {
    const path = this.path(key);
    const folder = join(path, '..');
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, path);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    syncDir(folder);
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.path(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const folder = checkPrefix(prefix).slice(0, -1);
    try {
      // a temp file a crash left is not an object (deletePrefix still removes it)
      return (await readdir(join(this.dir, folder))).filter((n) => !TMP.test(n)).sort().map((n) => `${folder}/${n}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) await rm(this.path(key), { force: true });
    for (const folder of new Set(keys.map((k) => k.split('/')[0]!))) {
      // the folder goes with its last object
      await rmdir(join(this.dir, folder)).catch(() => undefined);
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(join(this.dir, checkPrefix(prefix).slice(0, -1)), { recursive: true, force: true });
  }

  async close(): Promise<void> {}
}

/** fsync of a folder: makes the rename durable. Not possible on Windows (EPERM / EISDIR), where it is skipped. */
function syncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* best effort where the platform has no directory fsync */
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
