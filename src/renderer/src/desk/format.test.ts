import { describe, expect, it } from 'vitest';
import { OVERRIDE_REASONS } from '../../../shared/desk';
import { CHALLENGE_ACTIONS, CHECK_IDS, CHECK_STATUSES, EVIDENCE_KINDS, REASONS, SPOKEN_CODE_REASONS, ADVICES } from '../../../shared/verification';
import { en } from '../i18n/en';
import { zhCN } from '../i18n/zh-CN';
import { formatFrameTime, formatScore, reasonKey } from './format';

/** The string at a dotted i18n key, or undefined. */
function lookup(messages: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), messages);
}

const LANGUAGES = [
  ['zh-CN', zhCN],
  ['en', en],
] as const;

const reasonKeys = [...Object.entries(REASONS).flatMap(([check, codes]) => codes.map((code) => reasonKey(check, code))), ...SPOKEN_CODE_REASONS.map((code) => reasonKey('spoken_code', code))];

describe.each(LANGUAGES)('desk texts in %s', (_lang, messages) => {
  it.each(reasonKeys)('%s has a sentence', (key) => {
    const text = lookup(messages, key);
    expect(typeof text).toBe('string');
    expect((text as string).length).toBeGreaterThan(1);
  });

  it('has a name for every check, a label for every status, advice, evidence kind, action and override reason', () => {
    const keys = [
      ...CHECK_IDS.map((id) => `desk.checks.names.${id}`),
      'desk.checks.names.spoken_code',
      ...CHECK_IDS.map((id) => `desk.checks.scores.${id}`),
      ...CHECK_STATUSES.map((s) => `desk.checks.statuses.${s}`),
      ...ADVICES.map((a) => `desk.advice.${a}`),
      ...EVIDENCE_KINDS.map((k) => `desk.evidenceKinds.${k}`),
      ...CHALLENGE_ACTIONS.map((a) => `desk.challenge.actions.${a}`),
      ...OVERRIDE_REASONS.map((r) => `desk.overrideReasons.${r}`),
    ];
    expect(keys.filter((k) => typeof lookup(messages, k) !== 'string')).toEqual([]);
  });
});

describe('the zh-CN reason sentences are Chinese', () => {
  it.each(reasonKeys)('%s', (key) => {
    expect(lookup(zhCN, key)).toMatch(/[\u4e00-\u9fff]/);
  });
});

describe('formatting', () => {
  it('scores: 2 decimals, the age gap in whole years', () => {
    expect(formatScore('face_match', 0.43129)).toBe('0.43');
    expect(formatScore('id_consistency', 12.6)).toBe('13');
    expect(formatScore('face_match', Number.NaN)).toBe('—');
  });

  it('frame times: wall-clock to the millisecond live, seconds from the start offline', () => {
    expect(formatFrameTime(12_345)).toBe('+12.345 s');
    expect(formatFrameTime(new Date(2026, 0, 2, 9, 5, 7, 42).getTime())).toBe('09:05:07.042');
  });
});
