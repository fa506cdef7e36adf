import type { ServiceType, Verdict } from '../../shared/cases';
import { seededRandom } from '../../common/seeded-random';
import { idCheckDigit } from './id-number';
import type { AppendInput, CaseStore } from './store';

/** A small deterministic PRNG (mulberry32) so seeded demo data is reproducible. */
export const prng = seededRandom;

const REGIONS = ['110105', '310104', '440305', '330106', '510107', '420106', '320102', '370202'];

function syntheticIdNumber(rand: () => number): string {
  const region = REGIONS[Math.floor(rand() * REGIONS.length)]!;
  const year = 1950 + Math.floor(rand() * 55);
  const month = String(1 + Math.floor(rand() * 12)).padStart(2, '0');
  const day = String(1 + Math.floor(rand() * 28)).padStart(2, '0');
  const order = String(Math.floor(rand() * 1000)).padStart(3, '0');
  const first17 = `${region}${year}${month}${day}${order}`;
  return first17 + idCheckDigit(first17);
}

const pick = <T>(rand: () => number, items: readonly (readonly [T, number])[]): T => {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let r = rand() * total;
  for (const [v, w] of items) if ((r -= w) <= 0) return v;
  return items[items.length - 1]![0];
};

export interface SeedOptions {
  count: number;
  agents?: number;
  /** Cases are spread over the last `days` days. */
  days?: number;
  seed?: number;
  now?: number;
  onProgress?: (done: number) => void;
  /**
   * Synthetic biometric payloads, so purge can be tested and benchmarked (`cases seed --evidence`): `items`
   * random blobs per case (not images: random bytes of an embedding's or a crop's size) and, through `recorder`,
   * a small random "recording" (two chunks) for every `recordingEvery`-th case.
   */
  evidence?: { items: number; recordingEvery?: number; recorder?: SeedRecorder };
}

/** The part of RecordingService the seed uses (src/main/recording/recording-service.ts). */
export interface SeedRecorder {
  start(input: { caseId: string; callId: string; track: 'customer'; mimeType: string; startedAt: number; actor: string }): { recordingId: string };
  appendChunk(recordingId: string, seq: number, bytes: Uint8Array): unknown;
  stopSync(recordingId: string): unknown;
}

const randomBlob = (rand: () => number, bytes: number): Buffer => {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 4) b.writeUInt32LE(Math.floor(rand() * 0x1_0000_0000), i);
  return b;
};

function seedEvidence(store: CaseStore, caseId: string, index: number, at: number, rand: () => number, evidence: NonNullable<SeedOptions['evidence']>): number {
  let written = 0;
  for (let k = 0; k < evidence.items; k++) {
    const embedding = k % 2 === 0;
    store.addEvidence(caseId, { kind: embedding ? 'embedding' : 'face_crop', data: randomBlob(rand, embedding ? 2048 : 4096 + 4 * Math.floor(rand() * 1024)), actor: 'engine', at });
    written++;
  }
  const every = evidence.recordingEvery ?? 1;
  if (evidence.recorder && every > 0 && index % every === 0) {
    const { recordingId } = evidence.recorder.start({ caseId, callId: `seed-${caseId}`, track: 'customer', mimeType: 'application/octet-stream', startedAt: at, actor: 'recorder' });
    evidence.recorder.appendChunk(recordingId, 0, randomBlob(rand, 4096));
    evidence.recorder.appendChunk(recordingId, 1, randomBlob(rand, 4096));
    evidence.recorder.stopSync(recordingId);
    written += 2;
  }
  return written;
}

/** Writes realistic synthetic cases (demo data, benchmarks). Returns the number of events written. */
export function seedCases(store: CaseStore, options: SeedOptions): number {
  const rand = prng(options.seed ?? 42);
  const agents = options.agents ?? 20;
  const days = options.days ?? 90;
  const now = options.now ?? Date.now();
  let events = 0;
  const chunk = 500;
  for (let start = 0; start < options.count; start += chunk) {
    const n = Math.min(chunk, options.count - start);
    events += store.batch(() => {
      let written = 0;
      for (let i = 0; i < n; i++) {
        const agentId = `agent-${String(1 + Math.floor(rand() * agents)).padStart(2, '0')}`;
        const serviceType = pick<ServiceType>(rand, [['consult', 2], ['query', 3], ['operate', 3], ['transact', 2]]);
        const openedAt = Math.floor(now - rand() * days * 86_400_000);
        const needsId = serviceType !== 'consult';
        const c = store.openCase({ agentId, serviceType, at: openedAt, customerRef: `C${Math.floor(rand() * 1e8)}`, idNumber: needsId ? syntheticIdNumber(rand) : null });
        let at = openedAt;
        const step = () => (at += 2000 + Math.floor(rand() * 20_000));
        const good = rand() < 0.86;
        const checks = serviceType === 'consult' ? [] : serviceType === 'query' ? ['face_match'] : ['face_match', 'passive_liveness', 'active_liveness', 'face_swap', 'presence', 'id_consistency'];
        const appended: AppendInput[] = checks.map((check) => ({
          caseId: c.caseId,
          type: 'check.result',
          actor: 'engine',
          at: step(),
          payload: { check, status: good || rand() < 0.5 ? 'pass' : pick(rand, [['warn', 2], ['fail', 1]] as const), score: Math.round((good ? 0.7 + rand() * 0.3 : rand() * 0.8) * 1000) / 1000, modelVersion: 'fr-2024.1' },
        }));
        const verdict: Verdict = serviceType === 'consult' ? 'not_required' : good ? 'verified' : pick<Verdict>(rand, [['needs_review', 3], ['rejected', 2], ['abandoned', 1]]);
        appended.push({ caseId: c.caseId, type: 'decision.made', actor: agentId, at: step(), payload: { verdict, followsAdvice: rand() < 0.95, reasonCode: verdict === 'verified' ? null : 'R-LOW-MATCH' } });
        store.appendMany(appended);
        if (options.evidence) written += seedEvidence(store, c.caseId, start + i, at, rand, options.evidence);
        store.closeCase(c.caseId, { verdict, actor: agentId, at: step() });
        written += 3 + checks.length;
      }
      return written;
    });
    options.onProgress?.(start + n);
  }
  return events;
}
