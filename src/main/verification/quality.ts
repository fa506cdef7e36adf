/**
 * quality: the engine's quality issues over the last qualityWindowMs, turned into guidance the agent can read out
 * (and a customer-page prompt, GUIDANCE_CUSTOMER_KEY). An issue counts when present in ≥ qualityShare of the window's
 * frames with a face; 'no_face' when fewer than qualityShare of its frames have one. The most important code is the
 * reason (GUIDANCE_CODES order); all of them are in details.guidance. Never required: it explains the other checks.
 */
import type { QualityIssue } from '../../shared/engine';
import { GUIDANCE_CODES, GUIDANCE_CUSTOMER_KEY, type Check, type GuidanceCode } from '../../shared/verification';
import type { VerificationConfig } from './config';
import type { Observation } from './observation';

/** Quality issue → guidance code (the same names; kept explicit so a new engine issue is a compile error here). */
const GUIDANCE_OF: Record<QualityIssue, GuidanceCode> = {
  too_dark: 'too_dark',
  too_bright: 'too_bright',
  low_contrast: 'low_contrast',
  blurred: 'blurred',
  too_small: 'too_small',
  turned: 'turned',
  occluded: 'occluded',
  partly_outside: 'partly_outside',
  eyes_closed: 'eyes_closed',
};

export function guidanceFor(window: readonly Observation[], cfg: Pick<VerificationConfig, 'qualityShare'>): Array<{ code: GuidanceCode; share: number }> {
  if (window.length === 0) return [];
  const faces = window.filter((o) => o.face);
  const out: Array<{ code: GuidanceCode; share: number }> = [];
  const faceShare = faces.length / window.length;
  if (faceShare < cfg.qualityShare) out.push({ code: 'no_face', share: 1 - faceShare });
  if (faces.length > 0) {
    const counts = new Map<GuidanceCode, number>();
    for (const o of faces) for (const issue of new Set(o.qualityIssues)) counts.set(GUIDANCE_OF[issue], (counts.get(GUIDANCE_OF[issue]) ?? 0) + 1);
    for (const [code, n] of counts) if (n / faces.length >= cfg.qualityShare) out.push({ code, share: n / faces.length });
  }
  return out.sort((a, b) => GUIDANCE_CODES.indexOf(a.code) - GUIDANCE_CODES.indexOf(b.code));
}

export function qualityCheck(window: readonly Observation[], cfg: Pick<VerificationConfig, 'qualityShare'>): Check {
  if (window.length === 0) return { id: 'quality', status: 'pending', reason: 'no_frames' };
  const guidance = guidanceFor(window, cfg);
  const okShare = window.filter((o) => o.face && o.qualityOk).length / window.length;
  const details = {
    guidance: guidance.map((g) => ({ code: g.code, share: Math.round(g.share * 100) / 100, customerKey: GUIDANCE_CUSTOMER_KEY[g.code] })),
    okShare: Math.round(okShare * 100) / 100,
    frames: window.length,
  };
  const first = guidance[0];
  if (!first) return { id: 'quality', status: 'pass', reason: 'good', details };
  const last = [...window].reverse().find((o) => first.code === 'no_face' || o.qualityIssues.length > 0) ?? window[window.length - 1]!;
  return { id: 'quality', status: 'warn', reason: first.code, evidence: [{ streamId: last.streamId, capturedAt: last.capturedAt, kind: 'quality' }], details };
}
