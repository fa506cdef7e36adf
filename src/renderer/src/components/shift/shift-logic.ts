/** The shift UI's pure rules (no React, no DOM). */
import type { AppError } from '../../../../shared/errors';
import type { ShiftCheck, ShiftStatus } from '../../../../shared/shift';

export type Translate = (key: string, vars?: Record<string, unknown>) => string;

/** Refusals whose message main writes for the agent (Chinese): shown as they are; others by their code's text. */
const SPOKEN_CODES = new Set(['FORBIDDEN', 'INVALID_INPUT', 'NOT_FOUND']);

export function errorText(t: Translate, error: AppError): string {
  return SPOKEN_CODES.has(error.code) ? error.message : t(`errors.${error.code}`, { detail: error.message });
}

/** Signing in needs camera frames when the center enables face checks. */
export const signInNeedsFrames = (status: ShiftStatus): boolean => status.faceCheck.enabled;

/** One check as a line: "随机核验 · 通过 · 相似度 0.81（阈值 0.42）". */
export function checkLine(t: Translate, check: ShiftCheck): string {
  const kind = t(`shift.checkKinds.${check.kind}`);
  const result = t(`shift.results.${check.result}`);
  if (check.score === null || check.threshold === null) return t('shift.checkLine', { kind, result });
  return t('shift.checkLineScore', { kind, result, score: check.score.toFixed(2), threshold: check.threshold.toFixed(2) });
}

/** The seat may not be set 示闲 until a check passes again. */
export const presenceBlocked = (status: ShiftStatus | null): boolean => status !== null && status.shift !== null && status.faceCheck.enabled && !status.presenceOk;
