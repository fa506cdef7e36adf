/**
 * Which secret the next hello carries. The join token is single-use; the welcome's `resume` secret
 * is what gets this browser back in after a network drop, a reload or closing and reopening the
 * tab, so a stored resume for this room is always tried first.
 *
 *   resume  localStorage, per room, until the room's lifetime is over or the server refuses it
 *   token   memory + sessionStorage, per room, until a welcome proves it was spent: the fragment is
 *           wiped from the address bar at load, and a reload before the first welcome (e.g. while
 *           the customer reads the consent text) must not lose it. sessionStorage is per tab.
 */
import { SIGNAL_LIMITS, SecretSchema } from '../shared/signaling';

export type Credential = { kind: 'resume'; secret: string } | { kind: 'token'; secret: string };

/** The subset of the Web Storage API used here (tests pass a Map-backed one). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  readonly length: number;
  key(index: number): string | null;
}

const RESUME_PREFIX = 'veridesk.join.resume.';
const TOKEN_PREFIX = 'veridesk.join.token.';

interface StoredResume {
  secret: string;
  /** epoch ms; a resume older than a room can live is useless and is pruned. */
  savedAt: number;
}

/** Storage that may throw (Safari private mode quotas, WebViews with storage disabled) becomes a no-op. */
function safe(store: KeyValueStore | null): KeyValueStore | null {
  if (!store) return null;
  try {
    const probe = '__veridesk_probe__';
    store.setItem(probe, '1');
    store.removeItem(probe);
    return store;
  } catch {
    return null;
  }
}

function read(store: KeyValueStore | null, key: string): string | null {
  try {
    return store?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

function write(store: KeyValueStore | null, key: string, value: string | null): void {
  try {
    if (value === null) store?.removeItem(key);
    else store?.setItem(key, value);
  } catch {
    // full or disabled: the in-memory copy still works for this page's lifetime
  }
}

export class Credentials {
  private readonly local: KeyValueStore | null;
  private readonly session: KeyValueStore | null;
  private resume: string | null;
  private token: string | null;

  constructor(
    private readonly roomId: string,
    linkToken: string | null,
    stores: { local: KeyValueStore | null; session: KeyValueStore | null },
    private readonly now: () => number = Date.now,
  ) {
    this.local = safe(stores.local);
    this.session = safe(stores.session);
    this.pruneExpired();
    this.resume = this.readResume();
    const kept = read(this.session, TOKEN_PREFIX + roomId);
    // A fresh link wins over a token kept from an earlier load of the same room.
    this.token = linkToken ?? (kept && SecretSchema.safeParse(kept).success ? kept : null);
    if (linkToken) write(this.session, TOKEN_PREFIX + roomId, linkToken);
  }

  /** The secret for the next hello, or null when there is none left to try. */
  current(): Credential | null {
    if (this.resume) return { kind: 'resume', secret: this.resume };
    if (this.token) return { kind: 'token', secret: this.token };
    return null;
  }

  /** A welcome arrived: the token is spent; keep the resume secret it brought. */
  welcomed(resume: string | undefined): void {
    this.token = null;
    write(this.session, TOKEN_PREFIX + this.roomId, null);
    if (resume) {
      this.resume = resume;
      const stored: StoredResume = { secret: resume, savedAt: this.now() };
      write(this.local, RESUME_PREFIX + this.roomId, JSON.stringify(stored));
    }
  }

  /**
   * The server refused the credential last sent. Returns whether another one is left to try
   * (a stale resume falls back to an unused link token).
   */
  refused(credential: Credential): boolean {
    if (credential.kind === 'resume') {
      this.dropResume();
    } else {
      this.token = null;
      write(this.session, TOKEN_PREFIX + this.roomId, null);
    }
    return this.current() !== null;
  }

  /** The room is over: nothing of it is worth keeping. */
  forget(): void {
    this.dropResume();
    this.token = null;
    write(this.session, TOKEN_PREFIX + this.roomId, null);
  }

  private dropResume(): void {
    this.resume = null;
    write(this.local, RESUME_PREFIX + this.roomId, null);
  }

  private readResume(): string | null {
    const raw = read(this.local, RESUME_PREFIX + this.roomId);
    const stored = raw ? parseStored(raw) : null;
    return stored ? stored.secret : null;
  }

  /** Resume secrets of rooms that can no longer exist are removed, so shared phones do not collect them. */
  private pruneExpired(): void {
    if (!this.local) return;
    const keys: string[] = [];
    try {
      for (let i = 0; i < this.local.length; i += 1) {
        const key = this.local.key(i);
        if (key?.startsWith(RESUME_PREFIX)) keys.push(key);
      }
    } catch {
      return;
    }
    for (const key of keys) {
      const raw = read(this.local, key);
      const stored = raw ? parseStored(raw) : null;
      if (!stored || this.now() - stored.savedAt > SIGNAL_LIMITS.roomTtlMs) write(this.local, key, null);
    }
  }
}

function parseStored(raw: string): StoredResume | null {
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return null;
    const { secret, savedAt } = value as Partial<StoredResume>;
    if (typeof secret !== 'string' || !SecretSchema.safeParse(secret).success || typeof savedAt !== 'number') return null;
    return { secret, savedAt };
  } catch {
    return null;
  }
}

const QUEUE_PREFIX = 'veridesk.join.queue.';

/**
 * Queue mode: the request's secret, kept in sessionStorage (per tab) like a room's token, because the
 * fragment is wiped at load and a reload while waiting must not lose the place in the queue. Returns
 * the secret to use: the link's when it has one (a fresh link wins), else the one kept for this request.
 */
export function keepQueueSecret(session: KeyValueStore | null, requestId: string, linkSecret: string | null): string | null {
  const store = safe(session);
  if (linkSecret) {
    write(store, QUEUE_PREFIX + requestId, linkSecret);
    return linkSecret;
  }
  const kept = read(store, QUEUE_PREFIX + requestId);
  return kept && SecretSchema.safeParse(kept).success ? kept : null;
}

/** Waiting is over (left, ended, call finished): the secret is no longer this tab's business. */
export function forgetQueueSecret(session: KeyValueStore | null, requestId: string): void {
  write(safe(session), QUEUE_PREFIX + requestId, null);
}

const BOOKED_PREFIX = 'veridesk.join.booked.';
/** A booked slot is worth remembering until its call-back and the one retry are over. */
const BOOKED_KEEP_AFTER_END_MS = 60 * 60_000;

export interface RememberedSlot {
  slotStart: number;
  slotEnd: number;
}

/**
 * The booked call-back's time, in localStorage: opened again before the reminder window, the server
 * answers only REMINDER_NOT_OPEN (no details before the window), and the page can still say when.
 * Only two times are kept, never the secret or anything about the customer.
 */
export function rememberBookedSlot(local: KeyValueStore | null, requestId: string, slot: RememberedSlot | null): void {
  write(safe(local), BOOKED_PREFIX + requestId, slot ? JSON.stringify({ slotStart: slot.slotStart, slotEnd: slot.slotEnd }) : null);
}

export function recallBookedSlot(local: KeyValueStore | null, requestId: string, now: number = Date.now()): RememberedSlot | null {
  const store = safe(local);
  const raw = read(store, BOOKED_PREFIX + requestId);
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<RememberedSlot> | null;
    const { slotStart, slotEnd } = value ?? {};
    if (Number.isSafeInteger(slotStart) && Number.isSafeInteger(slotEnd) && slotEnd! > slotStart! && now < slotEnd! + BOOKED_KEEP_AFTER_END_MS) return { slotStart: slotStart!, slotEnd: slotEnd! };
  } catch {
    // tampered or half-written: forget it below
  }
  write(store, BOOKED_PREFIX + requestId, null);
  return null;
}

const LANGUAGE_KEY = 'veridesk.join.language';

export function loadLanguage(store: KeyValueStore | null): string | null {
  return read(safe(store), LANGUAGE_KEY);
}

export function saveLanguage(store: KeyValueStore | null, language: string): void {
  write(safe(store), LANGUAGE_KEY, language);
}
