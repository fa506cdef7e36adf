/**
 * What a case's synced events say about one recording (DESIGN.md §7-§8): the server only ever stores what
 * the workstation's case log declared. `recording.started` gives the media type, track and call;
 * `recording.stopped`, or `recording.recovered` with state 'stopped', gives what the finished recording is —
 * chunk count, byte count, sha256 of the whole plaintext, sha256 over the chunk-digest list, seekable — and
 * these are what an upload is checked against. The events were verified (chain, signed checkpoint) when they
 * were synced, so a workstation cannot change them afterwards without the server noticing.
 */
import { z } from 'zod';
import type { Queryable } from '../db/database';

const HEX64 = /^[0-9a-f]{64}$/;
const Sealed = z.object({
  recordingId: z.string(),
  callId: z.string().nullable().optional(),
  track: z.string().nullable().optional(),
  chunks: z.number().int().min(0),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(HEX64),
  chunkListSha256: z.string().regex(HEX64),
  durationMs: z.number().nullable().optional(),
  seekable: z.boolean(),
  // only on recording.recovered: a recovery that found damage leaves the recording 'failed'
  state: z.string().optional(),
});
const Started = z.object({ recordingId: z.string(), mimeType: z.string().max(200).optional(), track: z.string().optional(), callId: z.string().optional() });

export interface SealedRecording {
  callId: string | null;
  track: string | null;
  mimeType: string;
  chunks: number;
  bytes: number;
  sha256: string;
  chunkListSha256: string;
  seekable: boolean;
  durationMs: number | null;
  /** The sealing event's time (workstation clock, epoch ms). */
  recordedAt: number;
}

export type CaseLogVerdict =
  | { kind: 'sealed'; recording: SealedRecording }
  /** Sealed as failed (disk full, damage): there is no complete recording to upload. */
  | { kind: 'failed'; why: string }
  /** Started but its sealing event is not on the server (yet): sync first. */
  | { kind: 'unsealed' }
  /** No event of the case names it. */
  | { kind: 'unknown' };

const TYPES = ['recording.started', 'recording.stopped', 'recording.recovered', 'recording.failed'];

export async function recordingInCaseLog(db: Queryable, caseId: string, recordingId: string): Promise<CaseLogVerdict> {
  const { rows } = await db.query<{ type: string; at: number | string; payload: string }>('SELECT type, at, payload FROM events WHERE case_id = $1 AND type = ANY($2::text[]) ORDER BY seq', [caseId, TYPES]);
  let started: z.infer<typeof Started> | null = null;
  let verdict: CaseLogVerdict = { kind: 'unknown' };
  for (const row of rows) {
    let payload: unknown;
    try {
      payload = JSON.parse(row.payload);
    } catch {
      continue;
    }
    if ((payload as { recordingId?: unknown } | null)?.recordingId !== recordingId) continue;
    if (row.type === 'recording.started') {
      const s = Started.safeParse(payload);
      if (s.success) started = s.data;
      if (verdict.kind === 'unknown') verdict = { kind: 'unsealed' };
      continue;
    }
    if (row.type === 'recording.failed') {
      verdict = { kind: 'failed', why: 'the recording failed while it was written (recording.failed)' };
      continue;
    }
    const sealed = Sealed.safeParse(payload);
    if (!sealed.success) {
      verdict = { kind: 'failed', why: `its ${row.type} event does not carry the digests an upload is checked against` };
      continue;
    }
    if (row.type === 'recording.recovered' && sealed.data.state !== undefined && sealed.data.state !== 'stopped') {
      verdict = { kind: 'failed', why: `recovery left it ${sealed.data.state}` };
      continue;
    }
    const s = sealed.data;
    verdict = {
      kind: 'sealed',
      recording: {
        callId: s.callId ?? null,
        track: s.track ?? null,
        mimeType: 'video/webm',
        chunks: s.chunks,
        bytes: s.bytes,
        sha256: s.sha256,
        chunkListSha256: s.chunkListSha256,
        seekable: s.seekable,
        durationMs: s.durationMs ?? null,
        recordedAt: Number(row.at),
      },
    };
  }
  if (verdict.kind === 'sealed' && started?.mimeType && /^(video|audio)\/webm(;[ -~]*)?$/i.test(started.mimeType)) verdict.recording.mimeType = started.mimeType;
  return verdict;
}
