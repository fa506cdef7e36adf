import { randomUUID } from 'node:crypto';
import { GENESIS_HASH, type CaseEvent, type EventType } from '../../../src/shared/cases';
import { sealEvent } from '../../../src/main/caselog/chain';

/** A valid chain of `n` events for a new case (seq 1..n). */
export function makeChain(n: number, caseId: string = randomUUID(), agentId = 'agent-1'): CaseEvent[] {
  const out: CaseEvent[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const type: EventType = seq === 1 ? 'case.opened' : seq === n && n > 2 ? 'case.closed' : 'check.result';
    const payload =
      type === 'case.opened'
        ? { agentId, serviceType: 'transact', idNumberMasked: '110***********0012', idNumberHash: 'ab'.repeat(32) }
        : type === 'case.closed'
          ? { verdict: 'verified', reasonCode: null }
          : { check: 'face_match', status: 'pass', score: 0.8 + seq / 1000 };
    const e = sealEvent({ caseId, seq, type, at: 1_735_000_000_000 + seq * 1000, actor: agentId, payload, prevHash: prev });
    out.push(e);
    prev = e.hash;
  }
  return out;
}

export const resealFrom = (events: CaseEvent[], index: number): CaseEvent[] => {
  const out = events.slice(0, index);
  for (let i = index; i < events.length; i++) {
    const prevHash = i === 0 ? GENESIS_HASH : out[i - 1]!.hash;
    const { hash: _h, ...rest } = events[i]!;
    out.push(sealEvent({ ...rest, prevHash }));
  }
  return out;
};
