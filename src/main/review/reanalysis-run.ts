/**
 * The verification session of a live call, run on a recording that arrives as bytes (decrypted in memory, piped
 * to ffmpeg's stdin: never written to disk in clear). Like `veridesk verify` (src/main/verification/offline.ts):
 * every frame in order through EngineService.analyzeFrame(…, { offline: true }), the engine waiting for each key
 * frame's embedding, the session's clock the video's own time — so the same recording gives the same report.
 * The frames are the recording's own, each once, at its own presentation time (openVideoStream): a MediaRecorder
 * WebM has a variable rate, and resampling it to a constant one would repeat frames, which reads as a frozen
 * (injected) picture to the face-swap screen.
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
import { openVideoStream } from '../engine/video';
import { VerificationSession, type DeviceInput } from '../verification/session';

/** Not a `call-…` stream: during a live call the scheduler serves the customer first and this one after. */
export const REANALYSIS_STREAM_ID = 'reanalysis';
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

/**
 * The recording's mean frame rate, from its frames' times (2 decimals; frames / fps ≈ its length): the rate a
 * variable-rate WebM states is a guess. The stated one for a single frame.
 */
function meanFps(frames: number, lastMs: number, stated: number): number {
  if (frames < 2 || lastMs <= 0) return stated;
  return Math.round(((frames - 1) * 1000 * 100) / lastMs) / 100;
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
  const video = { frames: 0, skippedFrames: 0, fps: 0, width: 0, height: 0 };
  let decoded = 0;
  let lastTime = 0;
  let statedFps = 0;
  // fresh tracking state, whatever ran on this engine before
  engine.releaseStream(REANALYSIS_STREAM_ID);
  const { input, done } = startFeed(run.feed);
  const { frames, close } = openVideoStream(input, REANALYSIS_MAX_WIDTH, { label: 'the recording' });
  let decodeError: unknown = null;
  try {
    for await (const f of frames) {
      // the frame's presentation time (whole µs), in ms from the first frame
      videoTime = Math.round(f.time * 1e6) / 1000;
      decoded++;
      lastTime = videoTime;
      statedFps = f.fps;
      Object.assign(video, { width: f.width, height: f.height });
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
  video.fps = meanFps(decoded, lastTime, statedFps);
  return { report: session.report(), idPhoto: { faces: id.faces.length, usable: id.embedding !== null }, video };
}
