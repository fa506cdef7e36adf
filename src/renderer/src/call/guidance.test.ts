import { describe, expect, it } from 'vitest';
import { GUIDANCE_KEYS } from '../../../shared/signaling';
import { GUIDANCE_GROUPS, MAX_DATA_MESSAGE_CHARS, encodeGuidance, parseDataMessage } from './guidance';

describe('data channel messages', () => {
  it('round-trips a guidance message and accepts an ack', () => {
    expect(parseDataMessage(encodeGuidance(3, 'blink'))).toEqual({ t: 'guidance', id: 3, key: 'blink' });
    expect(parseDataMessage('{"t":"guidance.ack","id":3}')).toEqual({ t: 'guidance.ack', id: 3 });
  });

  it.each([
    ['not JSON', 'not json'],
    ['an unknown type', '{"t":"exec","cmd":"x"}'],
    ['a negative id', '{"t":"guidance.ack","id":-1}'],
    ['an unknown key', '{"t":"guidance","id":1,"key":"send_money"}'],
    ['extra fields', '{"t":"guidance.ack","id":1,"x":1}'],
    ['an oversized message', JSON.stringify({ t: 'guidance.ack', id: 1, pad: 'x'.repeat(MAX_DATA_MESSAGE_CHARS) })],
  ])('drops %s', (_what, text) => {
    expect(parseDataMessage(text)).toBeNull();
  });

  it('offers every guidance key exactly once', () => {
    expect(GUIDANCE_GROUPS.flatMap((g) => g.keys).sort()).toEqual([...GUIDANCE_KEYS].sort());
  });
});
