import { analysisSize, encodeFrame } from '../../../shared/frame';

export interface FrameTapOptions {
  streamId: string;
  /** Read for every frame, so a settings change applies at once. */
  maxWidth: () => number;
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

  const tap = () => {
    if (stopped) return;
    if (video.videoWidth > 0 && video.videoHeight > 0) {
      const { width, height } = analysisSize(video.videoWidth, video.videoHeight, options.maxWidth());
      if (!canvas || canvas.width !== width || canvas.height !== height) {
        canvas = new OffscreenCanvas(width, height);
        context = canvas.getContext('2d', { willReadFrequently: true, alpha: false });
      }
      if (context) {
        context.drawImage(video, 0, 0, width, height);
        const pixels = context.getImageData(0, 0, width, height).data;
        options.send(encodeFrame({ streamId: options.streamId, width, height, capturedAt: Date.now() }, pixels));
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
