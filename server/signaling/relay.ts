/**
 * Fan-out between server instances over one PostgreSQL NOTIFY channel. Every event — a relayed
 * message, a seat taken, a seat freed, a room closed — is published here and applied by every
 * instance (this one included) when the notification comes back, so one instance or ten run the
 * same code path and no instance keeps state another would need.
 *
 * NOTIFY payloads are capped near 8000 bytes: an envelope larger than `inlineBytes` is stored in
 * `signal_messages` and the notification carries only its id plus the room and seat it is for, so
 * only the instance holding that seat reads it. Envelopes of one room are applied in order (a large
 * offer is not overtaken by the small candidate sent after it).
 */
import { z } from 'zod';
import type { Logger } from 'pino';
import type { ServerDb } from '../db/database';
import { ROLES, type Role, type ServerMessage } from '../../src/shared/signaling';
import { loadMessage, storeMessage } from './rooms';

export type Envelope =
  /** Deliver `msg` to whoever holds `role` in `room`. */
  | { k: 'msg'; room: string; role: Role; msg: ServerMessage }
  /** A connection took `role` with `epoch`: older holders are replaced; the other seat hears `joined`. */
  | { k: 'seat'; room: string; role: Role; epoch: number }
  /** `role`'s holder left: the other seat hears `left`. */
  | { k: 'left'; room: string; role: Role }
  | { k: 'closed'; room: string; reason: 'ended' | 'expired' };

const room = z.string().max(64);
const role = z.enum(ROLES);
// Envelopes come from our own instances; this only guards against a foreign NOTIFY on the channel.
// `msg` was validated by the instance that accepted it from a client.
const WireSchema = z.discriminatedUnion('k', [
  z.object({ k: z.literal('msg'), room, role, msg: z.object({ t: z.string() }).passthrough() }),
  z.object({ k: z.literal('seat'), room, role, epoch: z.number().int() }),
  z.object({ k: z.literal('left'), room, role }),
  z.object({ k: z.literal('closed'), room, reason: z.enum(['ended', 'expired']) }),
  z.object({ k: z.literal('ref'), room, role: role.optional(), id: z.string().regex(/^\d{1,20}$/) }),
]);

export interface RelayOptions {
  channel: string;
  inlineBytes: number;
  log: Logger;
  /** Whether this instance has a connection the envelope could concern (skips fetching stored ones). */
  wants(room: string, role?: Role): boolean;
  apply(envelope: Envelope): void;
}

export class Relay {
  private unlisten: (() => Promise<void>) | null = null;
  /** Per-room tail of the apply chain: keeps a room's envelopes in order across async fetches. */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(
    private readonly db: ServerDb,
    private readonly options: RelayOptions,
  ) {}

  async start(): Promise<void> {
    this.unlisten = await this.db.listen(this.options.channel, (payload) => this.received(payload));
  }

  async stop(): Promise<void> {
    const stop = this.unlisten;
    this.unlisten = null;
    await stop?.().catch(() => undefined);
    await Promise.allSettled([...this.tails.values()]);
  }

  async publish(envelope: Envelope): Promise<void> {
    const json = JSON.stringify(envelope);
    if (Buffer.byteLength(json, 'utf8') <= this.options.inlineBytes) {
      await this.db.notify(this.options.channel, json);
      return;
    }
    // Committed before the NOTIFY is sent, so any instance that gets the id can read the row.
    const id = await storeMessage(this.db, json);
    const role = envelope.k === 'closed' ? undefined : envelope.role;
    await this.db.notify(this.options.channel, JSON.stringify({ k: 'ref', room: envelope.room, role, id }));
  }

  private received(payload: string): void {
    let wire: z.infer<typeof WireSchema>;
    try {
      wire = WireSchema.parse(JSON.parse(payload));
    } catch {
      this.options.log.warn({ bytes: payload.length }, 'signaling: ignored a malformed notification');
      return;
    }
    if (!this.options.wants(wire.room, wire.k === 'ref' || wire.k === 'msg' ? wire.role : undefined)) return;
    this.inOrder(wire.room, async () => {
      if (wire.k !== 'ref') return this.options.apply(wire as Envelope);
      const stored = await loadMessage(this.db, wire.id);
      if (stored === null) return this.options.log.warn({ room: wire.room }, 'signaling: stored message already purged');
      const inner = WireSchema.safeParse(JSON.parse(stored));
      if (inner.success && inner.data.k !== 'ref') this.options.apply(inner.data as Envelope);
    });
  }

  private inOrder(roomId: string, task: () => Promise<void> | void): void {
    const tail = (this.tails.get(roomId) ?? Promise.resolve())
      .then(task)
      .catch((error: unknown) => this.options.log.error({ err: error instanceof Error ? error.message : String(error), room: roomId }, 'signaling: applying a notification failed'));
    this.tails.set(roomId, tail);
    void tail.then(() => {
      if (this.tails.get(roomId) === tail) this.tails.delete(roomId);
    });
  }
}
