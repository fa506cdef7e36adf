/** How the desk writes check results for the agent (i18n keys, scores, evidence times). Agent-facing only. */
import type { CheckId, ReasonCode } from '../../../shared/verification';

export type ReasonCheck = CheckId | 'spoken_code';

/** Per check: the same code can mean different things (quality's no_face asks for guidance, presence's does not). */
export const reasonKey = (check: ReasonCheck | string, reason: ReasonCode | string): string => `desk.reasons.${check}.${reason}`;

/** Scores as the rule decided on them: similarities and probabilities to 2 decimals, the age gap in whole years. */
export function formatScore(check: CheckId, score: number): string {
  if (!Number.isFinite(score)) return '—';
  return check === 'id_consistency' ? String(Math.round(Math.abs(score))) : score.toFixed(2);
}

/** Live evidence is stamped in epoch ms; offline it is ms from the start of the file. */
const EPOCH_2001 = 978_307_200_000;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A frame time the agent can find on the recording's timeline: wall-clock time to the millisecond, or +s.mmm offline. */
export function formatFrameTime(capturedAt: number): string {
  if (capturedAt < EPOCH_2001) return `+${(capturedAt / 1000).toFixed(3)} s`;
  const d = new Date(capturedAt);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
