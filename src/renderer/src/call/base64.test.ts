import { describe, expect, it } from 'vitest';
import { bytesToBase64 } from './base64';

/** Reference decoder (atob), so the test needs nothing from Node. */
const decode = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

describe('bytesToBase64', () => {
  it('round-trips, across the chunking boundary', () => {
    for (const size of [0, 1, 2, 3, 0x8000 - 1, 0x8000, 0x8000 * 3 + 7]) {
      const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 131 + 7) & 0xff);
      const encoded = bytesToBase64(bytes);
      expect(encoded).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
      expect(encoded.length).toBe(Math.ceil(size / 3) * 4);
      expect(decode(encoded)).toEqual(bytes);
    }
  });

  it('gives the standard alphabet and padding', () => {
    expect(bytesToBase64(new TextEncoder().encode('VeriDesk'))).toBe('VmVyaURlc2s=');
  });
});
