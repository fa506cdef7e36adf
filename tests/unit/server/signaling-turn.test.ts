import { describe, expect, it } from 'vitest';
import { DEFAULT_TURN_TTL_S, issueIce, parseIceConfig, turnCredential, type IceConfig } from '../../../server/turn/credentials';
import { IceServerSchema } from '../../../src/shared/signaling';

// Computed outside this code base, with:
//   printf '%s' '1735689600:AbCdEfGhIjKlMnOpQrStUv' | openssl dgst -sha1 -hmac 'coturn-shared-secret' -binary | base64
const OPENSSL_VECTOR = { secret: 'coturn-shared-secret', username: '1735689600:AbCdEfGhIjKlMnOpQrStUv', credential: 'TyorNN1Tsbz87gRXM7G9NAxv5rE=' };

const config: IceConfig = {
  turnUrls: ['turn:127.0.0.1:3478?transport=udp', 'turns:turn.example.test:5349?transport=tcp'],
  turnSecret: OPENSSL_VECTOR.secret,
  turnTtlS: 3600,
  stunUrls: ['stun:127.0.0.1:3478'],
  iceTransportPolicy: 'relay',
};

describe('signaling TURN REST credentials (coturn use-auth-secret)', () => {
  it('credential = base64(HMAC-SHA1(secret, username)) matches a value computed by openssl', () => {
    expect(turnCredential(OPENSSL_VECTOR.secret, OPENSSL_VECTOR.username)).toBe(OPENSSL_VECTOR.credential);
    expect(turnCredential('another-secret', OPENSSL_VECTOR.username)).not.toBe(OPENSSL_VECTOR.credential);
  });

  it('issues username "<expiry s>:<room>" with the TTL, STUN without credentials, and the configured policy', () => {
    const now = 1_735_686_000_000; // expiry = now + 3600 s = 1735689600 s, the openssl vector's timestamp
    const ice = issueIce(config, 'AbCdEfGhIjKlMnOpQrStUv', now, now + 4 * 3600_000);
    expect(ice.iceExpiresAt).toBe(now + 3600_000);
    expect(ice.iceTransportPolicy).toBe('relay');
    expect(ice.iceServers).toEqual([
      { urls: ['stun:127.0.0.1:3478'] },
      { urls: config.turnUrls, username: OPENSSL_VECTOR.username, credential: OPENSSL_VECTOR.credential },
    ]);
    for (const s of ice.iceServers) expect(IceServerSchema.safeParse(s).success).toBe(true);
  });

  it('never issues TURN credentials that outlive the room', () => {
    const now = 1_735_686_000_000;
    const ice = issueIce(config, 'AbCdEfGhIjKlMnOpQrStUv', now, now + 600_000);
    expect(ice.iceExpiresAt).toBe(now + 600_000);
    expect(ice.iceServers[1]?.username).toBe(`${(now + 600_000) / 1000}:AbCdEfGhIjKlMnOpQrStUv`);
  });

  it('with no ICE configuration hands out no servers (loopback) and reports the room expiry', () => {
    const ice = issueIce(parseIceConfig({}), 'AbCdEfGhIjKlMnOpQrStUv', 1000, 5000);
    expect(ice).toEqual({ iceServers: [], iceTransportPolicy: 'all', iceExpiresAt: 5000 });
  });

  it('parses the environment and refuses configurations that could not connect a call', () => {
    expect(
      parseIceConfig({
        VERIDESK_TURN_URLS: 'turn:127.0.0.1:3478?transport=udp, turn:127.0.0.1:3478?transport=tcp',
        VERIDESK_TURN_SECRET: 's3cret',
        VERIDESK_STUN_URLS: 'stun:127.0.0.1:3478',
        VERIDESK_ICE_TRANSPORT_POLICY: 'relay',
      }),
    ).toEqual({
      turnUrls: ['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp'],
      turnSecret: 's3cret',
      turnTtlS: DEFAULT_TURN_TTL_S,
      stunUrls: ['stun:127.0.0.1:3478'],
      iceTransportPolicy: 'relay',
    });
    expect(parseIceConfig({ VERIDESK_TURN_URLS: 'turn:x', VERIDESK_TURN_SECRET: 's', VERIDESK_TURN_TTL_S: '7200' }).turnTtlS).toBe(7200);
    const bad: [Record<string, string>, RegExp][] = [
      [{ VERIDESK_TURN_URLS: 'turn:x' }, /VERIDESK_TURN_SECRET/],
      [{ VERIDESK_TURN_SECRET: 's' }, /VERIDESK_TURN_URLS/],
      [{ VERIDESK_TURN_URLS: 'http://x', VERIDESK_TURN_SECRET: 's' }, /not a turn/],
      [{ VERIDESK_STUN_URLS: 'turn:x' }, /not a stun/],
      [{ VERIDESK_ICE_TRANSPORT_POLICY: 'relay' }, /needs VERIDESK_TURN_URLS/],
      [{ VERIDESK_ICE_TRANSPORT_POLICY: 'none' }, /all or relay/],
      [{ VERIDESK_TURN_URLS: 'turn:x', VERIDESK_TURN_SECRET: 's', VERIDESK_TURN_TTL_S: '10' }, /VERIDESK_TURN_TTL_S/],
    ];
    for (const [env, message] of bad) expect(() => parseIceConfig(env), JSON.stringify(env)).toThrow(message);
  });
});
