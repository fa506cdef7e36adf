/**
 * This instance's connections that hold a seat, and how a relayed envelope lands on them. The hub
 * holds no state another instance needs: seats and rooms are in the database, and an envelope for a
 * seat that no connection here holds is simply not ours (or nobody's: then it is dropped).
 */
import type { Role, ServerMessage, SignalErrorCode } from '../../src/shared/signaling';
import type { Envelope } from './relay';

/** What the hub needs of a connection that has taken a seat. */
export interface SeatHolder {
  readonly room: string;
  readonly role: Role;
  /** The seat claim's epoch: a higher one replaces a lower one. */
  readonly epoch: number;
  send(message: ServerMessage): void;
  refuse(code: SignalErrorCode, message: string): void;
  roomClosed(reason: 'ended' | 'expired'): void;
}

export const otherRole = (role: Role): Role => (role === 'agent' ? 'customer' : 'agent');

export class Hub {
  private readonly rooms = new Map<string, Set<SeatHolder>>();

  add(holder: SeatHolder): void {
    let set = this.rooms.get(holder.room);
    if (!set) this.rooms.set(holder.room, (set = new Set()));
    set.add(holder);
  }

  remove(holder: SeatHolder): void {
    const set = this.rooms.get(holder.room);
    if (!set?.delete(holder)) return;
    if (set.size === 0) this.rooms.delete(holder.room);
  }

  /** Whether a connection here holds `role` (any seat when undefined) in `room`. */
  has(room: string, role?: Role): boolean {
    const set = this.rooms.get(room);
    if (!set) return false;
    return role === undefined || [...set].some((h) => h.role === role);
  }

  /** The newest local holder of a seat (briefly there can be two until the older is replaced). */
  holder(room: string, role: Role): SeatHolder | undefined {
    let best: SeatHolder | undefined;
    for (const h of this.rooms.get(room) ?? []) if (h.role === role && (!best || h.epoch > best.epoch)) best = h;
    return best;
  }

  get size(): number {
    let n = 0;
    for (const set of this.rooms.values()) n += set.size;
    return n;
  }

  apply(envelope: Envelope): void {
    switch (envelope.k) {
      case 'msg':
        this.holder(envelope.room, envelope.role)?.send(envelope.msg);
        return;
      case 'seat':
        for (const h of [...(this.rooms.get(envelope.room) ?? [])]) {
          if (h.role === envelope.role && h.epoch < envelope.epoch) h.refuse('REPLACED', 'another connection took this seat');
        }
        this.holder(envelope.room, otherRole(envelope.role))?.send({ t: 'peer', state: 'joined' });
        return;
      case 'left':
        this.holder(envelope.room, otherRole(envelope.role))?.send({ t: 'peer', state: 'left' });
        return;
      case 'closed':
        for (const h of [...(this.rooms.get(envelope.room) ?? [])]) h.roomClosed(envelope.reason);
        return;
    }
  }
}
