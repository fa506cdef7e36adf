/**
 * Requests to the backend's lead API (whoami, cases, reviews) with the token main holds for the backend's origin,
 * looked up at the moment of the request (settings/backend-tokens.ts): a token is only ever sent to its origin,
 * never through a redirect. The renderer never sees it.
 */
import { AppFailure } from '../../shared/errors';
import { backendOrigin } from '../../shared/settings';
import { errorOf, networkReason, readJson } from '../backend/backend-response';
import { backendEndpoint } from '../call/backend-urls';
import type { TokenFor } from '../settings/backend-tokens';

export interface LeadApiOptions {
  backendUrl: () => string;
  tokenFor: TokenFor;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
}

/** A refusal with the backend's own status and code, so callers can tell 403 from 404. */
export class LeadApiError extends AppFailure {
  constructor(
    readonly status: number,
    readonly backendCode: string,
    message: string,
  ) {
    super(status === 502 || status === 503 || status === 504 ? 'UNAVAILABLE' : status === 404 ? 'NOT_FOUND' : status === 403 ? 'FORBIDDEN' : 'BACKEND_REFUSED', `${backendCode}: ${message}`);
  }
}

export class LeadApi {
  constructor(private readonly options: LeadApiOptions) {}

  origin(): string {
    return backendOrigin(this.options.backendUrl());
  }

  /** The token for the current backend, or undefined. */
  token(): string | undefined {
    return this.options.tokenFor(this.origin());
  }

  /** JSON from `path` (relative to the backend URL). AppFailure UNAVAILABLE when no token or no backend answers. */
  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const backendUrl = this.options.backendUrl();
    const token = this.options.tokenFor(backendOrigin(backendUrl));
    if (!token) throw new AppFailure('UNAVAILABLE', `no backend token for ${backendOrigin(backendUrl)}`);
    let response: Response;
    try {
      response = await (this.options.fetchImpl ?? fetch)(backendEndpoint(backendUrl, path), {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new AppFailure('UNAVAILABLE', `backend unreachable: ${networkReason(error)}`);
    }
    const json = await readJson(response);
    if (!response.ok) {
      const { code, message } = errorOf(json, response.status);
      throw new LeadApiError(response.status, code, message);
    }
    if (json === null) throw new AppFailure('BACKEND_REFUSED', 'MALFORMED_RESPONSE: the backend did not answer with JSON');
    return json as T;
  }
}
