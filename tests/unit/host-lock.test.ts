/** The headless host's locks, pure parts: the Host allow-list and the launch secret on the WebSocket. */
import { describe, expect, it } from 'vitest';
import { allowedHosts, allowedOrigins, hostAllowed, newLaunchSecret, secretPresented } from '../../src/main/host/host-lock';

describe('host lock', () => {
  it('answers only to the loopback names on its own port (and an explicit --host name)', () => {
    const hosts = allowedHosts(5180);
    for (const ok of ['127.0.0.1:5180', 'localhost:5180', 'LOCALHOST:5180', '[::1]:5180']) expect(hostAllowed(ok, hosts)).toBe(true);
    for (const bad of ['evil.example:5180', '127.0.0.1:5181', '127.0.0.1', 'localhost.evil.example:5180', undefined]) expect(hostAllowed(bad, hosts)).toBe(false);
    expect(hostAllowed('10.0.0.5:5180', allowedHosts(5180, '10.0.0.5'))).toBe(true);
    expect(hostAllowed('[fd00::1]:5180', allowedHosts(5180, 'fd00::1'))).toBe(true);
    expect(allowedOrigins(hosts).has('http://127.0.0.1:5180')).toBe(true);
  });

  it('requires this launch\'s secret among the subprotocols', () => {
    const secret = newLaunchSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(newLaunchSecret()).not.toBe(secret);
    expect(secretPresented(`veridesk.v1, k.${secret}`, secret)).toBe(true);
    expect(secretPresented(['veridesk.v1', `k.${secret}`], secret)).toBe(true);
    expect(secretPresented('veridesk.v1', secret)).toBe(false);
    expect(secretPresented(undefined, secret)).toBe(false);
    // one character changed — to another character for sure (a secret ending in 'x' once made this the secret itself)
    const tampered = `${secret.slice(0, -1)}${secret.endsWith('x') ? 'y' : 'x'}`;
    expect(tampered).not.toBe(secret);
    expect(secretPresented(`k.${tampered}`, secret)).toBe(false);
    expect(secretPresented(`k.${secret}extra`, secret)).toBe(false);
  });
});
