/**
 * The physical reference for the drain benchmark (bench/store-drain.ts): the rows a drain stored (cases and
 * events, every column) loaded again with `COPY … FROM STDIN` into fresh tables with the same indexes and
 * constraints. No verification, no protocol, one statement per table: the most the database itself can take.
 */
import { PGlite } from '@electric-sql/pglite';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

export interface CopyFigures {
  events: number;
  /** Wall time of BEGIN, COPY cases, COPY events, COMMIT. */
  seconds: number;
  eventsPerSec: number;
}

// LIKE … INCLUDING ALL copies defaults, CHECKs, the primary key and every index (the partial unique
// (workstation, gseq) one too); foreign keys are not copied by LIKE, so the events → cases one is re-added.
const CREATE_REFERENCE = [
  'DROP TABLE IF EXISTS copy_ref_events',
  'DROP TABLE IF EXISTS copy_ref_cases',
  'CREATE TABLE copy_ref_cases (LIKE cases INCLUDING ALL)',
  'CREATE TABLE copy_ref_events (LIKE events INCLUDING ALL)',
  'ALTER TABLE copy_ref_events ADD FOREIGN KEY (case_id) REFERENCES copy_ref_cases (case_id)',
];
const DROP_REFERENCE = ['DROP TABLE copy_ref_events', 'DROP TABLE copy_ref_cases'];
// Events in the order the drain wrote them, so index insertion order matches.
const EXPORT_CASES = 'COPY cases TO STDOUT';
const EXPORT_EVENTS = 'COPY (SELECT * FROM events ORDER BY received_at, case_id, seq) TO STDOUT';

/** On PostgreSQL, through pg-copy-streams on one connection. */
export async function copyReferencePostgres(url: string): Promise<CopyFigures> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const sql of CREATE_REFERENCE) await client.query(sql);
    const readAll = async (sql: string) => {
      const chunks: Buffer[] = [];
      for await (const chunk of client.query(copyTo(sql))) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    };
    const cases = await readAll(EXPORT_CASES);
    const events = await readAll(EXPORT_EVENTS);
    const t0 = performance.now();
    await client.query('BEGIN');
    await pipeline(Readable.from([cases]), client.query(copyFrom('COPY copy_ref_cases FROM STDIN')));
    await pipeline(Readable.from([events]), client.query(copyFrom('COPY copy_ref_events FROM STDIN')));
    await client.query('COMMIT');
    const seconds = (performance.now() - t0) / 1000;
    const n = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM copy_ref_events')).rows[0]!.n);
    for (const sql of DROP_REFERENCE) await client.query(sql);
    return { events: n, seconds, eventsPerSec: n / seconds };
  } finally {
    await client.end();
  }
}

/** On PGlite (its data directory, closed by the server first), through PGlite's `/dev/blob` COPY. */
export async function copyReferencePglite(dataDir: string): Promise<CopyFigures> {
  const db = await PGlite.create({ dataDir });
  try {
    for (const sql of CREATE_REFERENCE) await db.query(sql);
    const blobOf = async (sql: string) => {
      const r = await db.query(sql.replace('TO STDOUT', "TO '/dev/blob'"));
      if (!r.blob) throw new Error('PGlite returned no COPY blob');
      return r.blob;
    };
    const cases = await blobOf(EXPORT_CASES);
    const events = await blobOf(EXPORT_EVENTS);
    const t0 = performance.now();
    await db.transaction(async (tx) => {
      await tx.query("COPY copy_ref_cases FROM '/dev/blob'", [], { blob: cases });
      await tx.query("COPY copy_ref_events FROM '/dev/blob'", [], { blob: events });
    });
    const seconds = (performance.now() - t0) / 1000;
    const n = Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM copy_ref_events')).rows[0]!.n);
    for (const sql of DROP_REFERENCE) await db.query(sql);
    return { events: n, seconds, eventsPerSec: n / seconds };
  } finally {
    await db.close();
  }
}
