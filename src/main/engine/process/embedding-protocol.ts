/** Messages between the engine process and its embedding thread. */
import type { ProviderName } from '../providers';

export interface EmbedderInit {
  modelsDir: string;
  intraOpThreads: number;
  providers?: ProviderName[];
}

export interface EmbedderRequest {
  id: number;
  /** 112×112 aligned RGB crop, HWC, transferred. */
  aligned: Float32Array;
}

export type EmbedderReply =
  | { type: 'ready'; provider: ProviderName }
  | { type: 'initError'; message: string }
  | { type: 'embedding'; id: number; embedding: Float32Array; ms: number }
  | { type: 'error'; id: number; message: string };
