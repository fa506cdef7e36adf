/**
 * Still-image signatures: JPEG, PNG and WebP decided from the first bytes, and a plain description of anything
 * else ("a GIF image", "an HTML page"). One definition for the workstation's engine (src/main/engine/image-type.ts,
 * before libvips sees a byte) and the backend (server/reference-photos/sniff.ts). Pure: no Node, no errors thrown.
 */

export type StillImageType = 'jpeg' | 'png' | 'webp';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Below these sizes a file that starts with the right signature cannot hold an image at all: smallest
 * well-formed PNG = signature + IHDR + IDAT + IEND (67 bytes); WebP = RIFF header + one chunk header + a
 * few bytes of bitstream; JPEG = SOI + quantisation/Huffman tables + SOF + SOS + EOI (well above 100).
 */
export const MIN_STILL_IMAGE_BYTES: Record<StillImageType, number> = { jpeg: 100, png: 67, webp: 26 };

const NAMES: Record<StillImageType, string> = { jpeg: 'JPEG', png: 'PNG', webp: 'WebP' };

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
export function sniffImageType(bytes: Uint8Array): StillImageType | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') {
    const chunk = ascii(bytes, 12, 4);
    if (chunk === 'VP8 ' || chunk === 'VP8L' || chunk === 'VP8X') return 'webp';
  }
  return null;
}

/** What a refused file looks like, for the error message ("looks like …"). */
export function describeContent(bytes: Uint8Array): string {
  const head4 = ascii(bytes, 0, 4);
  if (head4 === 'GIF8') return 'a GIF image';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'a TIFF image';
  if (startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])) return 'a BigTIFF image';
  if (ascii(bytes, 0, 2) === 'BM' && bytes.length >= 14) return 'a BMP image';
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return 'an ICO icon';
  if (head4 === 'RIFF') {
    const form = ascii(bytes, 8, 4);
    if (form === 'WEBP') return 'a WebP file without an image chunk (VP8/VP8L/VP8X)';
    if (form === 'WAVE') return 'a RIFF WAVE audio file';
    if (form === 'AVI ') return 'a RIFF AVI video';
    return 'a RIFF container that is not WebP';
  }
  if (ascii(bytes, 4, 4) === 'ftyp') {
    const brand = ascii(bytes, 8, 4);
    if (/^(heic|heix|heim|heis|hevc|hevx|mif1|msf1)$/.test(brand)) return 'a HEIF/HEIC image';
    if (/^avi[fs]$/.test(brand)) return 'an AVIF image';
    return `an MP4/QuickTime file (${brand.trim() || 'no brand'})`;
  }
  if (startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || startsWith(bytes, [0xff, 0x4f, 0xff, 0x51])) return 'a JPEG 2000 image';
  if (startsWith(bytes, [0xff, 0x0a]) || startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) return 'a JPEG XL image';
  if (head4 === '8BPS') return 'a Photoshop document';
  if (head4 === '%PDF') return 'a PDF document';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'a ZIP archive (or an Office document)';
  if (startsWith(bytes, [0x1f, 0x8b])) return 'a gzip archive';
  if (startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3])) return 'a Matroska/WebM video';
  if (head4 === 'OggS') return 'an Ogg media file';
  if (startsWith(bytes, [0x7f, 0x45, 0x4c, 0x46])) return 'an ELF executable';
  if (ascii(bytes, 0, 2) === 'MZ') return 'a Windows executable';
  if (ascii(bytes, 0, 9) === 'YUV4MPEG2') return 'a raw Y4M video';

  const text = textPrefix(bytes);
  if (text !== null) {
    const t = text.trimStart().toLowerCase();
    if (t.startsWith('<svg') || (t.startsWith('<?xml') && t.includes('<svg'))) return 'an SVG drawing';
    if (t.startsWith('<!doctype html') || t.startsWith('<html') || t.includes('<html')) return 'an HTML page';
    if (t.startsWith('<?xml')) return 'an XML document';
    if (t.startsWith('{') || t.startsWith('[')) return 'JSON text';
    return 'a text file';
  }
  const hex = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');
  return `unknown content starting ${hex}`;
}

/** The first bytes decoded as text when they look like text (UTF-8 / ASCII, optional BOM), else null. */
export function textPrefix(bytes: Uint8Array): string | null {
  let head = bytes.subarray(0, 512);
  if (startsWith(head, [0xef, 0xbb, 0xbf])) head = head.subarray(3);
  if (head.length === 0) return null;
  let control = 0;
  for (const b of head) {
    if (b === 0) return null;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) control++;
  }
  if (control > head.length / 50) return null;
  try {
    // stream: a multi-byte character cut at the end of the window is not a reason to call it binary
    return new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    return null;
  }
}

/** 'JPEG', 'PNG', 'WebP': for messages. */
export const stillImageName = (type: StillImageType): string => NAMES[type];
