/**
 * Which still-image formats the engine accepts, decided from the file's first bytes before any decoder
 * (libvips) sees them: JPEG, PNG and WebP only. Everything else — GIF, TIFF, BMP, SVG, HEIF, a document or
 * a text file renamed .jpg — is refused with a message that says what the file looks like instead, so the
 * large attack surface of libvips's other loaders (and librsvg for SVG) is never reached.
 */
import { describeContent, MIN_STILL_IMAGE_BYTES, sniffImageType, stillImageName, textPrefix, type StillImageType } from '../../common/image-signature';
import { AppFailure } from '../../shared/errors';

export { sniffImageType, stillImageName, type StillImageType };

/**
 * The bytes' format when it is one the engine accepts; otherwise an AppFailure('CORRUPT_INPUT') saying what was
 * found, e.g. "the file is not a JPEG, PNG or WebP image (it looks like a GIF image)".
 */
export function assertStillImage(bytes: Uint8Array): StillImageType {
  if (bytes.byteLength === 0) throw new AppFailure('CORRUPT_INPUT', 'the image file is empty (0 bytes)');
  const type = sniffImageType(bytes);
  if (type === null && bytes.byteLength < 12 && textPrefix(bytes) === null) {
    throw new AppFailure('CORRUPT_INPUT', `the file is too short to be a JPEG, PNG or WebP image (${bytes.byteLength} bytes)`);
  }
  if (type === null) throw new AppFailure('CORRUPT_INPUT', `the file is not a JPEG, PNG or WebP image (it looks like ${describeContent(bytes)})`);
  if (bytes.byteLength < MIN_STILL_IMAGE_BYTES[type]) {
    throw new AppFailure('CORRUPT_INPUT', `the ${stillImageName(type)} image is truncated (only ${bytes.byteLength} bytes)`);
  }
  return type;
}

