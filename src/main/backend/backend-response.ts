/** How the workstation reads the backend's answers and failures (room creation, reference photos, the queue): one reading. */

/** The backend's error body is `{ error: { code, message } }`; anything else is described by its status. */
export function errorOf(body: unknown, status: number): { code: string; message: string } {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const code = typeof error?.code === 'string' ? error.code.slice(0, 64) : `HTTP_${status}`;
  const message = typeof error?.message === 'string' ? error.message.slice(0, 300) : `HTTP ${status}`;
  return { code, message };
}

/** The body as JSON, or null when it is not JSON. */
export async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/** A short reason for a failed request: a timeout, the socket error code, or the message. */
export function networkReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error ? error.message.slice(0, 200) : 'network error';
}

/** Why readCapped stopped: the answer was too large, or the connection failed while reading it. */
export type CappedReadFailure = { kind: 'too_large'; max: number } | { kind: 'lost'; error: unknown };

/**
 * The body, refusing one over `max` bytes (by its Content-Length, or while reading) without buffering more than
 * that; `fail` turns what went wrong into the caller's own error (the queue's, the reference photo's).
 */
export async function readCapped(response: Response, max: number, fail: (why: CappedReadFailure) => Error): Promise<Uint8Array> {
  const declaredLength = Number(response.headers.get('content-length') ?? NaN);
  if (declaredLength > max) {
    await response.body?.cancel().catch(() => undefined);
    throw fail({ kind: 'too_large', max });
  }
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let step: Awaited<ReturnType<typeof reader.read>>;
    try {
      step = await reader.read();
    } catch (error) {
      throw fail({ kind: 'lost', error });
    }
    if (step.done) break;
    total += step.value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw fail({ kind: 'too_large', max });
    }
    chunks.push(step.value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
