/**
 * Who may use the 质检 console: whoever holds a lead token for the current backend, as the backend itself says
 * (GET /api/v1/whoami). Main checks before every console request, not only when the page opens — the renderer is
 * not trusted to hide the page. A lead answer is remembered for a minute per origin and token, so the checks cost
 * nothing in between; a refusal is never remembered (a lead who just entered the right token gets in at once).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ConsoleAccess as AccessState } from '../../shared/console';
import { AppFailure } from '../../shared/errors';
import { LeadApiError, type LeadApi } from './lead-api';

const WhoamiSchema = z.object({ role: z.enum(['workstation', 'lead', 'channel']), name: z.string().min(1).max(128) });
const LEAD_TTL_MS = 60_000;

export class ConsoleAccessCheck {
  private cached: { key: string; at: number; state: AccessState } | null = null;

  constructor(
    private readonly api: LeadApi,
    private readonly now: () => number = Date.now,
  ) {}

  async check(): Promise<AccessState> {
    const origin = this.api.origin();
    const token = this.api.token();
    if (!token) return { allowed: false, origin, role: null, name: null, reason: 'no_token' };
    const key = `${origin}\u0000${createHash('sha256').update(token).digest('hex')}`;
    if (this.cached && this.cached.key === key && this.now() - this.cached.at < LEAD_TTL_MS) return this.cached.state;
    let state: AccessState;
    try {
      const who = WhoamiSchema.safeParse(await this.api.request('GET', 'api/v1/whoami'));
      if (!who.success) state = { allowed: false, origin, role: null, name: null, reason: 'refused', detail: 'MALFORMED_RESPONSE: whoami' };
      else if (who.data.role !== 'lead') state = { allowed: false, origin, role: who.data.role, name: who.data.name, reason: 'not_lead' };
      else state = { allowed: true, origin, role: 'lead', name: who.data.name, reason: null };
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      const unreachable = error instanceof AppFailure && error.code === 'UNAVAILABLE' && !(error instanceof LeadApiError);
      state = { allowed: false, origin, role: null, name: null, reason: unreachable ? 'unreachable' : 'refused', detail };
    }
    this.cached = state.allowed ? { key, at: this.now(), state } : null;
    return state;
  }

  /** The lead's identity, or FORBIDDEN saying why not. */
  async requireLead(): Promise<{ name: string; origin: string }> {
    const state = await this.check();
    if (!state.allowed || !state.name) {
      const why =
        state.reason === 'no_token'
          ? `no backend token for ${state.origin}`
          : state.reason === 'not_lead'
            ? `the token for ${state.origin} is a ${state.role ?? '?'} token, not a lead's`
            : `the backend did not confirm a lead token (${state.detail ?? state.reason ?? '?'})`;
      throw new AppFailure('FORBIDDEN', `the 质检 console needs a team-lead token: ${why}`);
    }
    return { name: state.name, origin: state.origin };
  }
}
