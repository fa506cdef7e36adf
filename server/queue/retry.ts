/**
 * Every queue transaction takes the agent's row before the request's, so they do not deadlock one another; this
 * is the safety net for what is left (PostgreSQL picks a deadlock victim, or a serialization failure): the victim
 * is retried a few times, as its work was rolled back in full.
 */
const RETRYABLE = new Set(['40P01', '40001']);

export async function withRetry<T>(fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (i >= attempts || typeof code !== 'string' || !RETRYABLE.has(code)) throw error;
      await new Promise((r) => setTimeout(r, 5 * i + Math.random() * 10));
    }
  }
}
