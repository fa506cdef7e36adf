/**
 * One readable line per case event for the case page (issue 11 item 1): what happened, in the UI language,
 * from the event's own payload. Payloads are the case log's (src/shared/cases.ts, call.ts, verification.ts,
 * desk.ts); a field that is missing or unexpected falls back to a short, generic text rather than failing,
 * because old or hand-made logs must still be readable. Pure: `t` is the i18n function.
 */
import type { CaseEvent } from '../../../../shared/cases';

export type Translate = (key: string, vars?: Record<string, unknown>) => string;

type Payload = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Payload | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Payload) : null);

/** i18next splits keys on '.', so 'case.opened' is looked up as case_opened. */
export const eventTypeKey = (type: string): string => `case.types.${type.replace(/\./g, '_')}`;

/** A translation that falls back to the raw code when the key is unknown (a code from a newer version). */
const label = (t: Translate, key: string, code: string): string => t(key, { defaultValue: code });

export function actorText(t: Translate, actor: string): string {
  return actor === 'system' || actor === 'customer' ? t(`case.actors.${actor}`) : actor;
}

const checkName = (t: Translate, id: string) => label(t, `desk.checks.names.${id}`, id);
const statusName = (t: Translate, status: string) => label(t, `desk.checks.statuses.${status}`, status);
const reasonText = (t: Translate, check: string, reason: string) => label(t, `desk.reasons.${check}.${reason}`, reason);
const actionName = (t: Translate, action: unknown) => label(t, `desk.challenge.actions.${String(action)}`, String(action));
const trackName = (t: Translate, track: unknown) => label(t, `call.recording.track.${String(track)}`, String(track));
const seconds = (ms: unknown) => {
  const v = num(ms);
  return v === null ? '—' : (v / 1000).toFixed(1);
};

function verificationLine(t: Translate, p: Payload): string {
  const type = str(p.type) ?? '';
  const step = (num(p.index) ?? 0) + 1;
  switch (type) {
    case 'check.changed': {
      const check = obj(p.check);
      return checkLine(t, check ?? {});
    }
    case 'state.changed':
      return t('case.line.state', { from: label(t, `case.sessionStates.${String(p.from)}`, String(p.from)), to: label(t, `case.sessionStates.${String(p.to)}`, String(p.to)) });
    case 'advice.changed':
      return t('case.line.advice', { advice: label(t, `desk.advice.${String(p.advice)}`, String(p.advice)) });
    case 'challenge.started':
      return t('case.line.challengeStarted', { attempt: num(p.attempt) ?? 1, actions: (Array.isArray(p.actions) ? p.actions : []).map((a) => actionName(t, a)).join('、') });
    case 'challenge.step_started':
      return t('case.line.stepStarted', { step, action: actionName(t, p.action) });
    case 'challenge.step_passed':
      return t('case.line.stepPassed', { step, action: actionName(t, p.action) });
    case 'challenge.step_failed':
      return t('case.line.stepFailed', { step, action: actionName(t, p.action), reason: label(t, `case.stepReasons.${String(p.reason)}`, String(p.reason)) });
    case 'challenge.finished':
      return t('case.line.challengeFinished', { result: label(t, `desk.challenge.result.${String(p.status)}`, String(p.status)), reason: reasonText(t, 'active_liveness', String(p.reason)) });
    case 'spoken_code.issued':
      return t('case.line.codeIssued', { code: str(p.code) ?? '' });
    case 'spoken_code.confirmed':
      return t(p.ok === true ? 'case.line.codeOk' : 'case.line.codeWrong');
    case 'occlusion_test.started':
      return t('case.line.occlusionStarted');
    case 'occlusion_test.finished':
      return t('case.line.occlusionFinished', { status: statusName(t, String(p.status)), reason: reasonText(t, 'face_swap', String(p.reason)) });
    case 'script.step':
      return scriptStepLine(t, p);
    case 'id_photo.set':
      return t('case.line.idPhoto', { source: label(t, `case.photoSources.${String(p.source)}`, String(p.source)), faces: num(p.faces) ?? 0 });
    default:
      return fallback(p);
  }
}

/**
 * 话术步骤：<title>. The title was written with the event in both languages; each language's sentence picks its own
 * (`{{zh}}` / `{{en}}`), so no language has to be passed in. A hand-made event without a title names the step id.
 */
function scriptStepLine(t: Translate, p: Payload): string {
  const title = obj(p.title);
  const id = str(p.stepId) ?? '?';
  return t('case.line.scriptStep', { zh: str(title?.zh) ?? id, en: str(title?.en) ?? id });
}

function checkLine(t: Translate, check: Payload): string {
  const id = str(check.id) ?? '?';
  const line = t('case.line.check', { check: checkName(t, id), status: statusName(t, String(check.status)), reason: reasonText(t, id, String(check.reason)) });
  const score = num(check.score);
  if (score === null) return line;
  const shown = id === 'id_consistency' ? String(Math.round(Math.abs(score))) : score.toFixed(2);
  return `${line} · ${t(`desk.checks.scores.${id}`, { value: shown, defaultValue: shown })}`;
}

function mediaLine(t: Translate, p: Payload): string {
  const source = str(p.source) ?? 'agent';
  const what = str(p.event) ?? str(p.state) ?? '';
  if (what === 'guidance_pushed') return t('case.line.guidance', { prompt: label(t, `call.guidance.keys.${String(p.key)}`, String(p.key ?? '')) });
  return t('case.line.media', { source: label(t, `case.mediaSources.${source}`, source), state: label(t, `case.mediaStates.${what}`, what) });
}

/** A queued call's context (src/shared/queue-desk.ts): 预约回电 or 渠道转接, the channel's checks, the intent. */
function handoverLine(t: Translate, p: Payload): string {
  const origin = str(p.origin) ?? 'handover';
  const checks = (Array.isArray(p.priorChecks) ? p.priorChecks : []).map(obj).filter((c): c is Payload => c !== null);
  const names = checks.map((c) => `${label(t, `queue.priorCheckKinds.${String(c.kind)}`, String(c.kind))} ${label(t, `queue.priorCheckResults.${String(c.result)}`, String(c.result))}`);
  const line = t('queue.caseLine', { origin: label(t, `queue.origin.${origin}`, origin), count: checks.length, checks: names.length ? `（${names.join('、')}）` : '' });
  const intent = str(p.intent);
  return intent ? line + t('queue.caseLineIntent', { intent }) : line;
}

/** Compact JSON for a payload nothing here knows how to say (capped: a line, not a dump). */
function fallback(p: Payload): string {
  const text = JSON.stringify(p);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

export function eventLine(t: Translate, event: Pick<CaseEvent, 'type' | 'payload'>): string {
  const p = event.payload;
  switch (event.type) {
    case 'case.opened':
      return t('case.line.opened', { service: label(t, `cases.service.${String(p.serviceType)}`, String(p.serviceType)), agent: str(p.agentId) ?? '—' });
    case 'check.result':
      return obj(p.check) ? checkLine(t, obj(p.check)!) : fallback(p);
    case 'verification.event':
      return verificationLine(t, p);
    case 'decision.made': {
      const line = t('case.line.decision', { decision: label(t, `cases.decision.${String(p.decision)}`, String(p.decision)), advice: label(t, `desk.advice.${String(p.advice)}`, String(p.advice)) });
      if (p.against !== true) return line;
      const reason = str(p.reasonCode);
      return `${line}${t('case.line.against', { reason: reason ? label(t, `desk.overrideReasons.${reason}`, reason) : '—' })}`;
    }
    case 'case.escalated':
      return t('case.line.escalated', { advice: label(t, `desk.advice.${String(p.advice)}`, String(p.advice)) }) + (str(p.note) ? `：${str(p.note)}` : '');
    case 'case.closed': {
      const line = t('case.line.closed', { verdict: label(t, `cases.verdict.${String(p.verdict)}`, String(p.verdict)) });
      const reason = str(p.reasonCode);
      return reason ? `${line}（${label(t, `desk.overrideReasons.${reason}`, reason)}）` : line;
    }
    case 'note.added':
      return t('case.line.note', { note: str(p.note) ?? str(p.text) ?? '' });
    case 'evidence.added':
      return t('case.line.evidence', { kind: label(t, `case.evidenceKinds.${String(p.kind)}`, String(p.kind)), size: Math.max(1, Math.round((num(p.bytes) ?? 0) / 1024)) });
    case 'biometric.purged':
      return t('case.line.purged');
    case 'review.received':
      return t('case.line.review', { outcome: label(t, `cases.review.${String(p.outcome)}`, String(p.outcome)) }) + (str(p.note) ? `：${str(p.note)}` : '');
    case 'call.started':
      return t('case.line.callStarted');
    case 'call.ended':
      return t('case.line.callEnded', { reason: label(t, `case.endReasons.${String(p.reason)}`, String(p.reason)), seconds: seconds(p.durationMs) });
    case 'consent.recorded':
      return t(p.granted === true ? 'case.line.consentGranted' : 'case.line.consentDeclined', { subject: label(t, `case.consentSubjects.${String(p.subject)}`, String(p.subject)) });
    case 'device.reported':
      return t('case.line.device', { label: str(p.videoLabel) ?? t('call.customer.noLabel') }) + (str(p.virtualCamera) ? t('case.line.virtual', { marker: str(p.virtualCamera) }) : '');
    case 'media.event':
      return mediaLine(t, p);
    case 'recording.started':
      return t('case.line.recordingStarted', { track: trackName(t, p.track) });
    case 'recording.stopped':
      return t('case.line.recordingStopped', { track: trackName(t, p.track), chunks: num(p.chunks) ?? 0, seconds: seconds(p.durationMs) });
    case 'recording.failed':
      return t('case.line.recordingFailed', { track: trackName(t, p.track), code: str(p.errorCode) ?? '—' });
    case 'recording.recovered':
      return t('case.line.recordingRecovered', { track: trackName(t, p.track), adopted: num(p.adoptedChunks) ?? 0, dropped: num(p.droppedChunks) ?? 0 });
    case 'id.recorded':
      return t('case.line.idRecorded', { name: str(p.nameMasked) ?? '—', idNumber: str(p.idNumberMasked) ?? '—' });
    case 'handover.received':
      return handoverLine(t, p);
    default:
      return fallback(p);
  }
}
