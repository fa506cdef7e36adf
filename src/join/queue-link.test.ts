import { describe, expect, it } from 'vitest';
import { isAcceptableRequestId, isQueuePath, parseQueueLink } from './queue-link';
import { parseJoinLink } from './link';

const secret = 'S'.repeat(43);

describe('queue link /join/q/<requestId>#<secret>', () => {
  it('reads the request id from the path and the secret from the fragment', () => {
    expect(parseQueueLink('/join/q/req_01HZX3V9K2', `#${secret}`)).toEqual({ requestId: 'req_01HZX3V9K2', secret, hadFragment: true });
    expect(parseQueueLink('/join/q/ch-1.req:42/', `#token=${secret}`)).toEqual({ requestId: 'ch-1.req:42', secret, hadFragment: true });
    expect(parseQueueLink('/join/q/r1', '')).toEqual({ requestId: 'r1', secret: null, hadFragment: false });
  });

  it('refuses hostile or malformed request ids', () => {
    for (const path of [
      '/join/q/',
      '/join/q/.',
      '/join/q/..',
      '/join/q/%2E%2E',
      '/join/q/a%2Fb',
      '/join/q/a/b',
      '/join/q/..%2F..%2Fapi%2Fv1%2Flead',
      '/join/q/%3Cscript%3E',
      '/join/q/has%20space',
      `/join/q/${'x'.repeat(65)}`,
      '/join/qr1',
    ]) {
      expect(parseQueueLink(path, `#${secret}`).requestId, path).toBeNull();
    }
    expect(isAcceptableRequestId('x'.repeat(64))).toBe(true);
    expect(isAcceptableRequestId('..')).toBe(false);
  });

  it('refuses a malformed secret but still notes the fragment so the address bar is cleaned', () => {
    expect(parseQueueLink('/join/q/r1', '#short')).toEqual({ requestId: 'r1', secret: null, hadFragment: true });
    expect(parseQueueLink('/join/q/r1', '#%E0%A4%A')).toMatchObject({ secret: null, hadFragment: true });
    expect(parseQueueLink('/join/q/r1', `#${secret}<img>`).secret).toBeNull();
  });

  it('tells queue links from room links, and a room link still parses as before', () => {
    expect(isQueuePath('/join/q/r1')).toBe(true);
    expect(isQueuePath('/join/q/')).toBe(true);
    expect(isQueuePath('/join/Room_0123456789abcdef')).toBe(false);
    // "q" is too short to be a room id: a queue path is never taken for a room
    expect(parseJoinLink('/join/q/r1', `#${secret}`).roomId).toBeNull();
    expect(parseJoinLink('/join/Room_0123456789abcdef', `#${secret}`)).toEqual({ roomId: 'Room_0123456789abcdef', token: secret, hadFragment: true });
  });
});
