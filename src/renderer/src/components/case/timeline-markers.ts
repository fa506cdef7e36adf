/**
 * Which case events are marks on the replay timeline, and where (issue 11 item 1): every check result, challenge
 * step, spoken-code step, guidance push, 话术 script step, advice change and decision sits at (event.at − the recording's start), so a
 * click on it shows the moment it happened on both videos. Pure.
 */
import type { CaseEvent } from '../../../../shared/cases';
import type { CaseRecording } from '../../../../shared/review';

export const MARKER_KINDS = ['check', 'challenge', 'code', 'occlusion', 'guidance', 'script', 'advice', 'decision'] as const;
export type MarkerKind = (typeof MARKER_KINDS)[number];

export interface TimelineMarker {
  seq: number;
  kind: MarkerKind;
  /** Milliseconds from the timeline's start (may be outside [0, length] for an event before or after the recording). */
  offsetMs: number;
  /** Inside the recorded span: clicking it seeks there. */
  inRange: boolean;
  /** pass / warn / fail where the event has one (the marker's colour). */
  tone: 'pass' | 'warn' | 'fail' | 'info';
}

const VERIFICATION_KINDS: Record<string, MarkerKind> = {
  'check.changed': 'check',
  'advice.changed': 'advice',
  'challenge.started': 'challenge',
  'challenge.step_started': 'challenge',
  'challenge.step_passed': 'challenge',
  'challenge.step_failed': 'challenge',
  'challenge.finished': 'challenge',
  'spoken_code.issued': 'code',
  'spoken_code.confirmed': 'code',
  'occlusion_test.started': 'occlusion',
  'occlusion_test.finished': 'occlusion',
  'script.step': 'script',
};

export function markerKind(event: Pick<CaseEvent, 'type' | 'payload'>): MarkerKind | null {
  switch (event.type) {
    case 'check.result':
      return 'check';
    case 'verification.event':
      return VERIFICATION_KINDS[String(event.payload.type)] ?? null;
    case 'media.event':
      return event.payload.event === 'guidance_pushed' ? 'guidance' : null;
    case 'decision.made':
    case 'case.escalated':
      return 'decision';
    default:
      return null;
  }
}

function toneOf(event: Pick<CaseEvent, 'type' | 'payload'>): TimelineMarker['tone'] {
  const p = event.payload;
  const check = p.check && typeof p.check === 'object' ? (p.check as { status?: unknown }) : null;
  const status = String(check?.status ?? p.status ?? p.advice ?? p.decision ?? '');
  if (p.type === 'challenge.step_failed' || (p.type === 'spoken_code.confirmed' && p.ok === false)) return 'fail';
  if (p.type === 'challenge.step_passed' || (p.type === 'spoken_code.confirmed' && p.ok === true)) return 'pass';
  if (status === 'pass' || status === 'passed') return 'pass';
  if (status === 'warn' || status === 'review') return 'warn';
  if (status === 'fail' || status === 'failed') return 'fail';
  return 'info';
}

export function timelineMarkers(events: readonly Pick<CaseEvent, 'seq' | 'type' | 'at' | 'payload'>[], originMs: number, lengthMs: number): TimelineMarker[] {
  const out: TimelineMarker[] = [];
  for (const event of events) {
    const kind = markerKind(event);
    if (!kind) continue;
    const offsetMs = event.at - originMs;
    out.push({ seq: event.seq, kind, offsetMs, inRange: offsetMs >= 0 && offsetMs <= lengthMs, tone: toneOf(event) });
  }
  return out;
}

/** One recorded session: the tracks MediaRecorder started together (one shared startedAt, src/renderer/src/call/dual-recorder.ts). */
export interface ReplaySession {
  /** Epoch ms of the timeline's 0: the earliest track start. */
  originMs: number;
  customer: CaseRecording | null;
  agent: CaseRecording | null;
  /** Milliseconds the session spans (each track's offset + duration). */
  lengthMs: number;
}

/** Tracks whose starts are this close belong to one session (they share a startedAt; the slack absorbs a restart). */
const SAME_SESSION_MS = 2000;

/**
 * Groups a case's recordings into sessions, oldest first: a reload mid-call starts new recorders, so a case can
 * hold more than one pair. Purged recordings (no media URL) are left out.
 */
export function replaySessions(recordings: readonly CaseRecording[]): ReplaySession[] {
  const playable = recordings.filter((r) => r.mediaUrl !== null).sort((a, b) => a.startedAt - b.startedAt);
  const sessions: ReplaySession[] = [];
  for (const r of playable) {
    let session = sessions.find((s) => Math.abs(s.originMs - r.startedAt) <= SAME_SESSION_MS && s[r.track] === null);
    if (!session) sessions.push((session = { originMs: r.startedAt, customer: null, agent: null, lengthMs: 0 }));
    session[r.track] = r;
    session.originMs = Math.min(session.originMs, r.startedAt);
  }
  for (const s of sessions) {
    s.lengthMs = Math.max(0, ...[s.customer, s.agent].filter((r): r is CaseRecording => r !== null).map((r) => r.startedAt - s.originMs + (r.durationMs ?? 0)));
  }
  return sessions;
}
