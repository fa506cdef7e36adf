/**
 * Messages between main (EngineSupervisor) and the engine process (src/main/engine/process/engine-main.ts).
 * The same messages travel over child_process.fork (headless host, CLI, tests) and Electron's utilityProcess
 * (the app); both structured-clone them, so pixel buffers are plain Uint8Arrays.
 */
import type { FrameAnalysis, ImageAnalysis } from '../../shared/engine';
import type { ErrorCode } from '../../shared/errors';
import type { EngineConfig } from './config';
import type { ProviderName } from './providers';

export interface InitRequest {
  type: 'init';
  modelsDir: string;
  intraOpThreads: number;
  providers?: ProviderName[];
  config?: Partial<EngineConfig>;
}

export interface FrameRequest {
  type: 'frame';
  /** Matches the reply to this request (a stream's frames may share a capture time). */
  seq: number;
  streamId: string;
  width: number;
  height: number;
  capturedAt: number;
  /** RGBA, width × height × 4. */
  pixels: Uint8Array;
  droppedFrames: number;
  /** The stream's key-frame pacing allows an embedding on this frame (if its quality passes). */
  embeddingAllowed: boolean;
  /**
   * Offline analysis (a file, a recording): the reply waits for this frame's embedding and for every model
   * scheduled on it, so the same frames always give the same results. Live streams never wait.
   */
  offline?: boolean;
}

export interface ImageRequest {
  type: 'image';
  id: number;
  bytes: Uint8Array;
}

/** The stream ended: the engine forgets its tracking state. */
export interface ReleaseRequest {
  type: 'release';
  streamId: string;
}

/** Test hook: the engine process dies the way a native fault kills it (process.abort(), SIGABRT). */
export interface AbortRequest {
  type: 'abort';
}

export type EngineRequest = InitRequest | FrameRequest | ImageRequest | ReleaseRequest | AbortRequest;

export interface ProviderProbe {
  provider: ProviderName;
  used: boolean;
  /** e.g. 'loaded', 'not bundled with onnxruntime-node', 'failed: …', 'not tried: cpu loaded first'. */
  reason: string;
}

export type EngineReply =
  | { type: 'ready'; provider: ProviderName; modelSha256: Record<string, string>; probes: ProviderProbe[] }
  | { type: 'initError'; code: ErrorCode; message: string; probes?: ProviderProbe[] }
  | { type: 'frameResult'; seq: number; result: FrameAnalysis }
  | { type: 'frameError'; seq: number; streamId: string; message: string }
  | { type: 'imageResult'; id: number; result: ImageAnalysis }
  | { type: 'imageError'; id: number; code: ErrorCode; message: string };
