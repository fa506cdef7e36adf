import { describe, expect, it } from 'vitest';
import { SIGNAL_LIMITS } from '../shared/signaling';
import { Credentials, forgetQueueSecret, keepQueueSecret, loadLanguage, recallBookedSlot, rememberBookedSlot, saveLanguage, type KeyValueStore } from './credentials';

class MemoryStore implements KeyValueStore {
  readonly map = new Map<string, string>();
  get length() {
    return this.map.size;
  }
  key(index: number) {
    return [...this.map.keys()][index] ?? null;
  }
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.map.set(key, value);
  }
  removeItem(key: string) {
    this.map.delete(key);
  }
}

const room = 'Room_0123456789abcdef';
const token = 't'.repeat(43);
const resume = 'r'.repeat(43);

describe('credentials', () => {
  it('uses the token first, then the resume secret from the welcome, which survives a reload', () => {
    const local = new MemoryStore();
    const session = new MemoryStore();
    const first = new Credentials(room, token, { local, session });
    expect(first.current()).toEqual({ kind: 'token', secret: token });
    first.welcomed(resume);
    expect(first.current()).toEqual({ kind: 'resume', secret: resume });
    // reload: the fragment is gone, the resume is in localStorage, the spent token nowhere
    const reloaded = new Credentials(room, null, { local, session });
    expect(reloaded.current()).toEqual({ kind: 'resume', secret: resume });
    reloaded.refused({ kind: 'resume', secret: resume });
    expect(reloaded.current()).toBeNull();
  });

  it('prefers a stored resume over the token, and falls back to an unused token when the resume is refused', () => {
    const local = new MemoryStore();
    new Credentials(room, null, { local, session: null }).welcomed(resume);
    const c = new Credentials(room, token, { local, session: null });
    expect(c.current()?.kind).toBe('resume');
    expect(c.refused({ kind: 'resume', secret: resume })).toBe(true);
    expect(c.current()).toEqual({ kind: 'token', secret: token });
    expect(c.refused({ kind: 'token', secret: token })).toBe(false);
  });

  it('keeps an unspent token across a reload before the first welcome (sessionStorage)', () => {
    const session = new MemoryStore();
    new Credentials(room, token, { local: null, session });
    expect(new Credentials(room, null, { local: null, session }).current()).toEqual({ kind: 'token', secret: token });
  });

  it('prunes resume secrets older than a room can live, and forgets a finished room', () => {
    const local = new MemoryStore();
    let now = 1_000_000;
    new Credentials('Other_0123456789abcdef', null, { local, session: null }, () => now).welcomed(resume);
    now += SIGNAL_LIMITS.roomTtlMs + 1;
    const c = new Credentials(room, token, { local, session: null }, () => now);
    expect(local.map.size).toBe(0);
    c.welcomed(resume);
    expect(local.map.size).toBe(1);
    c.forget();
    expect(local.map.size).toBe(0);
    expect(c.current()).toBeNull();
  });

  it('works when storage throws (private mode, disabled storage)', () => {
    const broken: KeyValueStore = {
      length: 0,
      key: () => null,
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
      removeItem: () => undefined,
    };
    const c = new Credentials(room, token, { local: broken, session: broken });
    c.welcomed(resume);
    expect(c.current()).toEqual({ kind: 'resume', secret: resume });
    saveLanguage(broken, 'en');
    expect(loadLanguage(broken)).toBeNull();
  });

  it('keeps a queue secret for reloads of the same tab, a fresh link wins, and it is forgotten when waiting ends', () => {
    const session = new MemoryStore();
    const secret = 's'.repeat(43);
    expect(keepQueueSecret(session, 'r1', secret)).toBe(secret);
    // reload: the fragment is gone
    expect(keepQueueSecret(session, 'r1', null)).toBe(secret);
    expect(keepQueueSecret(session, 'r2', null)).toBeNull();
    const fresh = 'f'.repeat(43);
    expect(keepQueueSecret(session, 'r1', fresh)).toBe(fresh);
    session.setItem('veridesk.join.queue.r3', 'tampered <script>');
    expect(keepQueueSecret(session, 'r3', null)).toBeNull();
    forgetQueueSecret(session, 'r1');
    expect(keepQueueSecret(session, 'r1', null)).toBeNull();
    expect(keepQueueSecret(null, 'r1', secret)).toBe(secret);
  });

  it('remembers a booked slot (two times, nothing else) until an hour after it, and drops tampered ones', () => {
    const local = new MemoryStore();
    const slot = { slotStart: 1_000_000, slotEnd: 1_900_000 };
    rememberBookedSlot(local, 'r1', slot);
    expect(local.getItem('veridesk.join.booked.r1')).toBe(JSON.stringify(slot));
    expect(recallBookedSlot(local, 'r1', 0)).toEqual(slot);
    expect(recallBookedSlot(local, 'r1', slot.slotEnd + 3_600_000)).toBeNull();
    expect(local.getItem('veridesk.join.booked.r1')).toBeNull();
    for (const raw of ['{"slotStart":5,"slotEnd":1}', '{"slotStart":"1","slotEnd":2}', 'not json', 'null']) {
      local.setItem('veridesk.join.booked.r2', raw);
      expect(recallBookedSlot(local, 'r2', 0), raw).toBeNull();
    }
    rememberBookedSlot(local, 'r1', slot);
    rememberBookedSlot(local, 'r1', null);
    expect(recallBookedSlot(local, 'r1', 0)).toBeNull();
  });
});
