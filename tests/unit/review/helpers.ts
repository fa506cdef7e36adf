/**
 * Real recordings for the review tests: a WebM made at test time with ffmpeg from the shared test videos (never
 * copied into the repo), cut into MediaRecorder-like chunks and written by the real RecordingService.
 */
import { execFileSync } from 'node:child_process';
import type { CaseStore } from '../../../src/main/caselog/store';
import { silentLogger } from '../../../src/main/log/logger';
import { RecordingService } from '../../../src/main/recording/recording-service';
import { testdata } from '../../support/testdata';
import { splitChunks, withUnknownSizeClusters, type TestMedia } from '../recording/helpers';

export { mediaSkipReason, mediaTitle, openCase, openStore, tempDir } from '../recording/helpers';

/** A live WebM (VP8 + Opus, Segment of unknown size, like MediaRecorder's) of the first `seconds` of a test video. */
export function webmFromTestVideo(name = 'live_blink_talk.mp4', seconds = 4, options: { loop?: boolean } = {}): TestMedia {
  const webm = execFileSync(
    'ffmpeg',
    [
      '-v', 'error',
      ...(options.loop ? ['-stream_loop', '-1'] : []),
      '-i', testdata('faces/video', name),
      '-t', String(seconds),
      '-vf', 'scale=240:240',
      '-c:v', 'libvpx', '-g', '15', '-b:v', '250k', '-deadline', 'realtime', '-cpu-used', '8',
      '-c:a', 'libopus', '-b:a', '32k',
      '-f', 'webm', '-live', '1', '-',
    ],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  // Chrome's MediaRecorder streams every Cluster with an unknown size: the recordings under test look the same
  return withUnknownSizeClusters({ webm, seconds });
}

export interface WrittenRecording {
  service: RecordingService;
  recordingId: string;
  chunks: Buffer[];
}

/** Writes `media` as one track of a call, `perSecond` chunks a second; stopped (sealed, seekable) unless told not to. */
export async function writeRecording(
  store: CaseStore,
  caseId: string,
  media: TestMedia,
  options: { perSecond?: number; stop?: boolean; track?: 'customer' | 'agent'; startedAt?: number; service?: RecordingService } = {},
): Promise<WrittenRecording> {
  const service = options.service ?? new RecordingService({ store, log: silentLogger });
  const { recordingId } = service.start({ caseId, callId: 'call-0000review', track: options.track ?? 'customer', mimeType: 'video/webm;codecs=vp8,opus', startedAt: options.startedAt ?? 1_700_000_000_000, actor: 'agent-7' });
  const chunks = splitChunks(media, options.perSecond ?? 3);
  for (const [seq, chunk] of chunks.entries()) service.appendChunk(recordingId, seq, chunk);
  if (options.stop !== false) await service.stop(recordingId);
  return { service, recordingId, chunks };
}

export { seededRandom as seeded } from '../../../src/common/seeded-random';
