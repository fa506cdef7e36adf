/** The atomic writer: unique temp names (writes in the same millisecond), no temp left behind when a write fails. */
import { mkdtempSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../src/main/fs/atomic-write';

describe('writeFileAtomic', () => {
  it('many writes at once: every one completes, the file holds one of them whole, no temp files remain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vd-atomic-'));
    const path = join(dir, 'x.json');
    const bodies = Array.from({ length: 20 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(10_000) }));
    await Promise.all(bodies.map((b) => writeFileAtomic(path, b)));
    expect(bodies).toContain(readFileSync(path, 'utf8'));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a write that cannot be renamed into place (a directory is in the way) fails and leaves no temp file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vd-atomic-'));
    const path = join(dir, 'taken');
    mkdirSync(path);
    await expect(writeFileAtomic(path, 'data')).rejects.toThrow();
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
