/**
 * The signer fingerprints a lead pinned for bundle imports (console-signers.json in the data dir). A pin is the
 * out-of-band statement "bundles signed by this key come from a workstation I trust"; fingerprints are public, so
 * the file is plain JSON (0600 like everything in the data dir), written atomically.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { normaliseFingerprint, type PinnedSigner } from '../../shared/console';
import { writeFileAtomic } from '../fs/atomic-write';

const FileSchema = z.object({ pinned: z.array(z.object({ fingerprint: z.string(), label: z.string(), addedAt: z.number() })) });

/** The fingerprint as `cases export` prints it: groups of four hex digits joined by colons. */
export const formatFingerprint = (fp: string): string => normaliseFingerprint(fp).replace(/(.{4})(?!$)/g, '$1:');

export class PinnedSigners {
  private list: PinnedSigner[];

  constructor(
    private readonly path: string,
    private readonly now: () => number = Date.now,
  ) {
    this.list = PinnedSigners.read(path);
  }

  private static read(path: string): PinnedSigner[] {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      return [];
    }
    const parsed = FileSchema.safeParse(raw);
    // a damaged file pins nothing rather than something unintended
    return parsed.success ? parsed.data.pinned : [];
  }

  all(): PinnedSigner[] {
    return [...this.list];
  }

  fingerprints(): string[] {
    return this.list.map((p) => p.fingerprint);
  }

  async set(fingerprint: string, pinned: boolean, label = ''): Promise<PinnedSigner[]> {
    const fp = formatFingerprint(fingerprint);
    const rest = this.list.filter((p) => normaliseFingerprint(p.fingerprint) !== normaliseFingerprint(fp));
    const next = pinned ? [...rest, { fingerprint: fp, label, addedAt: this.now() }] : rest;
    await writeFileAtomic(this.path, `${JSON.stringify({ pinned: next }, null, 2)}\n`);
    this.list = next;
    return this.all();
  }
}
