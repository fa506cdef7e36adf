/**
 * Draws the latest analysis of the customer's video over the remote <video>: the primary face box
 * and, when asked, its 68 landmarks. A result older than LAGGING_ANALYSIS_MS is drawn dashed (the
 * engine is behind the picture: on a busy 2-core PC that is most of the time during a recorded call),
 * and one older than STALE_ANALYSIS_MS not at all, so a box never lingers where the face no longer is.
 */
import type { LiveAnalysis } from '../../../shared/call';
import { analysisToDisplay, containRect } from './overlay-geometry';

/** Age (since the frame was tapped) beyond which the box is shown as lagging behind the picture. */
export const LAGGING_ANALYSIS_MS = 300;
/** Age beyond which a result no longer describes what is on screen. */
export const STALE_ANALYSIS_MS = 1000;

export const isFresh = (analysis: LiveAnalysis, now = Date.now()): boolean => now - analysis.capturedAt <= STALE_ANALYSIS_MS;
export const isLagging = (analysis: LiveAnalysis, now = Date.now()): boolean => now - analysis.capturedAt > LAGGING_ANALYSIS_MS;

export interface OverlayInput {
  analysis: LiveAnalysis | null;
  landmarks: boolean;
  video: HTMLVideoElement;
  now?: number;
}

/** Clears the canvas (sized to its CSS box × devicePixelRatio) and draws the input; returns whether anything was drawn. */
export function drawOverlay(canvas: HTMLCanvasElement, input: OverlayInput): boolean {
  const dpr = window.devicePixelRatio || 1;
  const cssWidth = canvas.clientWidth;
  const cssHeight = canvas.clientHeight;
  const width = Math.round(cssWidth * dpr);
  const height = Math.round(cssHeight * dpr);
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const context = canvas.getContext('2d');
  if (!context) return false;
  context.setTransform(1, 0, 0, 1, 0, 0);
  context.clearRect(0, 0, width, height);
  const { analysis, video } = input;
  const face = analysis?.primary;
  if (!analysis || !face || !isFresh(analysis, input.now)) return false;

  context.scale(dpr, dpr);
  const rect = containRect(cssWidth, cssHeight, video.videoWidth, video.videoHeight);
  const map = analysisToDisplay(rect, analysis.width, analysis.height);
  const [x0, y0] = map(face.box.x, face.box.y);
  const [x1, y1] = map(face.box.x + face.box.width, face.box.y + face.box.height);
  const ok = face.quality?.ok ?? true;
  context.lineWidth = 2;
  context.setLineDash(isLagging(analysis, input.now) ? [6, 4] : []);
  context.strokeStyle = ok ? '#2da44e' : '#d4a72c';
  context.strokeRect(x0, y0, x1 - x0, y1 - y0);

  if (input.landmarks && face.landmarks) {
    context.fillStyle = '#58a6ff';
    for (const [lx, ly] of face.landmarks) {
      const [px, py] = map(lx, ly);
      context.fillRect(px - 1.5, py - 1.5, 3, 3);
    }
  }
  return true;
}
