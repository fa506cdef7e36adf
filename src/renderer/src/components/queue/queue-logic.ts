/**
 * The queue UI's pure rules (no React, no DOM): the offer's countdown and waiting time on the server's clock, the
 * state selector's choices and labels, the one-key accept, and how a channel's prior check reads on the desk
 * ("短信验证码 已通过 09:12 · app"). Unit-tested beside it (queue-logic.test.ts).
 */
import type { AgentState, PriorCheck } from '../../../../shared/queue';
import type { QueueStatus } from '../../../../shared/queue-desk';
import { isTypingTarget, type KeyLike } from '../../desk/shortcuts';

export type Translate = (key: string, vars?: Record<string, unknown>) => string;

/** The order of the status bar's selector: 在线示闲, 忙碌, 小休, 离线. */
export const SELECTABLE_STATES: readonly AgentState[] = ['ready', 'busy', 'away', 'offline'];

/** The server's "now" as this page estimates it (offers carry the server's clock). */
export const serverNow = (localNow: number, clockOffsetMs: number): number => localNow + clockOffsetMs;

/** Whole seconds left until the offer lapses (never negative; rounded up, so 0 means it is gone). */
export function secondsLeft(expiresAt: number, localNow: number, clockOffsetMs: number): number {
  return Math.max(0, Math.ceil((expiresAt - serverNow(localNow, clockOffsetMs)) / 1000));
}

/** How long the customer has waited, in whole seconds. */
export function waitedSeconds(enqueuedAt: number, localNow: number, clockOffsetMs: number): number {
  return Math.max(0, Math.floor((serverNow(localNow, clockOffsetMs) - enqueuedAt) / 1000));
}

/** m:ss (or s 秒 under a minute is left to the caller's text): 1:05, 0:09. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The i18n key of a state's label. */
export const stateLabelKey = (state: AgentState): string => `queue.states.${state}`;

/**
 * Why the backend set the state itself, as an i18n key (e.g. missed_offer → 未接听，已置为小休); a reason this
 * version does not know reads as the generic text with the code.
 */
export const KNOWN_REASONS = new Set(['missed_offer', 'backend_changed', 'presence_lost', 'signed_out_elsewhere', 'presence_check_failed']);
export const reasonKey = (reason: string): string => (KNOWN_REASONS.has(reason) ? `queue.reasons.${reason}` : 'queue.reasons.other');

/** Whether the offer banner is up: an offer that has not lapsed and no call of the queue in progress. */
export function offerShown(status: QueueStatus | null, localNow: number): boolean {
  if (!status?.offer || status.active) return false;
  return secondsLeft(status.offer.expiresAt, localNow, status.clockOffsetMs) > 0;
}

/**
 * The one-key accept while the banner shows: F2 anywhere; Enter only when the agent is not typing (Enter in a
 * text field is that field's). No modifiers, no held-down repeat, no IME composition.
 */
export function offerKey(event: KeyLike & { key: string }): 'accept' | null {
  if (event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return null;
  if (event.repeat || event.isComposing) return null;
  if (event.key === 'F2') return 'accept';
  if (event.key === 'Enter' && !isTypingTarget(event.target)) return 'accept';
  return null;
}

/** "短信验证码 已通过 09:12 · app" (the time in the agent's time zone; the note, when any, after it). */
export function priorCheckText(t: Translate, check: PriorCheck, language: string, timeZone?: string): string {
  const time = new Intl.DateTimeFormat(language, { hour: '2-digit', minute: '2-digit', hour12: false, ...(timeZone ? { timeZone } : {}) }).format(check.at);
  const line = t('queue.priorCheckLine', { kind: t(`queue.priorCheckKinds.${check.kind}`), result: t(`queue.priorCheckResults.${check.result}`), time, source: check.source });
  return check.detail ? t('queue.priorCheckWithDetail', { line, detail: check.detail }) : line;
}
