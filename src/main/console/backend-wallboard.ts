/**
 * The lead's wallboard (坐席看板, issue 12 item 6) from the backend: GET /api/v1/lead/wallboard with the lead token
 * (server/queue/wallboard.ts computes it in SQL; docs/queue.md "## Wallboard" says what each number means).
 *
 * Only the backend has a queue: this workstation's case log and imported bundles hold cases, not waiting customers,
 * so there is no local answer to fall back to. An answer that is not a Wallboard is BACKEND_REFUSED
 * MALFORMED_RESPONSE — never passed to the screen half-read, where a missing number would show as a wrong one.
 */
import { AppFailure } from '../../shared/errors';
import { QUEUE_PATHS, WallboardSchema, type Wallboard } from '../../shared/queue';
import { LeadApiError, type LeadApi } from './lead-api';

/** The backend's wallboard for the day of the zone `tzOffsetMinutes` east of UTC (the lead's day, as statistics use). */
export async function backendWallboard(api: LeadApi, tzOffsetMinutes: number): Promise<Wallboard> {
  const query = new URLSearchParams({ tzOffsetMinutes: String(tzOffsetMinutes) });
  let answer: unknown;
  try {
    // QUEUE_PATHS are absolute; the lead API takes paths relative to the backend URL (which may carry a prefix)
    answer = await api.request<unknown>('GET', `${QUEUE_PATHS.wallboard.replace(/^\//, '')}?${query.toString()}`);
  } catch (error) {
    // the route never answers 404 itself: a 404 is a server from before the queue (schema v8)
    if (error instanceof LeadApiError && error.status === 404) throw new AppFailure('UNAVAILABLE', 'this backend has no queue wallboard (GET /api/v1/lead/wallboard): update the server');
    throw error;
  }
  const parsed = WallboardSchema.safeParse(answer);
  if (!parsed.success) throw new AppFailure('BACKEND_REFUSED', 'MALFORMED_RESPONSE: GET /api/v1/lead/wallboard did not answer as the lead API does');
  return parsed.data;
}
