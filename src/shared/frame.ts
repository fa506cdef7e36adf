/**
 * The frame channel: the renderer sends downsampled video frames to main as one binary message each.
 *
 * Layout (little endian), 48-byte header then pixels:
 *   0  'VDF1' magic        4  u16 version (1)   6  u16 pixel format (1 = RGBA)
 *   8  u16 width          10  u16 height        12 u32 reserved (0)
 *  16  f64 capture time (ms since epoch)         24 stream id, 24 bytes ASCII, zero padded
 */
export const FRAME_MAGIC = 0x31464456; // 'VDF1' read as little-endian u32
export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 48;
export const PIXEL_FORMAT_RGBA = 1;
export const MAX_FRAME_WIDTH = 640;
export const MAX_FRAME_HEIGHT = 640;
export const MAX_FRAME_BYTES = FRAME_HEADER_BYTES + MAX_FRAME_WIDTH * MAX_FRAME_HEIGHT * 4;
const STREAM_ID_BYTES = 24;
export const STREAM_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,23}$/;

export interface FrameHeader {
  streamId: string;
  width: number;
  height: number;
  capturedAt: number;
}

export interface Frame extends FrameHeader {
  /** RGBA pixels, width × height × 4 bytes; a view into the message, not a copy. */
  rgba: Uint8Array;
}

export class FrameFormatError extends Error {
  override name = 'FrameFormatError';
}

/** Largest size ≤ maxWidth wide that keeps the aspect ratio (never upscales). */
export function analysisSize(width: number, height: number, maxWidth: number): { width: number; height: number } {
  const scale = Math.min(1, maxWidth / width, MAX_FRAME_HEIGHT / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

export function encodeFrame(header: FrameHeader, rgba: Uint8Array | Uint8ClampedArray): ArrayBuffer {
  if (!STREAM_ID_PATTERN.test(header.streamId)) throw new FrameFormatError(`invalid stream id`);
  if (rgba.byteLength !== header.width * header.height * 4) throw new FrameFormatError('pixel buffer size does not match width × height × 4');
  const buffer = new ArrayBuffer(FRAME_HEADER_BYTES + rgba.byteLength);
  const view = new DataView(buffer);
  view.setUint32(0, FRAME_MAGIC, true);
  view.setUint16(4, FRAME_VERSION, true);
  view.setUint16(6, PIXEL_FORMAT_RGBA, true);
  view.setUint16(8, header.width, true);
  view.setUint16(10, header.height, true);
  view.setFloat64(16, header.capturedAt, true);
  new Uint8Array(buffer, 24, STREAM_ID_BYTES).set(new TextEncoder().encode(header.streamId));
  new Uint8Array(buffer, FRAME_HEADER_BYTES).set(rgba);
  return buffer;
}

/** Parses and validates a frame message; throws FrameFormatError on anything malformed. */
export function decodeFrame(data: ArrayBuffer | Uint8Array): Frame {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.byteLength < FRAME_HEADER_BYTES) throw new FrameFormatError('frame shorter than its header');
  if (bytes.byteLength > MAX_FRAME_BYTES) throw new FrameFormatError('frame larger than the maximum analysis size');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== FRAME_MAGIC) throw new FrameFormatError('not a frame message (bad magic)');
  if (view.getUint16(4, true) !== FRAME_VERSION) throw new FrameFormatError('unsupported frame version');
  if (view.getUint16(6, true) !== PIXEL_FORMAT_RGBA) throw new FrameFormatError('unsupported pixel format');
  const width = view.getUint16(8, true);
  const height = view.getUint16(10, true);
  if (width === 0 || height === 0 || width > MAX_FRAME_WIDTH || height > MAX_FRAME_HEIGHT) {
    throw new FrameFormatError(`frame size ${width}×${height} outside 1..${MAX_FRAME_WIDTH}`);
  }
  if (bytes.byteLength !== FRAME_HEADER_BYTES + width * height * 4) throw new FrameFormatError('pixel data length does not match the header');
  const capturedAt = view.getFloat64(16, true);
  if (!Number.isFinite(capturedAt)) throw new FrameFormatError('invalid capture time');
  const idBytes = bytes.subarray(24, 24 + STREAM_ID_BYTES);
  const end = idBytes.indexOf(0);
  const streamId = new TextDecoder().decode(end === -1 ? idBytes : idBytes.subarray(0, end));
  if (!STREAM_ID_PATTERN.test(streamId)) throw new FrameFormatError('invalid stream id');
  return { streamId, width, height, capturedAt, rgba: bytes.subarray(FRAME_HEADER_BYTES) };
}
