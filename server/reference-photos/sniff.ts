/**
 * Which image formats a reference photo may be, decided from its first bytes: JPEG, PNG and WebP only — the
 * formats the workstation's engine accepts, with the same signature check (src/common/image-signature.ts).
 */
import { describeContent, MIN_STILL_IMAGE_BYTES, sniffImageType, stillImageName, type StillImageType } from '../../src/common/image-signature';

export const REFERENCE_PHOTO_MIME_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type ReferencePhotoMime = (typeof REFERENCE_PHOTO_MIME_TYPES)[number];

export const isReferencePhotoMime = (value: string): value is ReferencePhotoMime => (REFERENCE_PHOTO_MIME_TYPES as readonly string[]).includes(value);

const MIME: Record<StillImageType, ReferencePhotoMime> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

/**
 * Checks a body against its declared Content-Type: the type it really is, or a message saying why it
 * is refused (never quoting the bytes themselves).
 */
export function checkReferencePhoto(bytes: Uint8Array, declared: ReferencePhotoMime): { ok: true; mime: ReferencePhotoMime } | { ok: false; message: string } {
  if (bytes.byteLength === 0) return { ok: false, message: 'the body is empty: send the image bytes' };
  const type = sniffImageType(bytes);
  if (type === null) return { ok: false, message: `the body is not a JPEG, PNG or WebP image (it looks like ${describeContent(bytes)})` };
  if (bytes.byteLength < MIN_STILL_IMAGE_BYTES[type]) return { ok: false, message: `the ${stillImageName(type)} image is truncated (only ${bytes.byteLength} bytes)` };
  if (MIME[type] !== declared) return { ok: false, message: `the body is a ${stillImageName(type)} image but Content-Type says ${declared}` };
  return { ok: true, mime: MIME[type] };
}
