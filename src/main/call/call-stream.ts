/**
 * A call's customer video on the frame channel: its stream id, and the slim per-frame result the
 * renderer's overlay gets (no embedding ever leaves main).
 */
import { randomBytes } from 'node:crypto';
import type { LiveAnalysis } from '../../shared/call';
import type { FrameAnalysis } from '../../shared/engine';
import { STREAM_ID_PATTERN } from '../../shared/frame';

export const CALL_STREAM_PREFIX = 'call-';

/** 16 lower-case hex characters: a valid CallId and, prefixed, a valid frame stream id (≤ 24 chars, lower case). */
export const newCallId = (): string => randomBytes(8).toString('hex');

export function callStreamId(callId: string): string {
  const streamId = `${CALL_STREAM_PREFIX}${callId}`;
  if (!STREAM_ID_PATTERN.test(streamId)) throw new Error('call id does not make a valid frame stream id');
  return streamId;
}

export const isCallStream = (streamId: string): boolean => streamId.startsWith(CALL_STREAM_PREFIX);

/** What the overlay needs from one analysed frame; `analysedAt` is when main received it (latency benchmark). */
export function toLiveAnalysis(result: FrameAnalysis, analysedAt: number): LiveAnalysis {
  return {
    streamId: result.streamId,
    capturedAt: result.capturedAt,
    analysedAt,
    width: result.width,
    height: result.height,
    faceCount: result.faceCount,
    primary: result.primary,
  };
}

export interface AnalysisForwardOptions {
  /** EngineService.onAnalysis. */
  onAnalysis(listener: (result: FrameAnalysis) => void): () => void;
  /** The active call's stream id, or null when no call is live. */
  activeStreamId(): string | null;
  emit(analysis: LiveAnalysis): void;
  now?: () => number;
}

/**
 * Forwards engine results for the live call's customer video to the renderer (`engine.analysis`);
 * the agent's own camera and streams of ended calls are not sent. Returns the unsubscribe.
 */
export function forwardCallAnalysis(options: AnalysisForwardOptions): () => void {
  const now = options.now ?? Date.now;
  return options.onAnalysis((result) => {
    if (!isCallStream(result.streamId) || result.streamId !== options.activeStreamId()) return;
    options.emit(toLiveAnalysis(result, now()));
  });
}
