/** queue_skills: the service types a workstation's agents take (server CLI `queue skills`); none = all. */
import { SERVICE_TYPES, type ServiceType } from '../../src/shared/cases';
import type { Queryable, ServerDb } from '../db/database';

export const isServiceType = (v: string): v is ServiceType => (SERVICE_TYPES as readonly string[]).includes(v);

export async function skillsOf(db: Queryable, workstation: string): Promise<ServiceType[]> {
  const { rows } = await db.query<{ service_type: ServiceType }>('SELECT service_type FROM queue_skills WHERE workstation = $1 ORDER BY service_type', [workstation]);
  return rows.map((r) => r.service_type);
}

/** Replaces a workstation's skills; an empty list clears them, which means every service type. */
export async function setSkills(db: ServerDb, workstation: string, serviceTypes: readonly string[]): Promise<ServiceType[]> {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(workstation)) throw new Error('workstation id: 1-64 characters of A-Z a-z 0-9 . _ -');
  const bad = serviceTypes.filter((t) => !isServiceType(t));
  if (bad.length > 0) throw new Error(`unknown service type ${bad.join(', ')}; one of ${SERVICE_TYPES.join(', ')}`);
  const unique = [...new Set(serviceTypes)].sort() as ServiceType[];
  await db.transaction(async (tx) => {
    await tx.query('DELETE FROM queue_skills WHERE workstation = $1', [workstation]);
    for (const t of unique) await tx.query('INSERT INTO queue_skills (workstation, service_type) VALUES ($1, $2)', [workstation, t]);
  });
  return unique;
}
