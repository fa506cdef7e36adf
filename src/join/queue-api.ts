/**
 * The customer page's calls to the queue API (src/shared/queue.ts), authenticated with the
 * request's secret as a bearer token. Every answer is validated with the contract's schemas before
 * the page uses it; failures come back as one of two errors so callers can tell "the server said no"
 * (QueueApiError with the contract's code) from "the network or server is not there" (QueueNetworkError).
 */
import { z } from 'zod';
import {
  CallbackSchema,
  CallbackSlotsSchema,
  CustomerQueueStatusSchema,
  QUEUE_ERROR_CODES,
  QUEUE_PATHS,
  type Callback,
  type CustomerQueueStatus,
  type QueueErrorCode,
} from '../shared/queue';
import type { ServiceType } from '../shared/cases';

/** The contract's codes, plus INVALID_RESPONSE for a 2xx body that fails its schema. */
export type QueueApiCode = QueueErrorCode | 'INVALID_RESPONSE';

export class QueueApiError extends Error {
  constructor(
    readonly code: QueueApiCode,
    readonly status: number,
  ) {
    super(`queue API answered ${status} ${code}`);
    this.name = 'QueueApiError';
  }
}

export class QueueNetworkError extends Error {
  constructor(cause: string) {
    super(`queue API unreachable: ${cause}`);
    this.name = 'QueueNetworkError';
  }
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export type CallbackSlots = z.infer<typeof CallbackSlotsSchema>;

/** What a booking answers: the request's new status or the call-back itself; either is fine, the next poll confirms. */
export type BookingAnswer = { kind: 'status'; status: CustomerQueueStatus } | { kind: 'callback'; callback: Callback } | { kind: 'none' };

const ErrorBodySchema = z.object({ error: z.object({ code: z.string() }) });

const KNOWN_CODES = new Set<string>(QUEUE_ERROR_CODES);

/** A request that hangs this long counts as a network failure (mobile networks stall rather than fail). */
export const QUEUE_API_TIMEOUT_MS = 10_000;

function codeFor(status: number, body: unknown): QueueApiCode {
  const parsed = ErrorBodySchema.safeParse(body);
  if (parsed.success && KNOWN_CODES.has(parsed.data.error.code)) return parsed.data.error.code as QueueErrorCode;
  // a proxy's HTML error page or an unknown code: judge by the status alone
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return 'INVALID_PAYLOAD';
  return 'UNAVAILABLE';
}

export class QueueApi {
  constructor(
    private requestIdValue: string,
    private readonly secret: string,
    private readonly fetchImpl: FetchLike = (url, init) => fetch(url, init),
    private readonly timeoutMs: number = QUEUE_API_TIMEOUT_MS,
  ) {}

  get requestId(): string {
    return this.requestIdValue;
  }

  /** The server may answer for a successor request (a call-back that fell due); follow it with the same secret. */
  follow(requestId: string): void {
    this.requestIdValue = requestId;
  }

  async status(): Promise<CustomerQueueStatus> {
    const body = await this.call('GET', this.requestPath(''));
    return this.parse(CustomerQueueStatusSchema, body);
  }

  async leave(): Promise<void> {
    await this.call('POST', this.requestPath('/leave'), {});
  }

  /** Free call-back capacity; the server knows the request's service type, the page sends it when it knows it too. */
  async slots(serviceType: ServiceType | null): Promise<CallbackSlots> {
    const query = new URLSearchParams();
    if (serviceType) query.set('serviceType', serviceType);
    query.set('requestId', this.requestIdValue);
    const body = await this.call('GET', `${QUEUE_PATHS.callbackSlots}?${query.toString()}`);
    return this.parse(CallbackSlotsSchema, body);
  }

  async book(slotStart: number): Promise<BookingAnswer> {
    const body = await this.call('POST', this.requestPath('/callback'), { slotStart });
    const status = CustomerQueueStatusSchema.safeParse(body);
    if (status.success) return { kind: 'status', status: status.data };
    const callback = CallbackSchema.safeParse(body);
    if (callback.success) return { kind: 'callback', callback: callback.data };
    const wrapped = z.object({ callback: CallbackSchema }).safeParse(body);
    if (wrapped.success) return { kind: 'callback', callback: wrapped.data.callback };
    return { kind: 'none' };
  }

  private requestPath(suffix: string): string {
    return `${QUEUE_PATHS.requests}/${encodeURIComponent(this.requestIdValue)}${suffix}`;
  }

  private parse<T>(schema: z.ZodType<T>, body: unknown): T {
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new QueueApiError('INVALID_RESPONSE', 200);
    return parsed.data;
  }

  private async call(method: 'GET' | 'POST', path: string, json?: unknown): Promise<unknown> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    let response: Response;
    try {
      response = await this.fetchImpl(path, {
        method,
        headers: {
          Authorization: `Bearer ${this.secret}`,
          Accept: 'application/json',
          ...(json === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: json === undefined ? undefined : JSON.stringify(json),
        // the secret travels only in the header: no cookies, no cache copy, no Referer
        credentials: 'omit',
        cache: 'no-store',
        referrerPolicy: 'no-referrer',
        signal: controller.signal,
      });
    } catch (error) {
      throw new QueueNetworkError(error instanceof Error ? error.name : 'fetch failed');
    } finally {
      clearTimeout(timer);
    }
    let body: unknown;
    try {
      const text = await response.text();
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: a proxy's page, or a body cut off by the network
      body = null;
    }
    if (!response.ok) throw new QueueApiError(codeFor(response.status, body), response.status);
    return body;
  }
}
