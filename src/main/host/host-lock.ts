/**
 * The headless host's locks (issue 10 item 4). It serves a bank's case log to whatever can reach it, so:
 *  - Host header allow-list: only the loopback names on its own port (and the name given with --host), so a
 *    DNS-rebinding page (evil.example resolving to 127.0.0.1) is refused before anything is served;
 *  - a launch secret: generated at each start, carried in the printed URL's fragment (never sent in a request
 *    line, so never in a log), kept by the page in sessionStorage, and required on the WebSocket as a
 *    subprotocol — a local process or page without it gets nothing, Origin or not.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** The WebSocket subprotocols the renderer offers: the protocol name, then the secret. */
export const HOST_PROTOCOL = 'veridesk.v1';
export const SECRET_PROTOCOL_PREFIX = 'k.';

export function newLaunchSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** The Host header values this host answers to. */
export function allowedHosts(port: number, extraHost?: string): Set<string> {
  const names = ['127.0.0.1', 'localhost', '[::1]'];
  if (extraHost && !names.includes(extraHost)) names.push(extraHost.includes(':') && !extraHost.startsWith('[') ? `[${extraHost}]` : extraHost);
  return new Set(names.map((n) => `${n}:${port}`.toLowerCase()));
}

export function hostAllowed(hostHeader: string | undefined, allowed: ReadonlySet<string>): boolean {
  return hostHeader !== undefined && allowed.has(hostHeader.toLowerCase());
}

/** Whether the Sec-WebSocket-Protocol header carries the launch secret (constant-time compare). */
export function secretPresented(protocolHeader: string | string[] | undefined, secret: string): boolean {
  const header = Array.isArray(protocolHeader) ? protocolHeader.join(',') : (protocolHeader ?? '');
  const expected = Buffer.from(SECRET_PROTOCOL_PREFIX + secret);
  return header
    .split(',')
    .map((p) => p.trim())
    .some((p) => {
      const given = Buffer.from(p);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

/** Origins a page served by this host can have. */
export function allowedOrigins(allowed: ReadonlySet<string>): Set<string> {
  return new Set([...allowed].map((h) => `http://${h}`));
}
