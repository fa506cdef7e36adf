/**
 * What a re-analysis runs on, gathered from the case log before the engine is asked for anything (so a case that
 * cannot be re-analysed is refused at once, without starting an engine): the customer recording, the ID photo the
 * call used (decrypted in memory), the call's recorded facts and the report it produced. Refusals carry a
 * reason word (src/shared/reanalysis.ts REANALYSIS_REFUSALS) for the UI.
 */
import type { CaseEvent, ServiceType } from '../../shared/cases';
import { AppFailure } from '../../shared/errors';
import { refusalMessage, type OriginalReport } from '../../shared/reanalysis';
import type { VerificationEvent } from '../../shared/verification';
import type { CaseStore } from '../caselog/store';
import type { RecordingInfo, RecordingService } from '../recording/recording-service';
import { verificationEventsOf } from '../verification/recorded-events';
import type { DeviceInput } from '../verification/session';
import { originalReport } from './reanalysis-original';
import { deviceOf, idNumberStandIn, occlusionRequests, toVideoTime } from './reanalysis-recorded';

export interface PreparedReanalysis {
  caseId: string;
  serviceType: ServiceType;
  /** The case's opened time: the date ages are computed on (never the time of the re-analysis). */
  openedAt: number;
  recording: RecordingInfo;
  otherRecordings: number;
  idPhoto: { evidenceId: string; sha256: string; data: Buffer };
  /** Writes the decrypted WebM piece by piece; it stays in memory (RecordingService.streamPlayable). */
  feed: (write: (part: Buffer) => void) => Promise<unknown>;
  /** The call's verification events, on the video's clock (ms from the recording's start). */
  events: VerificationEvent[];
  device: DeviceInput | null;
  /** In memory only (reanalysis-recorded.ts idNumberStandIn). */
  idNumber: string | null;
  occlusionAt: number[];
  original: OriginalReport | null;
}

const iso = (t: number) => new Date(t).toISOString();

/** The purge that took an item, for the message (retention keeps the audit event, not the bytes). */
function purgeNote(events: readonly CaseEvent[], field: 'recordingIds' | 'evidenceIds', id: string): string {
  const purge = events.findLast((e) => e.type === 'biometric.purged' && Array.isArray(e.payload[field]) && (e.payload[field] as unknown[]).includes(id));
  if (!purge) return 'by retention';
  return `by retention${typeof purge.payload.policyDays === 'number' ? ` (${purge.payload.policyDays}-day policy)` : ''} on ${iso(purge.at)}`;
}

/**
 * The customer track to analyse: the longest one that is still there (a renderer reload seals a recording and
 * starts another for the same track; the longest holds most of the call). Oldest first on a tie.
 */
function customerRecording(recordings: RecordingService, caseId: string, events: readonly CaseEvent[]): { recording: RecordingInfo; others: number } {
  const all = recordings.info(caseId).filter((r) => r.track === 'customer');
  if (all.length === 0) throw new AppFailure('NOT_FOUND', refusalMessage('no_recording', `case ${caseId} has no customer recording`));
  const usable = all.filter((r) => r.purgedAt === null);
  if (usable.length === 0) {
    const last = all[all.length - 1]!;
    throw new AppFailure(
      'NOT_FOUND',
      refusalMessage('recording_purged', `the customer recording ${last.recordingId} of case ${caseId} was purged ${purgeNote(events, 'recordingIds', last.recordingId)}: the audit events remain, the video does not, so it cannot be re-analysed`),
    );
  }
  const recording = usable.reduce((best, r) => (r.bytes > best.bytes ? r : best));
  return { recording, others: all.length - 1 };
}

const isIdPhotoSet = (e: CaseEvent) => e.type === 'verification.event' && e.payload.type === 'id_photo.set' && typeof e.payload.evidenceId === 'string';
const isIdPhotoAdded = (e: CaseEvent) => e.type === 'evidence.added' && e.payload.kind === 'id_photo' && typeof e.payload.evidenceId === 'string';

/** The ID photo the call compared with: the last one the desk set ('id_photo.set'), else the last stored. */
function idPhotoOf(store: CaseStore, caseId: string, events: readonly CaseEvent[]): PreparedReanalysis['idPhoto'] {
  const chosen = events.findLast(isIdPhotoSet) ?? events.findLast(isIdPhotoAdded);
  if (!chosen) throw new AppFailure('NOT_FOUND', refusalMessage('no_id_photo', `case ${caseId} has no ID photo`));
  const evidenceId = chosen.payload.evidenceId as string;
  const data = store.readEvidence(evidenceId);
  if (!data) throw new AppFailure('NOT_FOUND', refusalMessage('id_photo_purged', `the ID photo of case ${caseId} was purged ${purgeNote(events, 'evidenceIds', evidenceId)}`));
  const added = events.find((e) => isIdPhotoAdded(e) && e.payload.evidenceId === evidenceId);
  return { evidenceId, sha256: typeof added?.payload.sha256 === 'string' ? added.payload.sha256 : '', data };
}

/** Gathers a case's inputs; NOT_FOUND (with a reason word) for an unknown case, a missing or purged recording or ID photo. */
export function prepareReanalysis(store: CaseStore, recordings: RecordingService, caseId: string): PreparedReanalysis {
  const summary = store.summary(caseId);
  const events = store.events(caseId);
  const { recording, others } = customerRecording(recordings, caseId, events);
  const idPhoto = idPhotoOf(store, caseId, events);
  // the recording's start is video time 0; both tracks share it and the call's frames are stamped on the same clock
  const offset = recording.startedAt ?? summary.openedAt;
  const verification = verificationEventsOf(events).map((e) => toVideoTime(e, offset));
  return {
    caseId,
    serviceType: summary.serviceType,
    openedAt: summary.openedAt,
    recording,
    otherRecordings: others,
    idPhoto,
    feed: async (write) => {
      try {
        return await recordings.streamPlayable(recording.recordingId, write);
      } catch (error) {
        if (!(error instanceof AppFailure)) throw error;
        // purged between the check above and now (retention runs on its own schedule)
        if (error.code === 'NOT_FOUND') throw new AppFailure('NOT_FOUND', refusalMessage('recording_purged', error.message));
        if (error.code === 'CORRUPT_INPUT' || error.code === 'IO_ERROR') throw new AppFailure(error.code, refusalMessage('recording_unreadable', error.message));
        throw error;
      }
    },
    events: verification,
    device: deviceOf(events),
    idNumber: idNumberStandIn(events),
    occlusionAt: occlusionRequests(verification),
    original: originalReport(summary.serviceType, events),
  };
}
