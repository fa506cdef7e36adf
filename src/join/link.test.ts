import { describe, expect, it } from 'vitest';
import { parseJoinLink, signalingUrl } from './link';

const room = 'Room_0123456789abcdef';
const token = 'A'.repeat(43);

describe('join link', () => {
  it('reads the room from the path and the token from the fragment', () => {
    expect(parseJoinLink(`/join/${room}`, `#${token}`)).toEqual({ roomId: room, token, hadFragment: true });
    expect(parseJoinLink(`/join/${room}/`, `#token=${token}`)).toEqual({ roomId: room, token, hadFragment: true });
  });

  it('rejects malformed rooms and tokens', () => {
    expect(parseJoinLink('/join/short', `#${token}`).roomId).toBeNull();
    expect(parseJoinLink(`/join/${room}/extra`, '').roomId).toBeNull();
    expect(parseJoinLink(`/other/${room}`, '').roomId).toBeNull();
    expect(parseJoinLink(`/join/${room}`, '#not a token')).toEqual({ roomId: room, token: null, hadFragment: true });
    expect(parseJoinLink(`/join/${room}`, '#%E0%A4%A')).toMatchObject({ token: null, hadFragment: true });
    expect(parseJoinLink(`/join/${room}`, '')).toEqual({ roomId: room, token: null, hadFragment: false });
  });

  it('builds a same-origin ws/wss url', () => {
    expect(signalingUrl({ protocol: 'https:', host: 'bank.example:8443' }, '/api/v1/signal')).toBe('wss://bank.example:8443/api/v1/signal');
    expect(signalingUrl({ protocol: 'http:', host: '127.0.0.1:8787' }, '/api/v1/signal')).toBe('ws://127.0.0.1:8787/api/v1/signal');
  });
});
