/**
 * Offline verification of a recording (`veridesk verify`): the same VerificationSession as a live call, fed with
 * every frame of the file through EngineService.analyzeFrame(…, { offline: true }) — in order, nothing dropped, the
 * engine waiting for each key frame's embedding — so the same files give the same report. The session's clock is
 * the video's own time (ms from the first frame); there are no case events, so the active challenge and the
 * spoken code are 'not_run' ('no_case_events').
 */
import type { ServiceType } from '../../shared/cases';
import type { FrameAnalysis, ImageAnalysis } from '../../shared/engine';
import type { VerificationReport } from '../../shared/verification';
import { loadManifest } from '../engine/manifest';
import type { EngineService } from '../engine/service';
import { openVideo, readY4m } from '../engine/video';
import { analyzeInOrder } from '../engine/timeline';
import type { VerificationConfig } from './config';
import { VerificationSession } from './session';

export interface OfflineVerifyOptions {
  /** ID photo bytes (JPEG, PNG or WebP). */
  idPhoto: Uint8Array;
  /** Video file: .y4m natively, anything else through ffmpeg. */
  video: string;
  serviceType?: ServiceType;
  /** The claimed ID number (id_consistency); never printed. */
  idNumber?: string;
  /** The date the claimed age is computed on (default: today). */
  date?: Date;
  /** Models folder, for the model versions in the report. */
  modelsDir?: string;
  maxFrames?: number;
  maxWidth?: number;
  config?: Partial<VerificationConfig>;
  /** Called after each frame (progress, benchmarks). */
  onFrame?: (analysis: FrameAnalysis, session: VerificationSession) => void;
}

export interface OfflineVerifyResult {
  report: VerificationReport;
  idPhoto: { faces: number; hasEmbedding: boolean };
  frames: number;
  skippedFrames: number;
  fps: number;
  durationSeconds: number;
  /** Processing times (wall clock; never part of the report). */
  elapsedMs: number;
  idPhotoMs: number;
}

/** The stream id the file's frames use (released afterwards, so a second run starts from fresh tracking). */
export const OFFLINE_STREAM_ID = 'verify';


function modelVersions(modelsDir: string | undefined, calibrationSha: string): Record<string, string> {
  if (!modelsDir) return { fr_feature: calibrationSha };
  try {
    const manifest = loadManifest(modelsDir);
    return Object.fromEntries(Object.entries(manifest.models).map(([name, m]) => [name, m.sha256]));
  } catch {
    return { fr_feature: calibrationSha };
  }
}

export async function verifyVideo(engine: EngineService, options: OfflineVerifyOptions): Promise<OfflineVerifyResult> {
  const started = performance.now();
  const calibration = engine.getCalibration();
  let videoTime = 0;
  const date = options.date ?? new Date();
  const session = new VerificationSession({
    serviceType: options.serviceType ?? 'transact',
    calibration,
    clock: { now: () => videoTime },
    mode: 'offline',
    streamId: OFFLINE_STREAM_ID,
    modelVersions: modelVersions(options.modelsDir, calibration.modelSha256),
    date: () => date,
    config: options.config,
  });
  const id: ImageAnalysis = await engine.analyzeImage(options.idPhoto);
  const idPhotoMs = performance.now() - started;
  session.setIdPhoto(id);
  if (options.idNumber) session.setIdNumber(options.idNumber);

  // fresh tracking state, whatever ran on this engine before
  engine.releaseStream(OFFLINE_STREAM_ID);
  const { stream, close } = openVideo(options.video, options.maxWidth ?? 640);
  let frames = 0;
  let skipped = 0;
  let fps = 30;
  try {
    for await (const f of readY4m(stream, options.maxFrames)) {
      fps = f.fps;
      videoTime = f.time * 1000;
      const result = await analyzeInOrder(engine, { streamId: OFFLINE_STREAM_ID, width: f.width, height: f.height, capturedAt: videoTime, rgba: f.rgba });
      if (!result) {
        skipped++;
        continue;
      }
      frames++;
      session.onFrame(result);
      options.onFrame?.(result, session);
    }
  } finally {
    close();
    engine.releaseStream(OFFLINE_STREAM_ID);
  }
  return {
    report: session.report(),
    idPhoto: { faces: id.faces.length, hasEmbedding: id.embedding !== null },
    frames,
    skippedFrames: skipped,
    fps,
    durationSeconds: (frames + skipped) / fps,
    elapsedMs: performance.now() - started,
    idPhotoMs,
  };
}
