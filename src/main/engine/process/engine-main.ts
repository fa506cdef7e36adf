/**
 * The engine process (DESIGN.md §5): every model runs here, never in main, so a native fault in
 * onnxruntime, a GPU driver or libvips ends this process only (main's supervisor restarts it).
 * Started by child_process.fork (headless host, CLI, tests) or Electron's utilityProcess (the app); built as
 * out/main/engine-process.js. It receives only frames and image bytes (stills: JPEG, PNG or WebP, checked by
 * their first bytes before libvips sees them).
 *
 *   main thread: the every-frame path (tracking pipeline) and still images
 *   embedding thread: fr_feature only (embedding-lane.ts)
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FrameAnalysis } from '../../../shared/engine';
import { AppFailure, isErrorCode } from '../../../shared/errors';
import { DEFAULT_CONFIG, type EngineConfig } from '../config';
import { decodeImage, restrictDecodersToStillImages } from '../decode';
import { assertStillImage } from '../image-type';
import { ENGINE_MODELS, loadManifest } from '../manifest';
import { createSessions, SessionLoadFailure, type ModelSessions } from '../models/sessions';
import type { EngineReply, EngineRequest, FrameRequest, InitRequest } from '../protocol';
import { analyzeStill } from '../still';
import { FramePipeline } from '../tracking/frame-pipeline';
import { EmbeddingLane, type EmbeddingDone } from './embedding-lane';
import { parentPort } from './parent-port';

restrictDecodersToStillImages();
const port = parentPort();
const reply = (m: EngineReply) => port.send(m);

interface Engine {
  sessions: ModelSessions;
  lane: EmbeddingLane;
  pipeline: FramePipeline;
  config: EngineConfig;
  /** Finished live embeddings, waiting to ride on their stream's next result. */
  finished: Map<string, EmbeddingDone>;
}

let engine: Engine | null = null;

/** The models of the every-frame path and stills; fr_feature lives in the embedding thread. */
const FRAME_MODELS = ENGINE_MODELS.filter((m) => m !== 'fr_feature');

function embedderUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('./embedding-worker.ts', here);
  const candidates = ['./engine-embedder.js', '../engine-embedder.js', './engine-embedder.mjs', '../engine-embedder.mjs'].map((n) => new URL(n, here));
  const found = candidates.find((u) => existsSync(fileURLToPath(u)));
  if (!found) throw new AppFailure('UNAVAILABLE', 'engine-embedder.js not found next to the engine process (rebuild with: npm run build)');
  return found;
}

function failure(error: unknown): { code: ReturnType<typeof codeOf>; message: string } {
  return { code: codeOf(error), message: error instanceof Error ? error.message : String(error) };
}
function codeOf(error: unknown) {
  return error instanceof AppFailure && isErrorCode(error.code) ? error.code : 'INTERNAL';
}

async function init(message: InitRequest): Promise<void> {
  const config: EngineConfig = { ...DEFAULT_CONFIG, ...message.config, quality: { ...DEFAULT_CONFIG.quality, ...message.config?.quality } };
  let sessions: ModelSessions | null = null;
  try {
    sessions = await createSessions({ modelsDir: message.modelsDir, models: FRAME_MODELS, intraOpThreads: message.intraOpThreads, providers: message.providers });
    const lane = await EmbeddingLane.start({ modelsDir: message.modelsDir, intraOpThreads: message.intraOpThreads, providers: sessions.provider === 'cpu' ? ['cpu'] : [sessions.provider, 'cpu'] }, embedderUrl());
    const finished = new Map<string, EmbeddingDone>();
    lane.onDone((d) => finished.set(d.key.streamId, d));
    lane.onFailure((reason) => {
      // without its embedding thread the engine is broken: end the process so main restarts all of it
      console.error(`[engine] ${reason}`);
      process.exit(70);
    });
    const pipeline = new FramePipeline(sessions.run, config);
    engine = { sessions, lane, pipeline, config, finished };
    // the fr_feature sha comes from the manifest even though this thread does not load it
    const modelSha256 = { ...sessions.modelSha256, fr_feature: loadManifest(message.modelsDir).models.fr_feature?.sha256 ?? '' };
    reply({ type: 'ready', provider: sessions.provider, modelSha256, probes: sessions.probes });
  } catch (error) {
    reply({ type: 'initError', ...failure(error), probes: error instanceof SessionLoadFailure ? error.probes : sessions?.probes });
  }
}

async function frame(message: FrameRequest): Promise<void> {
  const e = engine;
  if (!e) return reply({ type: 'frameError', seq: message.seq, streamId: message.streamId, message: 'engine not ready' });
  try {
    const { result, keyFrame } = await e.pipeline.analyze(message.pixels.byteLength === message.width * message.height * 4 ? { ...message, offline: message.offline ?? false } : badSize(message));
    if (keyFrame && message.offline) {
      const { embedding, ms } = await e.lane.embed(keyFrame.aligned);
      attach(result, embedding, keyFrame.capturedAt, ms);
    } else {
      if (keyFrame) e.lane.offer(keyFrame);
      const done = e.finished.get(message.streamId);
      if (done && result.primary) {
        e.finished.delete(message.streamId);
        // an embedding of the face we are still following; one of a face that left is thrown away
        if (done.key.trackId === e.pipeline.trackId(message.streamId)) attach(result, done.embedding, done.key.capturedAt, done.ms);
      }
    }
    reply({ type: 'frameResult', seq: message.seq, result });
  } catch (error) {
    reply({ type: 'frameError', seq: message.seq, streamId: message.streamId, message: failure(error).message });
  }
}

function badSize(message: FrameRequest): never {
  throw new AppFailure('INVALID_PAYLOAD', `frame of ${message.width}×${message.height} carries ${message.pixels.byteLength} bytes`);
}

function attach(result: FrameAnalysis, embedding: Float32Array, keyCapturedAt: number, ms: number): void {
  result.embedding = Array.from(embedding);
  result.ages.embedding = Math.max(0, result.capturedAt - keyCapturedAt);
  result.timingsMs.embedding = ms;
}

async function image(id: number, bytes: Uint8Array): Promise<void> {
  const e = engine;
  if (!e) return reply({ type: 'imageError', id, code: 'UNAVAILABLE', message: 'engine not ready' });
  try {
    assertStillImage(bytes);
    const decoded = await decodeImage(bytes, { maxInputPixels: e.config.maxInputPixels, maxAnalysisSide: e.config.maxAnalysisSide });
    const { embeddingF32: _unused, ...result } = await analyzeStill(e.sessions.run, decoded, e.config, async (aligned) => (await e.lane.embed(aligned)).embedding);
    reply({ type: 'imageResult', id, result });
  } catch (error) {
    reply({ type: 'imageError', id, ...failure(error) });
  }
}

port.onMessage((message: EngineRequest) => {
  switch (message.type) {
    case 'init':
      void init(message);
      return;
    case 'frame':
      void frame(message);
      return;
    case 'image':
      void image(message.id, message.bytes);
      return;
    case 'release':
      engine?.pipeline.release(message.streamId);
      engine?.lane.drop(message.streamId);
      engine?.finished.delete(message.streamId);
      return;
    case 'abort':
      // the way a native fault ends a process: SIGABRT, no JS cleanup, no exit handlers
      process.abort();
  }
});
