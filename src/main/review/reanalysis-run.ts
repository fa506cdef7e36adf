/**
 * The verification session of a live call, run on a recording that arrives as bytes (decrypted in memory, piped
 * to ffmpeg's stdin: never written to disk in clear). Like `veridesk verify` (src/main/verification/offline.ts):
 * every frame in order through EngineService.analyzeFrame(…, { offline: true }), the engine waiting for each key
 * frame's embedding, the session's clock the video's own time — so the same recording gives the same report.
 * Unlike it, the call's recorded facts go in: the device report, the ID number's birth date and gender, and the
 * hand-over-face requests at the moments the agent made them.
 */
import { PassThrough } from 'node:stream';
import type { ServiceType } from '../../shared/cases';
import type { ImageAnalysis } from '../../shared/engine';
import type { VerificationReport } from '../../shared/verification';
import { loadManifest } from '../engine/manifest';
import type { EngineService } from '../engine/service';
import { analyzeInOrder } from '../engine/timeline';
import { openVideoStream, readY4m } from '../engine/video';
import { VerificationSession, type DeviceInput } from '../verification/session';

/** Not a `call-…` stream: during a live call the scheduler serves the customer first and this one after. */
export const REANALYSIS_STREAM_ID = 'reanalysis';
/**
 * The analysis rate. A MediaRecorder WebM has a variable frame rate and y4m has no timestamps, so ffmpeg resamples
 * to this constant rate by the frames' timestamps: frame index / rate is then video time.
 */
export const REANALYSIS_FPS = 30;
/** DESIGN.md §5: analysis resolution ≤ 640 px wide. */
export const REANALYSIS_MAX_WIDTH = 640;

export interface RecordingRunInput {
  idPhoto: Uint8Array;
  feed: (write: (part: Buffer) => void) => Promise<unknown>;
  serviceType: ServiceType;
  /** The day ages are computed on. */
  date: Date;
  idNumber: string | null;
  device: DeviceInput | null;
  /** Video times (ms) of the hand-over-face requests. */
  occlusionAt: readonly number[];
  modelsDir: string;
}

export interface RecordingRunOutput {
  report: VerificationReport;
  idPhoto: { faces: number; usable: boolean };
  video: { frames: number; skippedFrames: number; fps: number; width: number; height: number };
}

function modelVersions(modelsDir: string, calibrationSha: string): Record<string, string> {
  try {
    return Object.fromEntries(Object.entries(loadManifest(modelsDir).models).map(([name, m]) => [name, m.sha256]));
  } catch {
    return { fr_feature: calibrationSha };
  }
}

/** Feeds the recording into a stream for ffmpeg; a feed that fails cuts the stream and its error is kept. */
function startFeed(feed: RecordingRunInput['feed']): { input: PassThrough; done: Promise<unknown> } {
  const input = new PassThrough();
  // streamPlayable writes synchronously: what ffmpeg has not read yet waits here, in memory (at most the WebM)
  const done = feed((part) => void input.write(part)).then(
    () => {
      input.end();
      return null;
    },
    (error: unknown) => {
      input.destroy();
      return error ?? new Error('the recording could not be read');
    },
  );
  return { input, done };
}

export async function analyzeRecording(engine: EngineService, run: RecordingRunInput): Promise<RecordingRunOutput> {
  const calibration = engine.getCalibration();
  let videoTime = 0;
  const session = new VerificationSession({
    serviceType: run.serviceType,
    calibration,
    clock: { now: () => videoTime },
    mode: 'offline',
    streamId: REANALYSIS_STREAM_ID,
    modelVersions: modelVersions(run.modelsDir, calibration.modelSha256),
    date: () => run.date,
  });
  const id: ImageAnalysis = await engine.analyzeImage(run.idPhoto);
  session.setIdPhoto(id);
  if (run.idNumber) session.setIdNumber(run.idNumber);
  if (run.device) session.setDevice(run.device);

  const occlusions = [...run.occlusionAt];
  const video = { frames: 0, skippedFrames: 0, fps: REANALYSIS_FPS, width: 0, height: 0 };
  // fresh tracking state, whatever ran on this engine before
  engine.releaseStream(REANALYSIS_STREAM_ID);
  const { input, done } = startFeed(run.feed);
  const { stream, close } = openVideoStream(input, REANALYSIS_MAX_WIDTH, { fps: REANALYSIS_FPS, label: 'the recording' });
  let decodeError: unknown = null;
  try {
    for await (const f of readY4m(stream)) {
      videoTime = f.time * 1000;
      Object.assign(video, { fps: f.fps, width: f.width, height: f.height });
      // the agent's request, at the moment it was made in the call (the session then watches the next frames)
      while (occlusions.length > 0 && occlusions[0]! <= videoTime) {
        occlusions.shift();
        session.startOcclusionTest();
      }
      const result = await analyzeInOrder(engine, { streamId: REANALYSIS_STREAM_ID, width: f.width, height: f.height, capturedAt: videoTime, rgba: f.rgba });
      if (!result) {
        video.skippedFrames++;
        continue;
      }
      video.frames++;
      session.onFrame(result);
    }
  } catch (error) {
    decodeError = error;
  } finally {
    close();
    engine.releaseStream(REANALYSIS_STREAM_ID);
  }
  // a recording that failed to decrypt or verify explains a decoder that stopped early: its error comes first
  const feedError = await done;
  if (feedError) throw feedError;
  if (decodeError) throw decodeError;
  return { report: session.report(), idPhoto: { faces: id.faces.length, usable: id.embedding !== null }, video };
}
