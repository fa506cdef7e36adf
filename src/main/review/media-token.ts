/**
 * Tokens that let a <video> element fetch one recording (issue 11 item 2). A media element cannot send the host's
 * launch secret (no headers, no subprotocol), so main mints, in `cases.recordings`, a short-lived token bound to
 * one recording id: an HMAC under a key made at each launch over (recording id, expiry). Nothing is stored: a
 * restart invalidates every token, and a token for one recording opens no other.
 *
 *   token = <expiry, ms since epoch, base36> "." <base64url HMAC-SHA256(key, <label> "\0" id "\0" expiry)>
 *
 * The label (default "vd-media", the case page's local recordings) names what a token opens: the console's
 * backend recordings use "vd-backend-media" under the same key, so a token minted for one route opens nothing
 * on the other even for the same id.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type TokenCheck = 'ok' | 'missing' | 'malformed' | 'expired' | 'invalid';

const TOKEN = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/;

export class MediaTokens {
  private readonly key: Buffer;
  private readonly now: () => number;
  private readonly label: string;

  constructor(options: { key?: Buffer; now?: () => number; label?: string } = {}) {
    this.key = options.key ?? randomBytes(32);
    this.now = options.now ?? Date.now;
    this.label = options.label ?? 'vd-media';
    if (this.label.includes('\0')) throw new Error('a media token label cannot contain NUL');
  }

  /** Tokens under the same key with another label: the two kinds cannot stand in for each other. */
  withLabel(label: string): MediaTokens {
    return new MediaTokens({ key: this.key, now: this.now, label });
  }

  mint(recordingId: string, ttlMs: number): { token: string; expiresAt: number } {
    const expiresAt = Math.floor(this.now() + ttlMs);
    const stamp = expiresAt.toString(36);
    return { token: `${stamp}.${this.mac(recordingId, stamp).toString('base64url')}`, expiresAt };
  }

  check(recordingId: string, token: string | null | undefined): TokenCheck {
    if (!token) return 'missing';
    const match = TOKEN.exec(token);
    if (!match) return 'malformed';
    const [, stamp = '', mac = ''] = match;
    // compared as text: base64url's last character carries spare bits, so decoding would accept other spellings
    const given = Buffer.from(mac, 'ascii');
    const expected = Buffer.from(this.mac(recordingId, stamp).toString('base64url'), 'ascii');
    // the MAC first (constant time), so a forged expiry tells nothing about the key
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return parseInt(stamp, 36) > this.now() ? 'ok' : 'expired';
  }

  private mac(recordingId: string, stamp: string): Buffer {
    return createHmac('sha256', this.key).update(`${this.label}\0${recordingId}\0${stamp}`).digest();
  }
}
