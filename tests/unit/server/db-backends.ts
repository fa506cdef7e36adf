import { openPglite, openPostgres, type ServerDb } from '../../../server/db/database';
import type { PgStart } from '../../../server/testing/pg-harness';

/** One database the server suites run against; `skip` says why it is not available here. */
export interface DbBackend {
  name: string;
  skip: string | null;
  open: () => Promise<ServerDb>;
}

/** PGlite in memory, and the real PostgreSQL cluster the suite started (skipped with its reason when it could not). */
export function dbBackends(pgStart: PgStart): DbBackend[] {
  return [
    { name: 'PGlite', skip: null, open: () => openPglite() },
    {
      name: 'PostgreSQL',
      skip: pgStart.ok ? null : pgStart.reason,
      open: () => (pgStart.ok ? openPostgres(pgStart.cluster.url) : Promise.reject(new Error('no postgres'))),
    },
  ];
}
