/**
 * The signaling service of one server instance: admits connections, claims seats, publishes every
 * event through the relay, and runs the periodic jobs (seat heartbeat, expiry and stale-seat
 * sweep, WebSocket keep-alive). See docs/signaling.md for how instances cooperate.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Queryable, ServerDb } from '../db/database';
import { hashToken } from '../auth/tokens';
import { JOIN_PATH_PREFIX, SIGNAL_LIMITS, type CreateRoomResponse, type Hello, type ServerMessage } from '../../src/shared/signaling';
import { EMPTY_ICE_CONFIG, issueIce, type IceConfig } from '../turn/credentials';
import { admit, newRoomId, newSecret, type Admission } from './admission';
import type { ConnectionPort, SignalConnection } from './connection';
import { Hub, otherRole } from './hub';
import { Relay } from './relay';
import { claimSeat, closeRoom, expireRooms, findRoom, heartbeatSeats, insertRoom, purgeOld, releaseSeat, seatPresent, sweepStaleSeats } from './rooms';

export type SignalLimits = { -readonly [K in keyof typeof SIGNAL_LIMITS]: number };

export interface SignalingOptions {
  /** Base of join links, e.g. https://verify.example.com (default: the request's own origin). */
  publicUrl?: string;
  /** STUN/TURN servers handed out in welcome (server/turn/credentials.ts). */
  ice?: IceConfig;
  /** Wall clock for room and token expiry (tests inject one). */
  now?: () => number;
  /** Protocol limits; defaults are SIGNAL_LIMITS (tests shorten the hello timeout). */
  limits?: Partial<SignalLimits>;
  /** How often this instance refreshes its seats' heartbeat (default 10 s). */
  heartbeatIntervalMs?: number;
  /** A seat whose instance has not heartbeated this long is stale and freed (default 45 s). */
  seatStaleMs?: number;
  /** How often expired rooms are closed and stale seats and old rows are cleaned (default 10 s). */
  sweepIntervalMs?: number;
  /** WebSocket ping interval; a socket that misses one is dropped (default 30 s). */
  pingIntervalMs?: number;
  /** Stored large messages are deleted after this (default 5 min). */
  messageRetentionMs?: number;
  /** Rooms are deleted this long after they expire (default 24 h). */
  roomRetentionMs?: number;
  /** NOTIFY channel (default veridesk_signal). */
  channel?: string;
}

export class SignalingService implements ConnectionPort {
  readonly limits: SignalLimits;
  readonly instanceId = randomUUID();
  private readonly hub = new Hub();
  private readonly relay: Relay;
  private readonly connections = new Set<SignalConnection>();
  private readonly now: () => number;
  private readonly ice: IceConfig;
  private readonly o: Required<Omit<SignalingOptions, 'publicUrl' | 'ice' | 'now' | 'limits'>>;
  private timers: NodeJS.Timeout[] = [];
  private sweeping = false;

  constructor(
    private readonly db: ServerDb,
    private readonly log: Logger,
    private readonly options: SignalingOptions = {},
  ) {
    this.limits = { ...SIGNAL_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.ice = options.ice ?? EMPTY_ICE_CONFIG;
    this.o = {
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 10_000,
      seatStaleMs: options.seatStaleMs ?? 45_000,
      sweepIntervalMs: options.sweepIntervalMs ?? 10_000,
      pingIntervalMs: options.pingIntervalMs ?? 30_000,
      messageRetentionMs: options.messageRetentionMs ?? 5 * 60_000,
      roomRetentionMs: options.roomRetentionMs ?? 24 * 60 * 60_000,
      channel: options.channel ?? 'veridesk_signal',
    };
    this.relay = new Relay(db, {
      channel: this.o.channel,
      inlineBytes: this.limits.notifyInlineBytes,
      log,
      wants: (room, role) => this.hub.has(room, role),
      apply: (envelope) => this.hub.apply(envelope),
    });
  }

  async start(): Promise<void> {
    await this.relay.start();
    const every = (ms: number, job: () => Promise<void> | void) => {
      const t = setInterval(() => void Promise.resolve(job()).catch((e: unknown) => this.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'signaling job failed')), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.o.heartbeatIntervalMs, () => (this.hub.size > 0 ? heartbeatSeats(this.db, this.instanceId) : undefined));
    every(this.o.sweepIntervalMs, () => this.sweep());
    every(this.o.pingIntervalMs, () => this.connections.forEach((c) => c.checkAlive()));
  }

  /** Closes every socket (1001, so clients reconnect elsewhere), waits briefly for seats to be freed. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    const open = [...this.connections];
    for (const c of open) c.shutdown();
    await Promise.race([Promise.allSettled(open.map((c) => c.finished)), new Promise((r) => setTimeout(r, 2_000).unref())]);
    await this.relay.stop();
  }

  track(conn: SignalConnection): void {
    this.connections.add(conn);
    void conn.finished.then(() => this.connections.delete(conn));
  }

  async createRoom(caseId: string, workstation: string, publicBase: string): Promise<CreateRoomResponse> {
    const now = this.now();
    const roomId = newRoomId();
    const token = newSecret();
    const room = { roomId, caseId, workstation, createdAt: now, expiresAt: now + this.limits.roomTtlMs, joinExpiresAt: now + this.limits.joinTokenTtlMs, joinHash: hashToken(token) };
    await insertRoom(this.db, room);
    this.log.info({ room: roomId, caseId, workstation }, 'signaling room created');
    // The token rides in the fragment: browsers never send it to the server, so no access log has it.
    const joinUrl = `${(this.options.publicUrl ?? publicBase).replace(/\/+$/, '')}${JOIN_PATH_PREFIX}${roomId}#${token}`;
    return { roomId, caseId, joinUrl, joinExpiresAt: room.joinExpiresAt, expiresAt: room.expiresAt };
  }

  /**
   * A room for a queued customer (server/queue): its join hash is the hash of the secret the customer already
   * holds from the hand-over, so no second secret is made or sent. Inserted through `tx`, the caller's
   * transaction, so the room exists only if the accept that makes it commits.
   */
  async createQueuedRoom(tx: Queryable, caseId: string, workstation: string, joinHash: string): Promise<{ roomId: string; expiresAt: number; joinExpiresAt: number }> {
    const now = this.now();
    const room = { roomId: newRoomId(), caseId, workstation, createdAt: now, expiresAt: now + this.limits.roomTtlMs, joinExpiresAt: now + this.limits.joinTokenTtlMs, joinHash };
    await insertRoom(tx, room);
    this.log.info({ room: room.roomId, caseId, workstation }, 'signaling room created for a queued customer');
    return { roomId: room.roomId, expiresAt: room.expiresAt, joinExpiresAt: room.joinExpiresAt };
  }

  admit(hello: Hello, authorization: string | undefined): Promise<Admission> {
    return admit(this.db, hello, authorization, this.now());
  }

  async join(conn: SignalConnection, a: Extract<Admission, { ok: true }>): Promise<void> {
    const roomId = a.room.roomId;
    const claim = await claimSeat(this.db, { roomId, role: a.role, connId: conn.id, instanceId: this.instanceId });
    if (!claim.ok) return claim.why === 'closed' ? conn.refuse('ROOM_CLOSED', 'the call has ended') : conn.refuse('REPLACED', 'another connection took this seat');
    conn.bind(roomId, a.role, claim.epoch);
    const peerPresent = await seatPresent(this.db, roomId, otherRole(a.role), this.o.seatStaleMs);
    const now = this.now();
    const ice = issueIce(this.ice, roomId, now, a.room.expiresAt);
    const welcomed = conn.welcome({
      t: 'welcome',
      role: a.role,
      room: roomId,
      caseId: a.room.caseId,
      ...(a.resume ? { resume: a.resume } : {}),
      ...ice,
      peerPresent,
      roomExpiresAt: a.room.expiresAt,
    });
    // Registered before the seat is announced, so the peer's answer to `joined` finds us.
    if (welcomed) this.hub.add(conn);
    // Announced even when the socket already dropped, so an older holder is still replaced
    // consistently; the queued leave then frees the seat and the peer hears `left`.
    await this.relay.publish({ k: 'seat', room: roomId, role: a.role, epoch: claim.epoch });
    this.log.info({ room: roomId, role: a.role, peerPresent }, 'signaling seat taken');
    if (!welcomed) return;
    // A close that committed while we claimed may have been applied before we registered.
    const room = await findRoom(this.db, roomId);
    if (!room || room.closedAt !== null) conn.roomClosed(room?.closedReason ?? 'ended');
  }

  forward(conn: SignalConnection, message: ServerMessage): Promise<void> {
    return this.relay.publish({ k: 'msg', room: conn.room, role: otherRole(conn.role), msg: message });
  }

  async end(conn: SignalConnection): Promise<void> {
    if (await closeRoom(this.db, conn.room, 'ended', this.now())) {
      this.log.info({ room: conn.room }, 'signaling room ended by the agent');
      await this.relay.publish({ k: 'closed', room: conn.room, reason: 'ended' });
    }
  }

  async leave(conn: SignalConnection): Promise<void> {
    if (await releaseSeat(this.db, conn.room, conn.role, conn.id)) {
      this.log.info({ room: conn.room, role: conn.role }, 'signaling seat left');
      await this.relay.publish({ k: 'left', room: conn.room, role: conn.role });
    }
  }

  detach(conn: SignalConnection): void {
    this.hub.remove(conn);
  }

  /** Closes expired rooms and frees stale seats; every instance runs it, each row is acted on once. */
  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const now = this.now();
      for (const room of await expireRooms(this.db, now)) {
        this.log.info({ room }, 'signaling room expired');
        await this.relay.publish({ k: 'closed', room, reason: 'expired' });
      }
      for (const seat of await sweepStaleSeats(this.db, this.o.seatStaleMs)) await this.relay.publish({ k: 'left', room: seat.roomId, role: seat.role });
      await purgeOld(this.db, { now, messageRetentionMs: this.o.messageRetentionMs, roomRetentionMs: this.o.roomRetentionMs });
    } finally {
      this.sweeping = false;
    }
  }
}
