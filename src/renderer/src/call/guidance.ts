/**
 * Guidance over the peer data channel (agent → customer page) and what the customer page sends
 * back. Inbound messages come from the customer's browser, so they are size-checked and validated
 * against the shared schema before anything reads them.
 */
import { DataChannelMessageSchema, GUIDANCE_KEYS, type ChallengeAction, type DataChannelMessage, type GuidanceKey } from '../../../shared/signaling';

/** Larger than any valid message by far; a longer one is dropped unparsed. */
export const MAX_DATA_MESSAGE_CHARS = 4_096;

/** The buttons, in the order the agent most often needs them. */
export const GUIDANCE_GROUPS: { name: 'environment' | 'position' | 'action' | 'document'; keys: GuidanceKey[] }[] = [
  { name: 'environment', keys: ['move_to_light', 'avoid_backlight', 'remove_obstruction', 'only_you'] },
  { name: 'position', keys: ['come_closer', 'move_back', 'face_camera', 'hold_still'] },
  { name: 'action', keys: ['turn_left_slowly', 'turn_right_slowly', 'blink', 'open_mouth', 'nod', 'cover_face_briefly'] },
  { name: 'document', keys: ['show_id_front', 'show_id_back'] },
];

export const isGuidanceKey = (key: string): key is GuidanceKey => (GUIDANCE_KEYS as readonly string[]).includes(key);

export const encodeGuidance = (id: number, key: GuidanceKey): string => JSON.stringify({ t: 'guidance', id, key } satisfies DataChannelMessage);
export const encodeGuidanceClear = (): string => JSON.stringify({ t: 'guidance.clear' } satisfies DataChannelMessage);
export const encodeChallenge = (id: number, action: ChallengeAction, step: number, of: number, seconds: number): string =>
  JSON.stringify({ t: 'challenge', id, action, step, of, seconds } satisfies DataChannelMessage);
export const encodeChallengeClear = (): string => JSON.stringify({ t: 'challenge.clear' } satisfies DataChannelMessage);
export const encodeCode = (digits: string): string => JSON.stringify({ t: 'code', digits } satisfies DataChannelMessage);
export const encodeCodeClear = (): string => JSON.stringify({ t: 'code.clear' } satisfies DataChannelMessage);

/** A validated data-channel message, or null for anything malformed, oversized or unknown. */
export function parseDataMessage(text: string): DataChannelMessage | null {
  if (text.length > MAX_DATA_MESSAGE_CHARS) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = DataChannelMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
