/**
 * ICE configuration handed to both parties in `welcome`, with TURN credentials in the TURN REST
 * scheme that coturn checks with `use-auth-secret` / `static-auth-secret`:
 *   username   = "<expiry epoch seconds>:<room id>"       (turnUsername in src/shared/signaling.ts)
 *   credential = base64(HMAC-SHA1(shared secret, username))
 * The TURN server needs no database: it recomputes the HMAC and refuses an expired timestamp.
 * No server URL lives in code; everything comes from configuration (server/main.ts reads the env).
 */
import { createHmac } from 'node:crypto';
import { turnUsername, type IceServer } from '../../src/shared/signaling';

export type IceTransportPolicy = 'all' | 'relay';

export interface IceConfig {
  /** `turn:` / `turns:` URLs, all served with the same shared secret. */
  turnUrls: string[];
  /** coturn's static-auth-secret; required when turnUrls is not empty. */
  turnSecret?: string;
  /** Lifetime of an issued credential in seconds (capped at the room's expiry). */
  turnTtlS: number;
  /** `stun:` / `stuns:` URLs (no credentials). */
  stunUrls: string[];
  iceTransportPolicy: IceTransportPolicy;
}

/**
 * One hour. coturn checks the username's timestamp on every authenticated request, and an
 * allocation is refreshed every few minutes during a call, so a credential that expires mid-call
 * drops the relayed media; simple-peer cannot ICE-restart with new credentials. The TTL must
 * therefore outlast the longest call (verification calls run minutes; an hour is generous), yet
 * stay short because the customer's browser, an untrusted party, holds it. A party that rejoins
 * (resume, workstation reconnect) gets fresh credentials, and `iceExpiresAt` tells it when.
 */
export const DEFAULT_TURN_TTL_S = 3600;

export const EMPTY_ICE_CONFIG: IceConfig = { turnUrls: [], stunUrls: [], turnTtlS: DEFAULT_TURN_TTL_S, iceTransportPolicy: 'all' };

/** The TURN REST credential for `username`: base64(HMAC-SHA1(secret, username)). */
export function turnCredential(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username, 'utf8').digest('base64');
}

export interface IssuedIce {
  iceServers: IceServer[];
  iceTransportPolicy: IceTransportPolicy;
  /** When the TURN credentials stop working (epoch ms); the room's expiry when there is no TURN. */
  iceExpiresAt: number;
}

/** The ICE servers for one party of `roomId`, credentials valid until min(now + TTL, room expiry). */
export function issueIce(config: IceConfig, roomId: string, nowMs: number, roomExpiresAt: number): IssuedIce {
  const iceServers: IceServer[] = [];
  if (config.stunUrls.length > 0) iceServers.push({ urls: config.stunUrls });
  let iceExpiresAt = roomExpiresAt;
  if (config.turnUrls.length > 0 && config.turnSecret) {
    iceExpiresAt = Math.min(nowMs + config.turnTtlS * 1000, roomExpiresAt);
    const username = turnUsername(iceExpiresAt, roomId);
    iceServers.push({ urls: config.turnUrls, username, credential: turnCredential(config.turnSecret, username) });
  }
  return { iceServers, iceTransportPolicy: config.iceTransportPolicy, iceExpiresAt };
}

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Reads and checks the ICE settings; throws a message naming the bad variable, so a server with a
 * configuration that could never connect a call does not start.
 */
export function parseIceConfig(env: Record<string, string | undefined>): IceConfig {
  const turnUrls = list(env.VERIDESK_TURN_URLS);
  const stunUrls = list(env.VERIDESK_STUN_URLS);
  const turnSecret = env.VERIDESK_TURN_SECRET || undefined;
  for (const u of turnUrls) if (!/^turns?:[^\s]{1,500}$/.test(u)) throw new Error(`VERIDESK_TURN_URLS: "${u}" is not a turn: or turns: URL`);
  for (const u of stunUrls) if (!/^stuns?:[^\s]{1,500}$/.test(u)) throw new Error(`VERIDESK_STUN_URLS: "${u}" is not a stun: or stuns: URL`);
  if (turnUrls.length > 8 || stunUrls.length > 8) throw new Error('VERIDESK_TURN_URLS / VERIDESK_STUN_URLS: at most 8 URLs each');
  if (turnUrls.length > 0 && !turnSecret) throw new Error('VERIDESK_TURN_URLS is set but VERIDESK_TURN_SECRET is not (coturn static-auth-secret)');
  if (turnSecret && turnUrls.length === 0) throw new Error('VERIDESK_TURN_SECRET is set but VERIDESK_TURN_URLS is not');
  const ttlText = env.VERIDESK_TURN_TTL_S;
  const turnTtlS = ttlText ? Number(ttlText) : DEFAULT_TURN_TTL_S;
  if (!Number.isInteger(turnTtlS) || turnTtlS < 60 || turnTtlS > 86_400) throw new Error('VERIDESK_TURN_TTL_S: whole seconds between 60 and 86400');
  const policy = env.VERIDESK_ICE_TRANSPORT_POLICY || 'all';
  if (policy !== 'all' && policy !== 'relay') throw new Error('VERIDESK_ICE_TRANSPORT_POLICY: all or relay');
  if (policy === 'relay' && turnUrls.length === 0) throw new Error('VERIDESK_ICE_TRANSPORT_POLICY=relay needs VERIDESK_TURN_URLS: without a relay no call can connect');
  return { turnUrls, turnSecret, turnTtlS, stunUrls, iceTransportPolicy: policy };
}
