/** The media token: bound to one recording, expires, and any change to it (or another launch's key) refuses it. */
import { describe, expect, it } from 'vitest';
import { MediaTokens } from '../../../src/main/review/media-token';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';

describe('media tokens', () => {
  it('opens the recording it was minted for until it expires', () => {
    let now = 1_700_000_000_000;
    const tokens = new MediaTokens({ now: () => now });
    const { token, expiresAt } = tokens.mint(A, 60_000);
    expect(expiresAt).toBe(now + 60_000);
    expect(tokens.check(A, token)).toBe('ok');
    now += 59_999;
    expect(tokens.check(A, token)).toBe('ok');
    now += 1;
    expect(tokens.check(A, token)).toBe('expired');
  });

  it('opens no other recording', () => {
    const tokens = new MediaTokens();
    expect(tokens.check(B, tokens.mint(A, 60_000).token)).toBe('invalid');
  });

  it('refuses a tampered token: a later expiry, a changed MAC, garbage, none', () => {
    let now = 1_700_000_000_000;
    const tokens = new MediaTokens({ now: () => now });
    const { token } = tokens.mint(A, 1000);
    const [stamp, mac] = token.split('.') as [string, string];
    now += 5000;
    // moving the expiry forward does not revive it: the MAC covers the expiry
    const later = (parseInt(stamp, 36) + 3_600_000).toString(36);
    expect(tokens.check(A, `${later}.${mac}`)).toBe('invalid');
    now -= 5000;
    const flipped = `${stamp}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
    expect(tokens.check(A, flipped)).toBe('invalid');
    expect(tokens.check(A, `${token}x`)).toBe('malformed');
    expect(tokens.check(A, 'not-a-token')).toBe('malformed');
    expect(tokens.check(A, '')).toBe('missing');
    expect(tokens.check(A, null)).toBe('missing');
    expect(tokens.check(A, token)).toBe('ok');
  });

  it('is refused after a restart (a new key per launch)', () => {
    const { token } = new MediaTokens().mint(A, 60_000);
    expect(new MediaTokens().check(A, token)).toBe('invalid');
  });
});
