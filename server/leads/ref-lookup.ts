/**
 * The server's own lookup for customer references (docs/lead-api.md "Customer reference search"): a lead finds
 * every workstation's cases of one customer with one search.
 *
 * Why the server keys its own hash: each workstation hashes a reference with its own case-log key, so the same
 * customer has a different `customerRefHash` on every workstation and no single hash finds them all. `case.opened`
 * carries the reference in clear (src/main/caselog/store.ts), so at ingest the server stores
 * HMAC-SHA256(lookup key, reference) in `cases.customer_ref_lookup` (schema version 9, ./ref-migration.ts), and a
 * search (a POST body, never a URL) hashes the lead's reference the same way. The column never holds the
 * reference, nothing here logs it, and a leaked table without the key does not reveal or confirm references.
 *
 * The lookup key is derived (HKDF-SHA256, its own label) from the server key the reference photos and recordings
 * use — `VERIDESK_SERVER_KEY` — or, when that is unset, from a key file of its own
 * (`<VERIDESK_SERVER_DATA or .data/server>/lead-lookup.key`, created 0600 on first use). Never the same key bytes
 * as another purpose: the photo key encrypts, the recording key wraps keys, this one only names rows.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { Queryable, ServerDb } from '../db/database';
import { loadOrCreateKeyFile, parseServerKey } from '../reference-photos/crypto';

/** HKDF info of the lookup key: a new label (v2) would be a new key, and every row's lookup would need recomputing. */
export const REF_LOOKUP_LABEL = 'veridesk/lead/customer-ref-lookup/v1';

export interface RefLookupOptions {
  /** 64 hex characters; default VERIDESK_SERVER_KEY (the key reference photos and recordings derive theirs from). */
  serverKeyHex?: string;
  /** Used when there is no server key; default `<VERIDESK_SERVER_DATA or .data/server>/lead-lookup.key`. */
  lookupKeyFile?: string;
}

/** hex HMAC-SHA256 of a customer reference under the server's lookup key. */
export type CustomerRefLookup = (customerRef: string) => string;

/** The lookup key of a 32-byte server key. */
export function deriveLookupKey(serverKey: Buffer): Buffer {
  if (serverKey.length !== 32) throw new Error('the server key must be 32 bytes');
  return Buffer.from(hkdfSync('sha256', serverKey, Buffer.alloc(0), REF_LOOKUP_LABEL, 32));
}

/**
 * What counts as a searchable reference: the console's (ConsoleFilterSchema customerRef, trimmed, 1-64
 * characters). A longer or non-string value in a payload gets no lookup: no search could ask for it.
 */
export function searchableRef(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const ref = v.trim();
  return ref.length >= 1 && ref.length <= 64 ? ref : null;
}

export const lookupWith = (key: Buffer): CustomerRefLookup => (customerRef) => createHmac('sha256', key).update(customerRef, 'utf8').digest('hex');

/**
 * The server's lookup, its key resolved on first use (a server that never sees a reference writes no key file). A
 * malformed key is refused at once, so a bad configuration stops the start.
 */
export function customerRefLookup(db: ServerDb, log: FastifyBaseLogger, options: RefLookupOptions = {}, env: NodeJS.ProcessEnv = process.env): CustomerRefLookup {
  const hex = options.serverKeyHex ?? (env.VERIDESK_SERVER_KEY || undefined);
  let lookup: CustomerRefLookup | null = hex ? lookupWith(deriveLookupKey(parseServerKey(hex, 'VERIDESK_SERVER_KEY'))) : null;
  const keyFile = options.lookupKeyFile ?? join(resolve(env.VERIDESK_SERVER_DATA ?? '.data/server'), 'lead-lookup.key');
  return (customerRef) => {
    lookup ??= lookupWith(
      deriveLookupKey(
        loadOrCreateKeyFile(keyFile, ({ path, created, looseMode }) => {
          const l = log.child({ component: 'lead-lookup' });
          l.info({ keyFile: path, created }, created ? 'customer-reference lookup key file created' : 'customer-reference lookup key read from key file');
          if (looseMode) l.warn({ keyFile: path }, 'customer-reference lookup key file is readable by other users: chmod 600 it');
          // another instance with another key file would store lookups no search of this one matches
          if (db.kind === 'postgres') l.warn({ keyFile: path }, 'customer-reference lookup key comes from a file on this machine: every instance on this database needs the same key, set VERIDESK_SERVER_KEY');
        }),
      ),
    );
    return lookup(customerRef);
  };
}

/** The two columns a new case gets from its case.opened `customerRef` (the sync upsert, server/sync/batch-writes.ts). */
export function refLookupColumns(customerRef: unknown, lookup: CustomerRefLookup | undefined): { crl: string | null; rlp: boolean } {
  const ref = searchableRef(customerRef);
  // without a lookup (a caller of storeBatch that passes none) the case waits for completeRefLookups
  const crl = ref !== null && lookup ? lookup(ref) : null;
  return { crl, rlp: ref !== null && crl === null };
}

const BATCH = 1000;

/**
 * Gives every case still marked `ref_lookup_pending` its lookup from its stored case.opened event, 1000 at a time:
 * the cases migration 9 found (a migration has no key), and any a writer stored without one (an older instance
 * during a rolling upgrade: the column's default is pending). Idempotent, so instances may race on it. Returns how
 * many cases were looked at. The references pass through memory only; the log gets counts.
 */
export async function completeRefLookups(db: Queryable, lookup: CustomerRefLookup): Promise<number> {
  let done = 0;
  for (;;) {
    const { rows } = await db.query<{ case_id: string; ref: string | null }>(
      `SELECT c.case_id, CASE WHEN jsonb_typeof(e.payload::jsonb->'customerRef') = 'string' THEN e.payload::jsonb->>'customerRef' END AS ref
       FROM cases c LEFT JOIN events e ON e.case_id = c.case_id AND e.seq = 1 AND e.type = 'case.opened'
       WHERE c.ref_lookup_pending ORDER BY c.case_id LIMIT ${BATCH}`,
    );
    if (rows.length === 0) return done;
    const updates = rows.map((r) => {
      const ref = searchableRef(r.ref);
      return { c: r.case_id, l: ref === null ? null : lookup(ref) };
    });
    await db.query(
      `UPDATE cases c SET customer_ref_lookup = u.l, ref_lookup_pending = false
       FROM json_to_recordset($1::json) AS u (c text, l text) WHERE c.case_id = u.c`,
      [JSON.stringify(updates)],
    );
    done += rows.length;
    if (rows.length < BATCH) return done;
  }
}
