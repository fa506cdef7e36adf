/**
 * The latest engine.analysis result for the customer's stream, outside React: results arrive at
 * the video's frame rate and only the overlay canvas needs each one, so they do not go through the
 * store (which would re-render the workspace 30 times a second).
 *
 * Also the analysis latency: each frame the remote frame tap sends is remembered with its real
 * capture time (requestVideoFrameCallback's metadata.captureTime, on the performance clock, turned
 * into epoch ms through performance.timeOrigin); a result's latency is its arrival here minus that,
 * or minus the tap time when the browser gave no capture time.
 */
import type { LiveAnalysis } from '../../../shared/call';
import { callMetrics } from './call-metrics';

export interface ReceivedAnalysis {
  analysis: LiveAnalysis;
  receivedAt: number;
}

const TRACKED_FRAMES = 240;
/** A capture time further than this before the tap is not believed (clock-sync estimates can be off). */
const MAX_CAPTURE_SKEW_MS = 10_000;

let latest: ReceivedAnalysis | null = null;
const listeners = new Set<(received: ReceivedAnalysis | null) => void>();
/** tap time (the frame header's capturedAt) → capture time, epoch ms; insertion-ordered, so oldest first. */
const captureTimes = new Map<number, number>();

export function latestAnalysis(): ReceivedAnalysis | null {
  return latest;
}

export function onAnalysis(listener: (received: ReceivedAnalysis | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Called by the remote frame tap for every frame it sends. */
export function noteRemoteFrame(tappedAt: number, metadata: VideoFrameCallbackMetadata | undefined): void {
  callMetrics.remoteFrame(tappedAt);
  const capture = metadata?.captureTime;
  if (typeof capture !== 'number' || !Number.isFinite(capture) || capture <= 0) return;
  const epoch = performance.timeOrigin + capture;
  if (epoch > tappedAt + 5 || tappedAt - epoch > MAX_CAPTURE_SKEW_MS) return;
  captureTimes.set(tappedAt, epoch);
  if (captureTimes.size > TRACKED_FRAMES) captureTimes.delete(captureTimes.keys().next().value!);
}

export function publishAnalysis(analysis: LiveAnalysis): void {
  const receivedAt = Date.now();
  const capturedAt = captureTimes.get(analysis.capturedAt) ?? analysis.capturedAt;
  callMetrics.analysisLatency(receivedAt - capturedAt, receivedAt - analysis.capturedAt);
  latest = { analysis, receivedAt };
  listeners.forEach((listener) => listener(latest));
}

export function clearAnalysis(): void {
  latest = null;
  captureTimes.clear();
  listeners.forEach((listener) => listener(null));
}
