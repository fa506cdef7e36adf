/**
 * Who may take which seat: the checks behind a `hello`, in an order that tells an honest client
 * what to do (an ended room says so even to a valid token) without telling a stranger anything
 * (a caller without the room's workstation token or join secret learns only that it failed).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Queryable, ServerDb } from '../db/database';
import { authenticate, hashToken, type Principal } from '../auth/tokens';
import type { Hello, Role, SignalErrorCode } from '../../src/shared/signaling';
import { claimJoinToken, findRoom, type RoomRow } from './rooms';

export type Admission =
  | { ok: true; room: RoomRow; role: Role; /** A fresh resume secret, only on a first customer join. */ resume?: string }
  | { ok: false; code: SignalErrorCode; message: string };

const refuse = (code: SignalErrorCode, message: string): Admission => ({ ok: false, code, message });

/** 128-bit room ids and 256-bit secrets, base64url (ROOM_ID_PATTERN, SecretSchema). */
export const newRoomId = (): string => randomBytes(16).toString('base64url');
export const newSecret = (): string => randomBytes(32).toString('base64url');

/** Compares two sha256 hex digests without an early exit. */
export function sameHash(a: string | null, b: string): boolean {
  if (a === null || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The principal behind `Authorization: Bearer <token>` at `now`: requireRole's own lookup, so an
 * expired or revoked token is refused here too and `name` is the token's WORKSTATION id (a
 * rotated token still opens its workstation's rooms).
 */
export async function principalFor(db: Queryable, authorization: string | undefined, now: number): Promise<Principal | null> {
  const auth = await authenticate(db, authorization, now);
  return auth.ok ? auth.principal : null;
}

function roomState(room: RoomRow, now: number): Admission | null {
  if (room.closedAt !== null) return room.closedReason === 'expired' ? refuse('ROOM_EXPIRED', 'the room has expired') : refuse('ROOM_CLOSED', 'the call has ended');
  if (now >= room.expiresAt) return refuse('ROOM_EXPIRED', 'the room has expired');
  return null;
}

export async function admit(db: ServerDb, hello: Hello, authorization: string | undefined, now: number): Promise<Admission> {
  if (hello.role === 'agent') {
    const principal = await principalFor(db, authorization, now);
    if (!principal) return refuse('UNAUTHENTICATED', 'the agent seat needs Authorization: Bearer <workstation token>');
    if (principal.role !== 'workstation') return refuse('FORBIDDEN', 'the agent seat needs a workstation token');
    const room = await findRoom(db, hello.room);
    if (!room) return refuse('ROOM_NOT_FOUND', 'no such room');
    if (room.workstation !== principal.name) return refuse('FORBIDDEN', 'this room belongs to another workstation');
    return roomState(room, now) ?? { ok: true, room, role: 'agent' };
  }

  const room = await findRoom(db, hello.room);
  if (!room) return refuse('ROOM_NOT_FOUND', 'no such room');
  if (hello.resume !== undefined) {
    if (!sameHash(room.resumeHash, hashToken(hello.resume))) return refuse('TOKEN_INVALID', 'the rejoin secret is not valid for this room');
    return roomState(room, now) ?? { ok: true, room, role: 'customer' };
  }

  const joinHash = hashToken(hello.token ?? '');
  if (!sameHash(room.joinHash, joinHash)) return refuse('TOKEN_INVALID', 'the join link is not valid for this room');
  const state = roomState(room, now);
  if (state) return state;
  if (room.joinUsedAt !== null) return refuse('TOKEN_USED', 'the join link was already used');
  if (now >= room.joinExpiresAt) return refuse('TOKEN_EXPIRED', 'the join link has expired');
  const resume = newSecret();
  // The atomic claim, not the read above, decides between two browsers racing with one link.
  if (!(await claimJoinToken(db, room.roomId, joinHash, hashToken(resume), now))) return refuse('TOKEN_USED', 'the join link was already used');
  return { ok: true, room, role: 'customer', resume };
}
