/**
 * Still-image decoding with sharp: JPEG, PNG and WebP only — the format is checked from the first bytes
 * (image-type.ts) before libvips sees the file, and libvips must then agree on it. EXIF orientation applied,
 * alpha flattened, downscaled for analysis. Bad input becomes an AppFailure, never a crash, and huge images
 * are refused from their header before any pixel is decoded (bounded memory).
 */
import sharp from 'sharp';
import { AppFailure } from '../../shared/errors';
import type { RawImage } from './image';
import { assertStillImage, stillImageName, type StillImageType } from './image-type';

export interface DecodeLimits {
  maxInputPixels: number;
  maxAnalysisSide: number;
  /** Largest encoded file accepted (bytes). */
  maxBytes?: number;
}

const SUPPORTED: ReadonlySet<string> = new Set<StillImageType>(['jpeg', 'png', 'webp']);
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

export interface DecodedImage extends RawImage {
  channels: 3;
  /** Size of the original after EXIF rotation, before downscaling. */
  originalWidth: number;
  originalHeight: number;
  format: StillImageType;
}

export async function decodeImage(input: Uint8Array, limits: DecodeLimits): Promise<DecodedImage> {
  if (input.byteLength === 0) throw new AppFailure('CORRUPT_INPUT', 'the image file is empty (0 bytes)');
  if (input.byteLength > (limits.maxBytes ?? DEFAULT_MAX_BYTES)) {
    throw new AppFailure('CORRUPT_INPUT', `the image file is too large (${(input.byteLength / 1e6).toFixed(1)} MB)`);
  }
  // Before sharp: only these three formats ever reach a libvips loader.
  const sniffed = assertStillImage(input);
  const name = stillImageName(sniffed);
  const buffer = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(buffer, { limitInputPixels: limits.maxInputPixels, failOn: 'error' }).metadata();
  } catch {
    throw new AppFailure('CORRUPT_INPUT', `the file starts like a ${name} image but is not a readable one (corrupt or truncated header)`);
  }
  // libvips picks its loader from the content too; anything but the sniffed format (a PNG signature glued to
  // another format's body, say) is refused rather than handed to a loader we did not choose.
  if (meta.format !== sniffed || !SUPPORTED.has(meta.format)) {
    throw new AppFailure('CORRUPT_INPUT', `the file starts like a ${name} image but its content reads as ${meta.format ?? 'an unknown format'}`);
  }
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  if (w <= 0 || h <= 0) throw new AppFailure('CORRUPT_INPUT', 'the image has no dimensions');
  if (w * h > limits.maxInputPixels) {
    throw new AppFailure('CORRUPT_INPUT', `the image is too large to analyse (${((w * h) / 1e6).toFixed(1)} megapixels, limit ${(limits.maxInputPixels / 1e6).toFixed(0)})`);
  }
  const rotated = (meta.orientation ?? 1) >= 5;
  const originalWidth = rotated ? h : w;
  const originalHeight = rotated ? w : h;
  try {
    const { data, info } = await sharp(buffer, { limitInputPixels: limits.maxInputPixels, failOn: 'error', sequentialRead: true })
      .autoOrient()
      .resize({ width: limits.maxAnalysisSide, height: limits.maxAnalysisSide, fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected channel count ${info.channels}`);
    return {
      width: info.width,
      height: info.height,
      channels: 3,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      originalWidth,
      originalHeight,
      format: sniffed,
    };
  } catch {
    throw new AppFailure('CORRUPT_INPUT', `the ${name} image is truncated or corrupt and cannot be decoded`);
  }
}

/**
 * Defence in depth for the engine process: libvips may only run its JPEG, PNG and WebP buffer loaders. The
 * first-bytes check already refuses everything else; this closes the door even if a file slipped past it
 * (every other libvips loader — TIFF, SVG, PDF, HEIF, … — is attack surface nobody here needs).
 * Process-wide, so only the engine process calls it.
 */
export function restrictDecodersToStillImages(): void {
  sharp.block({ operation: ['VipsForeignLoad'] });
  sharp.unblock({ operation: ['VipsForeignLoadJpegBuffer', 'VipsForeignLoadPngBuffer', 'VipsForeignLoadWebpBuffer'] });
}
