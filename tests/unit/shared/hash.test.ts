import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nobleHashes } from '../../../src/common/hash';
import { nodeHashes } from '../../../src/common/node-hash';

describe('the two hash implementations give the same bytes', () => {
  it('sha256 and HMAC-SHA256 over text (including non-ASCII) and bytes', () => {
    const key = randomBytes(32);
    const inputs: (string | Uint8Array)[] = ['', 'veridesk', '{"v":"veridesk-event/1","名字":"张三"}', 'x'.repeat(10_000), randomBytes(777)];
    for (const input of inputs) {
      expect(nobleHashes.sha256Hex(input)).toBe(nodeHashes.sha256Hex(input));
      expect(nobleHashes.hmacSha256Hex(key, input)).toBe(nodeHashes.hmacSha256Hex(key, input));
    }
    // a known vector, so both cannot be wrong together
    expect(nobleHashes.sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
