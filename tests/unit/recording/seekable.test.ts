import { describe, expect, it } from 'vitest';
import { SeekableIndexer } from '../../../src/main/recording/seekable';
import { makeLiveWebm, mediaSkipReason, mediaTitle, splitChunks } from './helpers';

describe('SeekableIndexer', () => {
  it.skipIf(mediaSkipReason)(mediaTitle('gives the same metadata however the stream is cut'), () => {
    const media = makeLiveWebm(3);
    const results = [1, 7, 40].map((perSecond) => {
      const ix = new SeekableIndexer();
      for (const c of splitChunks(media, perSecond)) ix.feed(c);
      return ix.finish();
    });
    expect(results[0]).not.toBeNull();
    expect(results[0]!.cues).toBeGreaterThanOrEqual(2);
    expect(Math.abs(results[0]!.durationMs - 3000)).toBeLessThan(150);
    for (const r of results.slice(1)) {
      expect(r!.replacedBytes).toBe(results[0]!.replacedBytes);
      expect(r!.metadata.equals(results[0]!.metadata)).toBe(true);
    }
    // The replacement starts like any WebM: an EBML header.
    expect(results[0]!.metadata.subarray(0, 4).toString('hex')).toBe('1a45dfa3');
  });

  it('gives up (without buffering the rest) on an element claiming to be huge', () => {
    const ix = new SeekableIndexer();
    // EBML header, Segment and Cluster of unknown size, then a SimpleBlock (0xA3) claiming 4 GiB, then a lot of data.
    ix.feed(Buffer.from('1a45dfa380' + '1853806701ffffffffffffff' + '1f43b67501ffffffffffffff' + 'a3010000010000000000', 'hex'));
    for (let i = 0; i < 30 && !ix.failure; i++) ix.feed(Buffer.alloc(640 * 1024));
    expect(ix.failure).toMatch(/larger than/);
    expect(ix.finish()).toBeNull();
  });

  it('reports why a stream that is not WebM cannot be made seekable', () => {
    const ix = new SeekableIndexer();
    ix.feed(Buffer.from('definitely not a webm stream'));
    ix.feed(Buffer.alloc(64));
    expect(ix.finish()).toBeNull();
    expect(ix.failure).toBeTruthy();
    // Its reason is fit for a log line: no dump of the bytes.
    expect(ix.failure!.length).toBeLessThan(120);
  });
});
