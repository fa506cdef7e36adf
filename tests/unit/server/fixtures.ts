import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { GENESIS_HASH, type CaseEvent, type Checkpoint, type EventType } from '../../../src/shared/cases';
import { LEDGER_GENESIS, checkpointMessage, ledgerStep } from '../../../src/common/ledger';
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

/**
 * A workstation's ledger for checkpoint tests (src/common/ledger.ts): events of several cases laid out on one
 * global sequence, the running ledger hash at every position, and Ed25519 checkpoints signed as the case log
 * signs them (src/main/caselog/sync-queue.ts) for the server's principal `workstation`.
 */
export class LedgerFixture {
  /** All events, index i holding gseq i + 1. */
  readonly events: CaseEvent[] = [];
  /** ledger[g] = the ledger hash after position g (ledger[0] = genesis). */
  readonly ledger: string[] = [LEDGER_GENESIS];

  constructor(
    readonly workstation: string,
    readonly signer: LedgerSigner = makeLedgerSigner(),
  ) {}

  get head(): number {
    return this.events.length;
  }

  /** Appends events (in the given order) at the next global positions; returns them with their gseq. */
  append(events: readonly CaseEvent[]): CaseEvent[] {
    return events.map((e) => {
      const placed = { ...e, gseq: this.events.length + 1 };
      this.events.push(placed);
      this.ledger.push(ledgerStep(this.ledger[this.ledger.length - 1]!, placed.gseq, placed.hash));
      return placed;
    });
  }

  /** A new case of `n` events at the next positions. */
  addCase(n: number, caseId?: string): CaseEvent[] {
    return this.append(makeChain(n, caseId));
  }

  /** The events at positions from … to (inclusive). */
  range(from: number, to: number): CaseEvent[] {
    return this.events.slice(from - 1, to);
  }

  /** A signed checkpoint at `gseq` (default: the head); `signer` overrides the key, `workstationId` the signed name, `ledgerHash` the hash. */
  checkpoint(gseq = this.head, options: { signer?: LedgerSigner; workstationId?: string; ledgerHash?: string; at?: number } = {}): Checkpoint {
    const ledgerHash = options.ledgerHash ?? this.ledger[gseq]!;
    const at = options.at ?? 1_735_000_000_000 + gseq;
    const signer = options.signer ?? this.signer;
    const message = checkpointMessage({ workstationId: options.workstationId ?? this.workstation, gseq, ledgerHash, at });
    return { gseq, ledgerHash, at, signature: sign(null, Buffer.from(message), signer.privateKey).toString('base64'), publicKey: signer.publicKey };
  }

  /** A sync batch body: `events` with the checkpoint at `gseq` (default: the head). */
  batch(events: readonly CaseEvent[], gseq = this.head): { workstationId: string; events: CaseEvent[]; checkpoint: Checkpoint } {
    return { workstationId: this.workstation, events: [...events], checkpoint: this.checkpoint(gseq) };
  }

  /** An independent copy of the first `gseq` positions (to rewrite history from there on). */
  forkAt(gseq: number): LedgerFixture {
    const copy = new LedgerFixture(this.workstation, this.signer);
    copy.append(this.events.slice(0, gseq));
    return copy;
  }
}

export interface LedgerSigner {
  privateKey: KeyObject;
  /** Raw 32-byte public key, base64. */
  publicKey: string;
}

export function makeLedgerSigner(): LedgerSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey: publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64') };
}
