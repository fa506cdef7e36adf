/** Messages between EngineService (main thread) and the engine worker. */
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
  streamId: string;
  width: number;
  height: number;
  capturedAt: number;
  /** RGBA, transferred. */
  pixels: ArrayBuffer;
  droppedFrames: number;
  embeddingAllowed: boolean;
}

export interface ImageRequest {
  type: 'image';
  id: number;
  bytes: ArrayBuffer;
}

/** Test hook: makes the worker die like a native crash would. */
export interface CrashRequest {
  type: 'crash';
}

export type WorkerRequest = InitRequest | FrameRequest | ImageRequest | CrashRequest;

export type WorkerReply =
  | { type: 'ready'; provider: ProviderName; modelSha256: Record<string, string> }
  | { type: 'initError'; code: ErrorCode; message: string }
  | { type: 'frameResult'; result: FrameAnalysis }
  | { type: 'frameError'; streamId: string; message: string }
  | { type: 'imageResult'; id: number; result: ImageAnalysis }
  | { type: 'imageError'; id: number; code: ErrorCode; message: string };
