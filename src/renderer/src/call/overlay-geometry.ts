/**
 * Where an analysed frame lands on screen. The <video> uses object-fit: contain, so the picture is
 * letterboxed inside the element; analysis coordinates (in the downsampled analysis frame) are
 * scaled to that picture rectangle, not to the element.
 */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The rectangle a videoWidth × videoHeight picture occupies inside an element of the given size. */
export function containRect(elementWidth: number, elementHeight: number, videoWidth: number, videoHeight: number): Rect {
  if (elementWidth <= 0 || elementHeight <= 0 || videoWidth <= 0 || videoHeight <= 0) return { x: 0, y: 0, width: 0, height: 0 };
  const scale = Math.min(elementWidth / videoWidth, elementHeight / videoHeight);
  const width = videoWidth * scale;
  const height = videoHeight * scale;
  return { x: (elementWidth - width) / 2, y: (elementHeight - height) / 2, width, height };
}

/** Maps a point of the analysis frame (analysisWidth × analysisHeight) into the displayed picture. */
export function analysisToDisplay(rect: Rect, analysisWidth: number, analysisHeight: number): (x: number, y: number) => [number, number] {
  const sx = analysisWidth > 0 ? rect.width / analysisWidth : 0;
  const sy = analysisHeight > 0 ? rect.height / analysisHeight : 0;
  return (x, y) => [rect.x + x * sx, rect.y + y * sy];
}
