/**
 * `window.__veridesk_callMetrics`: a read-only snapshot for the call benchmark. Plain numbers only
 * (epoch ms, or null while unknown); never a URL, token or id.
 */

const MAX_SAMPLES = 100_000;

let callStartedAt: number | null = null;
let firstRemoteFrameAt: number | null = null;
let analysisLatencyMs: number[] = [];
let roundTripMs: number[] = [];
let remoteFramesTapped = 0;

export interface CallMetricsSnapshot {
  callStartedAt: number | null;
  firstRemoteFrameAt: number | null;
  /** Per engine.analysis result of the customer's stream: arrival here − the frame's capture time. */
  analysisLatencyMs: number[];
  /** Per result: arrival here − when the frame tap sent it (renderer → main → engine → renderer, no WebRTC). */
  roundTripMs: number[];
  /** Frames of the customer's stream the tap sent to main. */
  remoteFramesTapped: number;
}

export const callMetrics = {
  /** A new call: forget the previous one's numbers. */
  reset(startedAt: number) {
    callStartedAt = startedAt;
    firstRemoteFrameAt = null;
    analysisLatencyMs = [];
    roundTripMs = [];
    remoteFramesTapped = 0;
  },
  remoteFrame(at: number) {
    firstRemoteFrameAt ??= at;
    remoteFramesTapped++;
  },
  analysisLatency(ms: number, roundTrip: number) {
    if (analysisLatencyMs.length < MAX_SAMPLES) analysisLatencyMs.push(Math.round(ms * 10) / 10);
    if (roundTripMs.length < MAX_SAMPLES) roundTripMs.push(Math.round(roundTrip * 10) / 10);
  },
  snapshot(): CallMetricsSnapshot {
    return { callStartedAt, firstRemoteFrameAt, analysisLatencyMs: analysisLatencyMs.slice(), roundTripMs: roundTripMs.slice(), remoteFramesTapped };
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
