/**
 * The signaling tables (migration 2): rooms, who holds each seat, and relayed messages too large
 * for a NOTIFY. Every statement that decides something (token claimed, seat taken, room closed) is
 * one atomic UPDATE/INSERT … RETURNING, so concurrent instances never both win.
 */
import type { Queryable, ServerDb } from '../db/database';
import type { Role } from '../../src/shared/signaling';

export type CloseReason = 'ended' | 'expired';

export interface RoomRow {
  roomId: string;
  caseId: string;
  workstation: string;
  createdAt: number;
  expiresAt: number;
  joinHash: string;
  joinExpiresAt: number;
  joinUsedAt: number | null;
  resumeHash: string | null;
  closedAt: number | null;
  closedReason: CloseReason | null;
}

interface RoomDbRow {
  room_id: string;
  case_id: string;
  workstation: string;
  created_at: number | string;
  expires_at: number | string;
  join_hash: string;
  join_expires_at: number | string;
  join_used_at: number | string | null;
  resume_hash: string | null;
  closed_at: number | string | null;
  closed_reason: CloseReason | null;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

export async function insertRoom(db: Queryable, r: Pick<RoomRow, 'roomId' | 'caseId' | 'workstation' | 'createdAt' | 'expiresAt' | 'joinHash' | 'joinExpiresAt'>): Promise<void> {
  await db.query(
    `INSERT INTO signal_rooms (room_id, case_id, workstation, created_at, expires_at, join_hash, join_expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [r.roomId, r.caseId, r.workstation, r.createdAt, r.expiresAt, r.joinHash, r.joinExpiresAt],
  );
}

export async function findRoom(db: Queryable, roomId: string): Promise<RoomRow | null> {
  const { rows } = await db.query<RoomDbRow>('SELECT * FROM signal_rooms WHERE room_id = $1', [roomId]);
  const r = rows[0];
  if (!r) return null;
  return {
    roomId: r.room_id,
    caseId: r.case_id,
    workstation: r.workstation,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    joinHash: r.join_hash,
    joinExpiresAt: Number(r.join_expires_at),
    joinUsedAt: num(r.join_used_at),
    resumeHash: r.resume_hash,
    closedAt: num(r.closed_at),
    closedReason: r.closed_reason,
  };
}

/** Marks the join token used and stores the resume secret's hash; false when someone used it first. */
export async function claimJoinToken(db: Queryable, roomId: string, joinHash: string, resumeHash: string, now: number): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE signal_rooms SET join_used_at = $4, resume_hash = $3
     WHERE room_id = $1 AND join_hash = $2 AND join_used_at IS NULL AND closed_at IS NULL
     RETURNING room_id`,
    [roomId, joinHash, resumeHash, now],
  );
  return rows.length === 1;
}

export type SeatClaim = { ok: true; epoch: number } | { ok: false; why: 'closed' | 'superseded' };

/**
 * Takes the seat for `connId`. The epoch comes from one global sequence, so the newest claim always
 * has the highest epoch; an older claim that commits late does not overwrite a newer one. The room
 * row is share-locked so a concurrent close (UPDATE) orders strictly before or after the claim.
 */
export async function claimSeat(db: ServerDb, s: { roomId: string; role: Role; connId: string; instanceId: string }): Promise<SeatClaim> {
  return db.transaction(async (tx) => {
    const open = await tx.query('SELECT 1 FROM signal_rooms WHERE room_id = $1 AND closed_at IS NULL FOR SHARE', [s.roomId]);
    if (open.rows.length === 0) return { ok: false, why: 'closed' } as const;
    const { rows } = await tx.query<{ epoch: number | string }>(
      `INSERT INTO signal_seats (room_id, role, conn_id, instance_id, epoch)
       VALUES ($1, $2, $3, $4, nextval('signal_seat_epoch'))
       ON CONFLICT (room_id, role) DO UPDATE
         SET conn_id = EXCLUDED.conn_id, instance_id = EXCLUDED.instance_id, epoch = EXCLUDED.epoch,
             connected_at = now(), heartbeat_at = now()
         WHERE signal_seats.epoch < EXCLUDED.epoch
       RETURNING epoch`,
      [s.roomId, s.role, s.connId, s.instanceId],
    );
    const row = rows[0];
    return row ? ({ ok: true, epoch: Number(row.epoch) } as const) : ({ ok: false, why: 'superseded' } as const);
  });
}

/** Whether `role`'s seat is held by a connection whose instance has heartbeated within `staleMs`. */
export async function seatPresent(db: Queryable, roomId: string, role: Role, staleMs: number): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM signal_seats WHERE room_id = $1 AND role = $2 AND heartbeat_at > now() - ($3::bigint * interval '1 millisecond')`,
    [roomId, role, staleMs],
  );
  return rows.length > 0;
}

/** Frees the seat if `connId` still holds it; false when it was taken over or the room closed. */
export async function releaseSeat(db: Queryable, roomId: string, role: Role, connId: string): Promise<boolean> {
  const { rows } = await db.query('DELETE FROM signal_seats WHERE room_id = $1 AND role = $2 AND conn_id = $3 RETURNING room_id', [roomId, role, connId]);
  return rows.length === 1;
}

/** Closes an open room and frees its seats; false when it was already closed. */
export async function closeRoom(db: ServerDb, roomId: string, reason: CloseReason, now: number): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query('UPDATE signal_rooms SET closed_at = $2, closed_reason = $3 WHERE room_id = $1 AND closed_at IS NULL RETURNING room_id', [roomId, now, reason]);
    if (rows.length === 0) return false;
    await tx.query('DELETE FROM signal_seats WHERE room_id = $1', [roomId]);
    return true;
  });
}

/** Closes every open room past its expiry; returns the ones this call closed (each closed once, cluster-wide). */
export async function expireRooms(db: ServerDb, now: number): Promise<string[]> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ room_id: string }>(
      `UPDATE signal_rooms SET closed_at = $1, closed_reason = 'expired' WHERE closed_at IS NULL AND expires_at <= $1 RETURNING room_id`,
      [now],
    );
    if (rows.length > 0) await tx.query('DELETE FROM signal_seats s USING signal_rooms r WHERE s.room_id = r.room_id AND r.closed_at IS NOT NULL');
    return rows.map((r) => r.room_id);
  });
}

/** Proves this instance is alive for every seat it holds. */
export async function heartbeatSeats(db: Queryable, instanceId: string): Promise<void> {
  await db.query('UPDATE signal_seats SET heartbeat_at = now() WHERE instance_id = $1', [instanceId]);
}

/** Frees seats whose instance stopped heartbeating (it crashed or lost the database). */
export async function sweepStaleSeats(db: Queryable, staleMs: number): Promise<{ roomId: string; role: Role }[]> {
  const { rows } = await db.query<{ room_id: string; role: Role }>(
    `DELETE FROM signal_seats WHERE heartbeat_at <= now() - ($1::bigint * interval '1 millisecond') RETURNING room_id, role`,
    [staleMs],
  );
  return rows.map((r) => ({ roomId: r.room_id, role: r.role }));
}

export async function storeMessage(db: Queryable, payload: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>('INSERT INTO signal_messages (payload) VALUES ($1) RETURNING message_id::text AS id', [payload]);
  return rows[0]!.id;
}

export async function loadMessage(db: Queryable, id: string): Promise<string | null> {
  const { rows } = await db.query<{ payload: string }>('SELECT payload FROM signal_messages WHERE message_id = $1::bigint', [id]);
  return rows[0]?.payload ?? null;
}

/**
 * Deletes relayed messages older than `messageRetentionMs` (every instance has long fetched them)
 * and rooms (with their seats) that expired more than `roomRetentionMs` ago.
 */
export async function purgeOld(db: Queryable, o: { now: number; messageRetentionMs: number; roomRetentionMs: number }): Promise<void> {
  await db.query(`DELETE FROM signal_messages WHERE created_at <= now() - ($1::bigint * interval '1 millisecond')`, [o.messageRetentionMs]);
  await db.query('DELETE FROM signal_rooms WHERE expires_at <= $1', [o.now - o.roomRetentionMs]);
}
