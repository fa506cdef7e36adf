/**
 * Which image formats a reference photo may be, decided from its first bytes: JPEG, PNG and WebP only
 * (the workstation's engine accepts exactly these, src/main/engine/image-type.ts; server/ may not
 * import src/main, so this is the server's own copy of the signature check).
 */

export const REFERENCE_PHOTO_MIME_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type ReferencePhotoMime = (typeof REFERENCE_PHOTO_MIME_TYPES)[number];

export const isReferencePhotoMime = (value: string): value is ReferencePhotoMime => (REFERENCE_PHOTO_MIME_TYPES as readonly string[]).includes(value);

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Below these sizes a body with the right signature cannot hold an image (same bounds as the engine). */
const MIN_BYTES: Record<ReferencePhotoMime, number> = { 'image/jpeg': 100, 'image/png': 67, 'image/webp': 26 };

function startsWith(bytes: Uint8Array, prefix: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[offset + i] !== prefix[i]) return false;
  return true;
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  if (bytes.length < offset + length) return '';
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

/** The accepted format the bytes start with, or null. Only the signature is checked, not the whole file. */
export function sniffReferencePhoto(bytes: Uint8Array): ReferencePhotoMime | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, PNG_SIGNATURE)) return 'image/png';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') {
    const chunk = ascii(bytes, 12, 4);
    if (chunk === 'VP8 ' || chunk === 'VP8L' || chunk === 'VP8X') return 'image/webp';
  }
  return null;
}

/** A short description of a refused body, for the error message ("it looks like …"). */
function describe(bytes: Uint8Array): string {
  const head = ascii(bytes, 0, Math.min(bytes.length, 4));
  if (head === 'GIF8') return 'a GIF image';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'a TIFF image';
  if (ascii(bytes, 0, 2) === 'BM') return 'a BMP image';
  if (head === 'RIFF') return 'a RIFF container that is not a WebP image';
  if (ascii(bytes, 4, 4) === 'ftyp') return 'a HEIF/AVIF/MP4 file';
  if (head === '%PDF') return 'a PDF document';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'a ZIP archive';
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 256)).trimStart().toLowerCase();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) return 'an SVG drawing';
  if (text.startsWith('<!doctype html') || text.includes('<html')) return 'an HTML page';
  if (text.startsWith('{') || text.startsWith('[')) return 'JSON text';
  const hex = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');
  return `unknown content starting ${hex}`;
}

const NAMES: Record<ReferencePhotoMime, string> = { 'image/jpeg': 'JPEG', 'image/png': 'PNG', 'image/webp': 'WebP' };

/**
 * Checks a body against its declared Content-Type: the type it really is, or a message saying why it
 * is refused (never quoting the bytes themselves).
 */
export function checkReferencePhoto(bytes: Uint8Array, declared: ReferencePhotoMime): { ok: true; mime: ReferencePhotoMime } | { ok: false; message: string } {
  if (bytes.byteLength === 0) return { ok: false, message: 'the body is empty: send the image bytes' };
  const mime = sniffReferencePhoto(bytes);
  if (mime === null) return { ok: false, message: `the body is not a JPEG, PNG or WebP image (it looks like ${describe(bytes)})` };
  if (bytes.byteLength < MIN_BYTES[mime]) return { ok: false, message: `the ${NAMES[mime]} image is truncated (only ${bytes.byteLength} bytes)` };
  if (mime !== declared) return { ok: false, message: `the body is a ${NAMES[mime]} image but Content-Type says ${declared}` };
  return { ok: true, mime };
}
