/**
 * The join link `/join/<roomId>#<token>`: the room is in the path, the single-use token in the
 * fragment so it never reaches a server log or a Referer header (CreateRoomResponseSchema).
 */
import { JOIN_PATH_PREFIX, ROOM_ID_PATTERN, SecretSchema } from '../shared/signaling';

export interface JoinLink {
  /** null when the path holds no valid room id. */
  roomId: string | null;
  /** null when the fragment is empty or not a well-formed secret. */
  token: string | null;
  /** Whether the fragment held anything at all (so the address bar needs cleaning). */
  hadFragment: boolean;
}

export function parseJoinLink(pathname: string, hash: string): JoinLink {
  let roomId: string | null = null;
  if (pathname.startsWith(JOIN_PATH_PREFIX)) {
    const rest = pathname.slice(JOIN_PATH_PREFIX.length).replace(/\/+$/, '');
    if (ROOM_ID_PATTERN.test(rest)) roomId = rest;
  }
  const { secret, hadFragment } = parseFragmentSecret(hash);
  return { roomId, token: secret, hadFragment };
}

/**
 * The secret a link carries in its fragment (a room's join token, or a queued request's secret):
 * null unless well-formed. Shared by /join/<roomId> and /join/q/<requestId> links.
 */
export function parseFragmentSecret(hash: string): { secret: string | null; hadFragment: boolean } {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  let candidate = raw.trim();
  try {
    candidate = decodeURIComponent(candidate);
  } catch {
    // a malformed %-escape: keep the raw text, the schema below rejects it
  }
  // Tolerate `#token=<secret>` as well as the documented bare `#<secret>`.
  if (candidate.startsWith('token=')) candidate = candidate.slice('token='.length);
  const secret = SecretSchema.safeParse(candidate).success ? candidate : null;
  return { secret, hadFragment: raw.length > 0 };
}

/** Drops the fragment from the address bar and history entry, so the token is not left to be copied, shared or screenshotted. */
export function clearFragment(loc: Location = location, hist: History = history): void {
  try {
    hist.replaceState(hist.state, '', loc.pathname + loc.search);
  } catch {
    // some in-app browsers refuse replaceState; the token is single-use anyway
  }
}

/** The signaling socket's URL: same origin, ws: or wss: following the page. */
export function signalingUrl(loc: Pick<Location, 'protocol' | 'host'>, path: string): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}${path}`;
}
