/**
 * The queue UI's pure rules with the real dictionaries (Chinese by default): the offer's countdown on the server's
 * clock, when the banner shows, the state selector's labels and the backend's reasons, the one-key accept, how a
 * channel's check reads on the desk, and the case page's line for a queued case (预约回电).
 */
import { describe, expect, it } from 'vitest';
import { AGENT_STATES, PRIOR_CHECK_KINDS, type Offer } from '../../../../shared/queue';
import type { QueueStatus } from '../../../../shared/queue-desk';
import { en } from '../../i18n/en';
import { zhCN } from '../../i18n/zh-CN';
import { eventLine } from '../case/event-text';
import { clock, offerKey, offerShown, priorCheckText, reasonKey, secondsLeft, SELECTABLE_STATES, stateLabelKey, waitedSeconds, type Translate } from './queue-logic';

/** i18next's lookup, enough for these keys: dotted path, {{var}} interpolation, defaultValue. */
function translator(messages: object): Translate {
  return (key, vars = {}) => {
    let node: unknown = messages;
    for (const part of key.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
    const text = typeof node === 'string' ? node : typeof vars.defaultValue === 'string' ? vars.defaultValue : key;
    return text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => String(vars[name] ?? ''));
  };
}
const zh = translator(zhCN);
const enT = translator(en);

const offer = (over: Partial<Offer> = {}): Offer => ({
  requestId: 'req-1',
  serviceType: 'transact',
  customerRef: 'cust-1',
  intent: null,
  priorChecks: [],
  hasReferencePhoto: false,
  scriptStep: null,
  origin: 'handover',
  enqueuedAt: 1_000_000,
  expiresAt: 1_015_000,
  ...over,
});
const status = (over: Partial<QueueStatus> = {}): QueueStatus => ({
  agentId: 'agent-1',
  state: 'ready',
  reason: null,
  skills: [],
  offer: offer(),
  waiting: 1,
  clockOffsetMs: 0,
  link: 'polling',
  server: 'http://127.0.0.1:8787',
  lastError: null,
  nextAttemptAt: null,
  accepting: null,
  active: null,
  ...over,
});

const key = (over: Partial<Parameters<typeof offerKey>[0]> = {}) => ({ key: 'Enter', code: 'Enter', altKey: false, ctrlKey: false, metaKey: false, shiftKey: false, target: null, ...over });

describe('countdown and waiting time', () => {
  it('counts down to expiresAt on the server clock, rounding up, never below 0', () => {
    expect(secondsLeft(1_015_000, 1_000_000, 0)).toBe(15);
    expect(secondsLeft(1_015_000, 1_014_001, 0)).toBe(1);
    expect(secondsLeft(1_015_000, 1_015_000, 0)).toBe(0);
    expect(secondsLeft(1_015_000, 2_000_000, 0)).toBe(0);
    // this workstation's clock is 5 s behind the server's: 5 s less are left than the local clock suggests
    expect(secondsLeft(1_015_000, 1_000_000, 5_000)).toBe(10);
  });

  it('counts the wait from enqueuedAt on the server clock, and formats it m:ss', () => {
    expect(waitedSeconds(1_000_000, 1_065_400, 0)).toBe(65);
    expect(waitedSeconds(1_000_000, 990_000, 0)).toBe(0);
    expect(clock(65)).toBe('1:05');
    expect(clock(9)).toBe('0:09');
  });

  it('shows the banner only for an offer that has not lapsed and while no queued call is in progress', () => {
    expect(offerShown(status(), 1_000_000)).toBe(true);
    expect(offerShown(status(), 1_015_000)).toBe(false);
    expect(offerShown(status({ offer: null }), 1_000_000)).toBe(false);
    expect(offerShown(null, 1_000_000)).toBe(false);
    expect(offerShown(status({ active: { requestId: 'r', caseId: 'c', callId: 'k', origin: 'handover', serviceType: 'query', intent: null, priorChecks: [], scriptStep: null, referencePhoto: 'none', referencePhotoError: null } }), 1_000_000)).toBe(false);
  });
});

describe('state labels', () => {
  it('offers the four states in the status bar order, each labelled in Chinese by default and in English', () => {
    expect(SELECTABLE_STATES).toEqual(['ready', 'busy', 'away', 'offline']);
    expect(SELECTABLE_STATES.map((s) => zh(stateLabelKey(s)))).toEqual(['在线示闲', '忙碌', '小休', '离线']);
    for (const s of AGENT_STATES) expect(enT(stateLabelKey(s))).not.toBe(stateLabelKey(s));
  });

  it("says why the backend changed the state, and shows an unknown reason's code", () => {
    expect(zh(reasonKey('missed_offer'))).toBe('未接听，已置为小休');
    expect(zh(reasonKey('rebalanced'), { reason: 'rebalanced' })).toBe('后台已更改状态（rebalanced）');
  });
});

describe('one-key accept', () => {
  it('accepts on F2 anywhere and on Enter when the agent is not typing', () => {
    expect(offerKey(key({ key: 'F2', code: 'F2' }))).toBe('accept');
    expect(offerKey(key({ key: 'F2', code: 'F2', target: { tagName: 'INPUT', type: 'text' } }))).toBe('accept');
    expect(offerKey(key())).toBe('accept');
    expect(offerKey(key({ target: { tagName: 'BUTTON' } }))).toBe('accept');
  });

  it('leaves Enter to a text field, and ignores modifiers, held-down repeats and IME composition', () => {
    expect(offerKey(key({ target: { tagName: 'INPUT', type: 'text' } }))).toBeNull();
    expect(offerKey(key({ target: { tagName: 'TEXTAREA' } }))).toBeNull();
    expect(offerKey(key({ ctrlKey: true }))).toBeNull();
    expect(offerKey(key({ altKey: true, key: 'F2' }))).toBeNull();
    expect(offerKey(key({ repeat: true }))).toBeNull();
    expect(offerKey(key({ isComposing: true }))).toBeNull();
    expect(offerKey(key({ key: 'a', code: 'KeyA' }))).toBeNull();
  });
});

describe('prior checks and the case line', () => {
  it('reads a channel check as done by the channel: 短信验证码 已通过 09:12 · app', () => {
    const at = Date.parse('2024-05-06T09:12:00+08:00');
    expect(priorCheckText(zh, { kind: 'sms_otp', result: 'pass', at, source: 'app' }, 'zh-CN', 'Asia/Shanghai')).toBe('短信验证码 已通过 09:12 · app');
    expect(priorCheckText(zh, { kind: 'id_document', result: 'fail', at, source: 'ivr', detail: '照片模糊' }, 'zh-CN', 'Asia/Shanghai')).toBe('证件照 未通过 09:12 · ivr（照片模糊）');
    for (const kind of PRIOR_CHECK_KINDS) expect(enT(`queue.priorCheckKinds.${kind}`)).not.toBe(`queue.priorCheckKinds.${kind}`);
  });

  it('says on the case page that a case came from a call-back, with the checks and the intent', () => {
    const payload = { requestId: 'r1', origin: 'callback', serviceType: 'transact', intent: '挂失', priorChecks: [{ kind: 'sms_otp', result: 'pass', at: 1, source: 'app' }], scriptStep: null, hasReferencePhoto: false, enqueuedAt: 1, acceptedAt: 2 };
    expect(eventLine(zh, { type: 'handover.received', payload })).toBe('转接上下文：预约回电 · 渠道已完成 1 项核验（短信验证码 已通过） · 诉求：挂失');
    expect(eventLine(zh, { type: 'handover.received', payload: { ...payload, origin: 'handover', priorChecks: [], intent: null } })).toBe('转接上下文：渠道转接 · 渠道已完成 0 项核验');
  });
});
