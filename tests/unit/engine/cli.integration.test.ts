/** `veridesk compare --pairs` with real models: per-row results, explicit statuses for faceless / broken images. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { registerEngineCommands } from '../../../src/main/cli/engine-commands';
import { modelsPresent } from '../../../src/main/engine/manifest';

const faces = resolve(import.meta.dirname, '../../../../shared/testdata/faces');

describe.skipIf(!modelsPresent())('cli compare --pairs', () => {
  it('prints one JSON result per row and an explicit status for images without a face', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'veridesk-pairs-'));
    await sharp({ create: { width: 200, height: 150, channels: 3, background: '#777777' } }).png().toFile(join(dir, 'blank.png'));
    writeFileSync(join(dir, 'broken.jpg'), 'not a jpeg');
    const a = join(faces, 'identities/barack_obama/01.jpg');
    writeFileSync(
      join(dir, 'pairs.csv'),
      ['a,b,same', `${a},${join(faces, 'identities/barack_obama/02.jpg')},1`, `${a},${join(faces, 'identities/joe_biden/02.jpg')},0`, `${a},blank.png,0`, `broken.jpg,${a},0`].join('\n'),
    );
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    try {
      const program = new Command().exitOverride();
      registerEngineCommands(program);
      await program.parseAsync(['node', 'veridesk', 'compare', '--pairs', join(dir, 'pairs.csv'), '--json']);
    } finally {
      spy.mockRestore();
    }
    const rows = lines.map((l) => JSON.parse(l) as { similarity: number | null; band: string | null; status: string });
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatchObject({ status: 'ok', band: 'match' });
    expect(rows[1]).toMatchObject({ status: 'ok', band: 'mismatch' });
    expect(rows[0]!.similarity!).toBeGreaterThan(rows[1]!.similarity!);
    expect(rows[2]).toMatchObject({ status: 'no_face_b', similarity: null });
    expect(rows[3]).toMatchObject({ status: 'error_corrupt_input', similarity: null });
  });
});
