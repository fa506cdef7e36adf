/**
 * Fetches the reference photo a self-service channel stored for a customer reference
 * (GET /api/v1/reference-photos/:customerRef, docs/reference-photos.md), with the workstation's
 * backend token, as the ID photo source of a call. Main holds the token; the renderer never does.
 */
import { AppFailure } from '../../shared/errors';
import { backendEndpoint } from '../call/backend-urls';
import { sniffImageType, type StillImageType } from '../engine/image-type';
import { errorOf, networkReason, readCapped, readJson } from './backend-response';

/** Same rule as the server (server/reference-photos/routes.ts); checked here so a reference can never change the URL's path. */
const CUSTOMER_REF_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
/** The server refuses larger photos, so a bigger answer is not one. */
const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
const MIME_OF: Record<StillImageType, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

export interface FetchReferencePhotoOptions {
  /** The backend's base URL (settings.backendUrl), e.g. http://127.0.0.1:8787 */
  backendUrl: string;
  /** The workstation's backend token. */
  token: string;
  customerRef: string;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
}

/**
 * The photo's bytes (JPEG, PNG or WebP, as the backend's Content-Type says and the bytes confirm).
 * Throws AppFailure: INVALID_PAYLOAD (a malformed reference; nothing is sent), NOT_FOUND (no photo for
 * this reference, or it expired), UNAVAILABLE (backend unreachable, timed out, 502/503/504) or
 * BACKEND_REFUSED (any other refusal, its code in the message, or an answer that is not a photo).
 */
export async function fetchReferencePhoto(options: FetchReferencePhotoOptions): Promise<Uint8Array> {
  const { customerRef } = options;
  if (!CUSTOMER_REF_PATTERN.test(customerRef) || customerRef === '.' || customerRef === '..') {
    throw new AppFailure('INVALID_PAYLOAD', 'customer reference must be 1-64 characters of A-Z a-z 0-9 . _ : -');
  }
  const fetchImpl = options.fetchImpl ?? fetch;
  const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  let response: Response;
  try {
    response = await fetchImpl(backendEndpoint(options.backendUrl, `api/v1/reference-photos/${encodeURIComponent(customerRef)}`), {
      method: 'GET',
      headers: { authorization: `Bearer ${options.token}`, accept: 'image/jpeg, image/png, image/webp' },
      // the token never follows a redirect: a 3xx is answered as a refusal (HTTP_3xx)
      redirect: 'manual',
      signal,
    });
  } catch (error) {
    throw new AppFailure('UNAVAILABLE', `backend unreachable: ${networkReason(error)}`);
  }

  if (!response.ok) {
    const { code, message } = errorOf(await readJson(response), response.status);
    if (response.status === 404) throw new AppFailure('NOT_FOUND', 'no reference photo for this customer reference');
    if (response.status === 502 || response.status === 503 || response.status === 504) throw new AppFailure('UNAVAILABLE', `${code}: ${message}`);
    throw new AppFailure('BACKEND_REFUSED', `${code}: ${message}`);
  }

  const declared = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!Object.values(MIME_OF).includes(declared)) {
    await response.body?.cancel().catch(() => undefined);
    throw new AppFailure('BACKEND_REFUSED', `MALFORMED_RESPONSE: the backend answered with ${declared || 'no content type'}, not a photo`);
  }
  const bytes = await readCapped(response, MAX_PHOTO_BYTES, (why) =>
    why.kind === 'too_large'
      ? new AppFailure('BACKEND_REFUSED', `MALFORMED_RESPONSE: the backend's photo is larger than ${why.max} bytes`)
      : new AppFailure('UNAVAILABLE', `backend connection lost while reading the photo: ${networkReason(why.error)}`),
  );
  const sniffed = sniffImageType(bytes);
  if (sniffed === null || MIME_OF[sniffed] !== declared) {
    throw new AppFailure('BACKEND_REFUSED', `MALFORMED_RESPONSE: the backend's photo is not the ${declared} it claims to be`);
  }
  return bytes;
}

