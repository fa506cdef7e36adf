/**
 * `window.__veridesk_callMetrics`: a read-only snapshot for the call benchmark. Plain numbers only
 * (epoch ms, or null while unknown); never a URL, token or id.
 */

const MAX_SAMPLES = 100_000;

let callStartedAt: number | null = null;
let firstRemoteFrameAt: number | null = null;
let analysisLatencyMs: number[] = [];

export interface CallMetricsSnapshot {
  callStartedAt: number | null;
  firstRemoteFrameAt: number | null;
  /** Per engine.analysis result of the customer's stream: arrival here − the frame's capture time. */
  analysisLatencyMs: number[];
}

export const callMetrics = {
  /** A new call: forget the previous one's numbers. */
  reset(startedAt: number) {
    callStartedAt = startedAt;
    firstRemoteFrameAt = null;
    analysisLatencyMs = [];
  },
  remoteFrame(at: number) {
    firstRemoteFrameAt ??= at;
  },
  analysisLatency(ms: number) {
    if (analysisLatencyMs.length < MAX_SAMPLES) analysisLatencyMs.push(Math.round(ms * 10) / 10);
  },
  snapshot(): CallMetricsSnapshot {
    return { callStartedAt, firstRemoteFrameAt, analysisLatencyMs: analysisLatencyMs.slice() };
  },
};

declare global {
  interface Window {
    readonly __veridesk_callMetrics?: CallMetricsSnapshot;
  }
}

/** Defines the getter once; each read returns a fresh copy, so the page's state cannot be changed through it. */
export function installCallMetrics(): void {
  if (Object.getOwnPropertyDescriptor(window, '__veridesk_callMetrics')) return;
  Object.defineProperty(window, '__veridesk_callMetrics', { get: () => callMetrics.snapshot(), enumerable: false, configurable: false });
}
