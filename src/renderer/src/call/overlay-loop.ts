/**
 * Binds the latest analysis to the overlay canvas: the canvas's data attributes follow every
 * result at once (the tests and the benchmark read them), the drawing follows animation frames and
 * is redone only when something visible changed (a new result, a result going stale, a resize, the
 * landmarks toggle).
 */
import { drawOverlay, isFresh, isLagging } from './overlay-draw';
import { latestAnalysis, onAnalysis, type ReceivedAnalysis } from './live-analysis';

export function startOverlay(video: HTMLVideoElement, canvas: HTMLCanvasElement, landmarks: () => boolean): () => void {
  const setAttributes = (received: ReceivedAnalysis | null) => {
    canvas.dataset.faceCount = received ? String(received.analysis.faceCount) : '';
    canvas.dataset.analysedAt = received ? String(received.analysis.analysedAt) : '';
  };
  setAttributes(latestAnalysis());
  const unsubscribe = onAnalysis(setAttributes);

  let drawn = '';
  let handle = 0;
  const frame = () => {
    const received = latestAnalysis();
    const now = Date.now();
    const fresh = received && isFresh(received.analysis, now) ? received.analysis : null;
    const key = `${fresh?.capturedAt ?? '-'}|${fresh && isLagging(fresh, now)}|${canvas.clientWidth}x${canvas.clientHeight}|${video.videoWidth}x${video.videoHeight}|${landmarks()}`;
    if (key !== drawn) {
      drawn = key;
      // what is on the canvas right now, for the tests: a face box was drawn or not
      canvas.dataset.drawn = String(drawOverlay(canvas, { analysis: fresh, landmarks: landmarks(), video, now }));
    }
    handle = requestAnimationFrame(frame);
  };
  handle = requestAnimationFrame(frame);
  return () => {
    cancelAnimationFrame(handle);
    unsubscribe();
  };
}
