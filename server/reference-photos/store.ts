/**
 * The SQL behind reference photos (table `reference_photos`, migration 3 in server/db/migrations.ts).
 * Rows hold only the keyed hash of the customer reference and the sealed image (crypto.ts). Ages
 * are measured on the database clock, so instances with drifting clocks agree on what expired.
 */
import type { Queryable } from '../db/database';
import type { ReferencePhotoMime } from './sniff';

export interface StoredPhoto {
  mime: ReferencePhotoMime;
  ciphertext: Uint8Array;
}

/** Inserts or replaces the photo of one reference; `replaced` says whether one was there already. */
export async function upsertPhoto(db: Queryable, refHash: string, mime: ReferencePhotoMime, ciphertext: Buffer): Promise<{ replaced: boolean; updatedAt: Date }> {
  const { rows } = await db.query<{ inserted: boolean; updated_at: Date | string }>(
    `INSERT INTO reference_photos (customer_ref_hash, mime, ciphertext) VALUES ($1, $2, $3)
     ON CONFLICT (customer_ref_hash) DO UPDATE SET mime = EXCLUDED.mime, ciphertext = EXCLUDED.ciphertext, updated_at = now()
     RETURNING (xmax = 0) AS inserted, updated_at`,
    [refHash, mime, ciphertext],
  );
  const row = rows[0];
  if (!row) throw new Error('reference photo upsert returned no row');
  return { replaced: !row.inserted, updatedAt: new Date(row.updated_at) };
}

/** The photo of one reference, unless it is older than `ttlSeconds` (an expired row not yet swept is gone too). */
export async function findPhoto(db: Queryable, refHash: string, ttlSeconds: number): Promise<StoredPhoto | null> {
  const { rows } = await db.query<{ mime: ReferencePhotoMime; ciphertext: Uint8Array }>(
    `SELECT mime, ciphertext FROM reference_photos WHERE customer_ref_hash = $1 AND updated_at > now() - ($2::double precision * interval '1 second')`,
    [refHash, ttlSeconds],
  );
  const row = rows[0];
  return row ? { mime: row.mime, ciphertext: row.ciphertext } : null;
}

export async function deletePhoto(db: Queryable, refHash: string): Promise<boolean> {
  const { rows } = await db.query<{ customer_ref_hash: string }>('DELETE FROM reference_photos WHERE customer_ref_hash = $1 RETURNING customer_ref_hash', [refHash]);
  return rows.length > 0;
}

/** Deletes every photo not stored or replaced for `ttlSeconds`; answers how many went. */
export async function sweepExpiredPhotos(db: Queryable, ttlSeconds: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `WITH gone AS (DELETE FROM reference_photos WHERE updated_at <= now() - ($1::double precision * interval '1 second') RETURNING 1) SELECT count(*)::int AS n FROM gone`,
    [ttlSeconds],
  );
  return Number(rows[0]?.n ?? 0);
}
