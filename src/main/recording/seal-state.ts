import { createHash, type Hash } from 'node:crypto';
import { SeekableIndexer } from './seekable';

/**
 * What sealing a recording needs, accumulated chunk by chunk in seq order: counts, the sha256 of the
 * whole plaintext, the sha256 over the list of chunk digests (32 raw bytes each, in seq order) and the
 * seekable index. The writer feeds it as chunks arrive, so stop() does not re-read the file; recovery
 * feeds it from the file (node's Hash state cannot be persisted, so a crash means one re-read).
 */
export class SealState {
  chunks = 0;
  bytes = 0;
  lastDigest: string | null = null;
  readonly indexer = new SeekableIndexer();
  private readonly whole: Hash = createHash('sha256');
  private readonly list: Hash = createHash('sha256');

  add(plaintext: Uint8Array, digestHex: string): void {
    this.whole.update(plaintext);
    this.list.update(Buffer.from(digestHex, 'hex'));
    this.indexer.feed(plaintext);
    this.chunks++;
    this.bytes += plaintext.length;
    this.lastDigest = digestHex;
  }

  /** The digests so far (copies: the state can keep growing). */
  digests(): { sha256: string; chunkListSha256: string } {
    return { sha256: this.whole.copy().digest('hex'), chunkListSha256: this.list.copy().digest('hex') };
  }
}
