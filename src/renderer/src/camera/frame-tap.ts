import { analysisSize, encodeFrame } from '../../../shared/frame';

export interface FrameTapOptions {
  streamId: string;
  /** Read for every frame, so a settings change applies at once. */
  maxWidth: () => number;
  /**
   * Read for every frame: the least time between two frames sent (0 or absent: every frame). A call
   * throttles the agent's own camera with it, so the engine's time goes to the customer.
   */
  minIntervalMs?: () => number;
  /** Read for every frame: false skips it before any pixel work (see FramePacer). */
  maySend?: () => boolean;
  /** Told about every frame sent: the capture time the frame header carries, and the frame's metadata. */
  onFrame?(capturedAt: number, metadata: VideoFrameCallbackMetadata | undefined): void;
  send(frame: ArrayBuffer): void;
}

/**
 * Taps a MediaStream: for every new video frame, downsamples it to ≤ maxWidth and sends it as one
 * frame message. Runs on its own detached <video>, so it keeps going whatever page is shown.
 */
export function startFrameTap(stream: MediaStream, options: FrameTapOptions): () => void {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  let canvas: OffscreenCanvas | null = null;
  let context: OffscreenCanvasRenderingContext2D | null = null;
  let stopped = false;
  let handle = 0;
  let lastSentAt = -Infinity;

  const tap = (now?: number, metadata?: VideoFrameCallbackMetadata) => {
    if (stopped) return;
    const interval = options.minIntervalMs?.() ?? 0;
    const due = (interval <= 0 || now === undefined || now - lastSentAt >= interval) && (options.maySend?.() ?? true);
    if (due && video.videoWidth > 0 && video.videoHeight > 0) {
      const { width, height } = analysisSize(video.videoWidth, video.videoHeight, options.maxWidth());
      if (!canvas || canvas.width !== width || canvas.height !== height) {
        canvas = new OffscreenCanvas(width, height);
        context = canvas.getContext('2d', { willReadFrequently: true, alpha: false });
      }
      if (context) {
        context.drawImage(video, 0, 0, width, height);
        const pixels = context.getImageData(0, 0, width, height).data;
        const capturedAt = Date.now();
        lastSentAt = now ?? performance.now();
        options.send(encodeFrame({ streamId: options.streamId, width, height, capturedAt }, pixels));
        options.onFrame?.(capturedAt, metadata);
      }
    }
    handle = video.requestVideoFrameCallback(tap);
  };

  handle = video.requestVideoFrameCallback(tap);
  void video.play().catch(() => undefined);

  return () => {
    stopped = true;
    video.cancelVideoFrameCallback(handle);
    video.srcObject = null;
  };
}
