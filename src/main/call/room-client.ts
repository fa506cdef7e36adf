/**
 * Creates a signaling room on the backend (DESIGN.md §8, src/shared/signaling.ts). Main holds the
 * workstation's backend token; the renderer only ever sees the customer's join URL.
 */
import { CreateRoomResponseSchema, ROOMS_PATH, type CreateRoomResponse } from '../../shared/signaling';
import { AppFailure } from '../../shared/errors';
import { backendEndpoint } from './backend-urls';
import { errorOf, networkReason, readJson } from '../backend/backend-response';

export interface CreateRoomOptions {
  /** The backend's base URL (settings.backendUrl), e.g. http://127.0.0.1:8787 */
  backendUrl: string;
  token: string;
  caseId: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** POST /api/v1/rooms. Throws AppFailure: BACKEND_REFUSED (the backend said no, its code in the message) or UNAVAILABLE. */
export async function createRoom(options: CreateRoomOptions): Promise<CreateRoomResponse> {
  const fetchImpl = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await fetchImpl(backendEndpoint(options.backendUrl, ROOMS_PATH), {
      method: 'POST',
      headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ caseId: options.caseId }),
      // the token never follows a redirect: a 3xx is refused below, never followed to wherever it points
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    // network errors and timeouts: nothing was refused, the backend just is not there
    throw new AppFailure('UNAVAILABLE', `backend unreachable: ${networkReason(error)}`);
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel().catch(() => undefined);
    throw new AppFailure('BACKEND_REFUSED', `REDIRECT_REFUSED: the backend answered with a redirect (HTTP ${response.status}); set the final backend URL in 设置`);
  }
  const body = await readJson(response);
  if (!response.ok) {
    const { code, message } = errorOf(body, response.status);
    // a backend that is up but cannot serve (503, a proxy's 502/504) is unavailable, not a refusal
    if (response.status === 502 || response.status === 503 || response.status === 504) throw new AppFailure('UNAVAILABLE', `${code}: ${message}`);
    throw new AppFailure('BACKEND_REFUSED', `${code}: ${message}`);
  }
  const parsed = CreateRoomResponseSchema.safeParse(body);
  if (!parsed.success || parsed.data.caseId !== options.caseId) {
    throw new AppFailure('BACKEND_REFUSED', 'MALFORMED_RESPONSE: the backend answered the room request with an unexpected body');
  }
  return parsed.data;
}
