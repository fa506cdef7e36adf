/**
 * The case page's three calls (issue 11 item 1; contract: cases.get, cases.evidenceImage, cases.recordings).
 * Reading only: nothing here writes to the case log.
 */
import type { RecordingTrack } from '../../shared/call';
import type { CaseDetail, ChainBreak } from '../../shared/cases';
import { MEDIA_RECORDINGS_PATH, MEDIA_TOKEN_PARAM, type CaseEvidenceImage, type CaseRecording, type CaseReview } from '../../shared/review';
import type { RecordingInfo } from '../recording/recording-service';
import { CaseEvidence, type EvidenceStore } from './case-evidence';
import type { MediaTokens } from './media-token';

/** The part of CaseStore the case page reads. */
export interface ReviewStore extends EvidenceStore {
  getCase(caseId: string): CaseDetail;
  verifyCase(caseId: string): ChainBreak | null;
}

export interface CaseReviewOptions {
  store: ReviewStore;
  recordings: { info(caseId?: string): RecordingInfo[] };
  tokens: MediaTokens;
  /** The URL a <video> fetches recording `id` from on this transport, with its token. */
  mediaUrl: (recordingId: string, token: string) => string;
}

/**
 * How long a media URL stays valid beyond the recording's own length: long enough to open the page, watch it
 * through and seek around, short enough that a copied URL is soon worthless. The page asks again when it lapses.
 */
export const MEDIA_TOKEN_SLACK_MS = 15 * 60_000;

export class CaseReviewService {
  private readonly evidence: CaseEvidence;

  constructor(private readonly options: CaseReviewOptions) {
    this.evidence = new CaseEvidence(options.store);
  }

  /** Summary, every event in order, the chain's verdict (NOT_FOUND for an unknown case). */
  get(caseId: string): CaseReview {
    const { events, ...summary } = this.options.store.getCase(caseId);
    const broken = this.options.store.verifyCase(caseId);
    return { summary, events, chain: { ok: broken === null, break: broken }, evidence: this.evidence.list(caseId) };
  }

  evidenceImage(caseId: string, evidenceId: string): CaseEvidenceImage {
    return this.evidence.image(caseId, evidenceId);
  }

  /** The call's recordings (legacy whole-file ones have no track and are left out), oldest first. */
  recordings(caseId: string): CaseRecording[] {
    this.options.store.getCase(caseId); // NOT_FOUND for an unknown case, not an empty list
    return this.options.recordings
      .info(caseId)
      .filter((r): r is RecordingInfo & { track: RecordingTrack } => r.track !== null)
      .map((r) => {
        const purged = r.purgedAt !== null;
        const grant = purged ? null : this.options.tokens.mint(r.recordingId, (r.durationMs ?? 0) + MEDIA_TOKEN_SLACK_MS);
        return {
          recordingId: r.recordingId,
          track: r.track,
          startedAt: r.startedAt ?? r.createdAt,
          stoppedAt: r.stoppedAt,
          durationMs: r.durationMs,
          state: purged ? 'purged' : r.state,
          seekable: r.seekable,
          chunks: r.chunks,
          bytes: r.bytes,
          mediaUrl: grant ? this.options.mediaUrl(r.recordingId, grant.token) : null,
          mediaExpiresAt: grant?.expiresAt ?? null,
        };
      });
  }
}

/** The media URL for each transport: the host serves it on its own origin, Electron on app://veridesk. */
export function mediaUrlFor(transport: 'electron' | 'host', appOrigin: string, path: string = MEDIA_RECORDINGS_PATH): (recordingId: string, token: string) => string {
  const base = transport === 'electron' ? appOrigin : '';
  return (recordingId, token) => `${base}${path}${encodeURIComponent(recordingId)}?${MEDIA_TOKEN_PARAM}=${encodeURIComponent(token)}`;
}
