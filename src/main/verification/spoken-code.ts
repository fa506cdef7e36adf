/**
 * The spoken code (DESIGN.md §6): a random 4-digit code shown on the customer's page and read aloud; the agent
 * confirms what was heard. A pre-recorded or injected video cannot say it. Pending from issue to confirmation;
 * a new code replaces the old one. An offline recording has no case events: 'not_run' / 'no_case_events'.
 */
import type { SpokenCodeReport } from '../../shared/verification';
import type { RandomSource } from './challenge';

export function newSpokenCode(random: RandomSource): string {
  return String(Math.min(9999, Math.floor(random() * 10_000))).padStart(4, '0');
}

export class SpokenCode {
  private code: string | null = null;
  private issuedAt: number | undefined;
  private confirmation: { ok: boolean; at: number } | null = null;

  constructor(private readonly offline: boolean) {}

  issue(random: RandomSource, now: number): string {
    this.code = newSpokenCode(random);
    this.issuedAt = now;
    this.confirmation = null;
    return this.code;
  }

  /** false when no code was issued (nothing to confirm). */
  confirm(ok: boolean, now: number): boolean {
    if (this.code === null) return false;
    this.confirmation = { ok, at: now };
    return true;
  }

  report(): SpokenCodeReport {
    if (this.code === null) return { status: 'not_run', reason: this.offline ? 'no_case_events' : 'not_issued' };
    const base = { code: this.code, issuedAt: this.issuedAt! };
    if (!this.confirmation) return { status: 'pending', reason: 'awaiting_confirmation', ...base };
    return { status: this.confirmation.ok ? 'pass' : 'fail', reason: this.confirmation.ok ? 'confirmed' : 'not_confirmed', ...base, confirmedAt: this.confirmation.at };
  }
}
