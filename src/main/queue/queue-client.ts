/**
 * The agent's queue calls to the backend (src/shared/queue.ts): PUT/GET /api/v1/queue/agent, accept, decline,
 * finish. Bound to one backend URL for its whole life, like the sync client: the token is asked for that URL's
 * origin at every request (so a token is only ever sent to the backend it was entered for), redirects are never
 * followed, every request has a timeout, and stop() aborts the request in flight. Every answer is checked against
 * the wire schemas: a backend (or whatever answers in its place) that sends something else is refused, not trusted.
 */
import { AppFailure } from '../../shared/errors';
import {
  AcceptedOfferSchema,
  AgentStatusSchema,
  QUEUE_LIMITS,
  QUEUE_PATHS,
  QueueIdSchema,
  type AcceptedOffer,
  type AgentState,
  type AgentStatus,
} from '../../shared/queue';
import { backendOrigin, HTTPS_REQUIRED_MESSAGE, isSecureBackendUrl } from '../../shared/settings';
import { backendEndpoint } from '../call/backend-urls';
import { errorOf, networkReason, readCapped } from '../backend/backend-response';
import type { TokenFor } from '../settings/backend-tokens';

/** A queue request that failed: the backend's (or the network's) code, and whether trying again may help. */
export class QueueError extends AppFailure {
  constructor(
    code: 'UNAVAILABLE' | 'BACKEND_REFUSED',
    /** The backend's own code (OFFER_GONE, UNAUTHENTICATED, …), REDIRECT_REFUSED, MALFORMED_RESPONSE, NO_TOKEN, STOPPED. */
    readonly backendCode: string,
    message: string,
    readonly status: number | null,
    /** False for refusals a retry cannot fix without a person (token refused, a redirect, no token). */
    readonly retryable: boolean,
  ) {
    super(code, `${backendCode}: ${message}`);
    this.name = 'QueueError';
  }
}

export interface QueueClientOptions {
  /** The backend's base URL (settings.backendUrl), e.g. http://127.0.0.1:8787 */
  backendUrl: string;
  tokenFor: TokenFor;
  fetch?: typeof fetch;
  /** Per request (default 10 s; the poll uses the same). */
  timeoutMs?: number;
}

/**
 * The largest answer read: an accepted offer carries the reference photo in base64 (at most maxPhotoBytes decoded),
 * everything else is small. A bigger body is not one of ours.
 */
const MAX_ANSWER_BYTES = Math.ceil((QUEUE_LIMITS.maxPhotoBytes * 4) / 3) + 256 * 1024;

export class QueueClient {
  readonly origin: string;
  private readonly fetchImpl: typeof fetch;
  private readonly stopping = new AbortController();

  constructor(private readonly options: QueueClientOptions) {
    if (!isSecureBackendUrl(options.backendUrl)) throw new AppFailure('INVALID_INPUT', `${HTTPS_REQUIRED_MESSAGE}: ${options.backendUrl}`);
    this.origin = backendOrigin(options.backendUrl);
    this.fetchImpl = options.fetch ?? fetch;
  }

  get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /** Aborts the request in flight; nothing more is sent from this client. */
  stop(): void {
    this.stopping.abort();
  }

  /** The agent's status; with `holdMs`, the backend holds the answer until an offer is made for this agent or the hold ends. */
  async getAgent(holdMs = 0): Promise<AgentStatus> {
    const path = holdMs > 0 ? `${QUEUE_PATHS.agent}?waitMs=${Math.round(holdMs)}` : QUEUE_PATHS.agent;
    return this.parse(await this.request('GET', path, undefined, holdMs), AgentStatusSchema, 'agent status');
  }

  /** The new state; the backend answers with the agent's status (checked like a poll's). */
  async setAgent(state: AgentState, agentId: string): Promise<AgentStatus> {
    return this.parse(await this.request('PUT', QUEUE_PATHS.agent, { state, agentId }), AgentStatusSchema, 'agent status');
  }

  /** Accepts the offer for `requestId` with the case opened for it; the answer must be about that request and case. */
  async accept(requestId: string, caseId: string): Promise<AcceptedOffer> {
    const accepted = this.parse(await this.request('POST', `${QUEUE_PATHS.offers}/${pathId(requestId)}/accept`, { caseId }), AcceptedOfferSchema, 'accepted offer');
    if (accepted.requestId !== requestId || accepted.caseId !== caseId || accepted.offer.requestId !== requestId) {
      throw new QueueError('BACKEND_REFUSED', 'MALFORMED_RESPONSE', 'the backend answered the accept with another request or case', 200, true);
    }
    return accepted;
  }

  async decline(requestId: string): Promise<void> {
    await this.request('POST', `${QUEUE_PATHS.offers}/${pathId(requestId)}/decline`, {});
  }

  async finish(requestId: string): Promise<void> {
    await this.request('POST', `${QUEUE_PATHS.requests}/${pathId(requestId)}/finish`, {});
  }

  private parse<T>(body: unknown, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, what: string): T {
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new QueueError('BACKEND_REFUSED', 'MALFORMED_RESPONSE', `the backend's ${what} is not what the queue API answers`, 200, true);
    return parsed.data;
  }

  /** One request; the body of a 2xx as JSON (null when empty). */
  private async request(method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown, heldMs = 0): Promise<unknown> {
    if (this.stopped) throw new QueueError('UNAVAILABLE', 'STOPPED', 'the queue client stopped', null, false);
    const token = this.options.tokenFor(this.origin);
    // cleared in 设置 meanwhile: a person has to enter one
    if (!token) throw new QueueError('UNAVAILABLE', 'NO_TOKEN', `no backend token for ${this.origin}: enter one in 设置 (Settings)`, null, false);
    let response: Response;
    try {
      response = await this.fetchImpl(backendEndpoint(this.options.backendUrl, path), {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        // a 3xx comes back as it is and is refused below: following it would hand the token to wherever it points
        redirect: 'manual',
        // a held poll may legitimately take its hold: the timeout counts from its end
        signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(heldMs + (this.options.timeoutMs ?? 10_000))]),
      });
    } catch (error) {
      if (this.stopped) throw new QueueError('UNAVAILABLE', 'STOPPED', 'the queue client stopped', null, false);
      throw new QueueError('UNAVAILABLE', 'UNREACHABLE', `backend unreachable: ${networkReason(error)}`, null, true);
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      throw new QueueError('BACKEND_REFUSED', 'REDIRECT_REFUSED', `the backend answered with a redirect (HTTP ${response.status}); the token is never sent on: set the final backend URL in 设置`, response.status, false);
    }
    const text = await readCappedText(response, MAX_ANSWER_BYTES, () => this.stopped);
    let json: unknown = null;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    if (!response.ok) {
      const { code, message } = errorOf(json ?? null, response.status);
      const status = response.status;
      // a backend that is up but cannot serve (503, a proxy's 502/504), a timeout or a rate limit passes
      if (status >= 500 || status === 408 || status === 429) throw new QueueError('UNAVAILABLE', code, message, status, true);
      // a token the backend does not take: only a person can fix it
      const retryable = !(status === 401 || status === 403);
      throw new QueueError('BACKEND_REFUSED', code, message, status, retryable);
    }
    if (json === undefined) throw new QueueError('BACKEND_REFUSED', 'MALFORMED_RESPONSE', 'the backend answered with something that is not JSON', response.status, true);
    return json;
  }
}

/** An id checked before it goes into a path, so a hostile id can never change the URL. */
function pathId(id: string): string {
  if (!QueueIdSchema.safeParse(id).success) throw new AppFailure('INVALID_PAYLOAD', 'a queue request id is 1-64 characters of A-Z a-z 0-9 . _ : -');
  return encodeURIComponent(id);
}

/** The body as text, refusing one over `max` bytes without buffering more than that. */
async function readCappedText(response: Response, max: number, stopped: () => boolean): Promise<string> {
  const bytes = await readCapped(response, max, (why) => {
    if (why.kind === 'too_large') return new QueueError('BACKEND_REFUSED', 'MALFORMED_RESPONSE', `the backend's answer is larger than ${max} bytes`, response.status, true);
    if (stopped()) return new QueueError('UNAVAILABLE', 'STOPPED', 'the queue client stopped', null, false);
    return new QueueError('UNAVAILABLE', 'UNREACHABLE', `backend connection lost while reading the answer: ${networkReason(why.error)}`, null, true);
  });
  return Buffer.from(bytes).toString('utf8');
}
