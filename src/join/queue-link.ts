/**
 * The queued customer's link `/join/q/<requestId>#<secret>` (src/shared/queue.ts): the request id in
 * the path, the secret the server made at hand-over in the fragment, which never reaches a server log
 * or a Referer. The same secret authenticates the status polls and then joins the agent's room.
 */
import { QUEUE_JOIN_PATH_PREFIX, QueueIdSchema } from '../shared/queue';
import { parseFragmentSecret } from './link';

export interface QueueLink {
  /** null when the path holds no acceptable request id. */
  requestId: string | null;
  /** null when the fragment is empty or not a well-formed secret. */
  secret: string | null;
  hadFragment: boolean;
}

/** Whether this page was opened from a queue link (even a broken one: it must not fall back to room mode). */
export function isQueuePath(pathname: string): boolean {
  return pathname.startsWith(QUEUE_JOIN_PATH_PREFIX);
}

/**
 * A request id as the page will put it into API paths: the contract's id pattern, and never a bare
 * `.` or `..`, which fetch would resolve as a path segment (…/requests/.. → another endpoint).
 * The path is taken as the browser sends it, so an escaped `%2F` or `%2E` fails the pattern too.
 */
export function isAcceptableRequestId(value: string): boolean {
  return QueueIdSchema.safeParse(value).success && value !== '.' && value !== '..';
}

export function parseQueueLink(pathname: string, hash: string): QueueLink {
  let requestId: string | null = null;
  if (isQueuePath(pathname)) {
    const rest = pathname.slice(QUEUE_JOIN_PATH_PREFIX.length).replace(/\/+$/, '');
    if (isAcceptableRequestId(rest)) requestId = rest;
  }
  const { secret, hadFragment } = parseFragmentSecret(hash);
  return { requestId, secret, hadFragment };
}
