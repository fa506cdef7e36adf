import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScripts } from '../../../src/main/scripts/loader';
import { suggestStep } from '../../../src/main/scripts/triggers';
import { SERVICE_TYPES } from '../../../src/shared/cases';
import { QUALITY_ISSUES } from '../../../src/shared/engine';
import { CHALLENGE_ACTIONS, REQUIRED_CHECKS_BY_SERVICE, formatScriptError, type Script, type ScriptEvent } from '../../../src/shared/scripts';

const dir = resolve(import.meta.dirname, '../../../resources/scripts');
const loaded = loadScripts(dir);
const byType = (type: string): Script => {
  const script = loaded.scripts.find((s) => s.serviceType === type);
  if (!script) throw new Error(`no ${type} script`);
  return script;
};
const ids = (s: Script) => s.steps.map((step) => step.id);
const FULL = ['operate', 'transact'] as const;
const IDENTITY = ['query', 'operate', 'transact'] as const;

describe('shipped scripts (resources/scripts)', () => {
  it('all load with zero errors', () => {
    expect(loaded.errors.map(formatScriptError)).toEqual([]);
  });

  it('has exactly one script per service type', () => {
    expect(loaded.scripts.map((s) => s.serviceType).sort()).toEqual([...SERVICE_TYPES].sort());
  });

  it.each(SERVICE_TYPES)('%s requires at least the checks of its identity level (DESIGN.md §1)', (type) => {
    expect(byType(type).requiredChecks).toEqual(expect.arrayContaining([...REQUIRED_CHECKS_BY_SERVICE[type]]));
  });

  it('consult asks for no identity check', () => {
    const consult = byType('consult');
    expect(consult.requiredChecks).toEqual([]);
    expect(consult.steps.flatMap((s) => s.requiredChecks).filter((c) => c !== 'consent')).toEqual([]);
  });

  it.each(FULL)('%s has the required steps: consent, ID presentation, challenge, offline verification, complaint, abuse, closing', (type) => {
    const s = byType(type);
    expect(ids(s)).toEqual(
      expect.arrayContaining([
        'greeting',
        'consent',
        'id_front',
        'id_back',
        'id_security',
        'face_check',
        'challenge_intro',
        ...CHALLENGE_ACTIONS.map((a) => `challenge_${a}`),
        'spoken_code',
        'verify_offline',
        'complaint',
        'abuse_warning',
        'abuse_end',
        'presence_second_person',
        'closing',
      ]),
    );
    const reasons = s.steps.map((step) => step.closeReason).filter(Boolean);
    expect(reasons).toEqual(expect.arrayContaining(['completed', 'verification_failed', 'abuse', 'consent_declined', 'third_party']));
  });

  it.each(FULL)('%s has a closing checklist covering ID, consent, face match, liveness and telling the outcome', (type) => {
    const s = byType(type);
    expect(s.checklist.map((i) => i.id)).toEqual(
      expect.arrayContaining(['id_shown', 'consent_recorded', 'face_match_done', 'liveness_done', 'face_swap_screened', 'identity_confirmed', 'outcome_told']),
    );
    expect(s.checklist.find((i) => i.id === 'outcome_told')?.always).toBe(true);
  });

  it.each(IDENTITY)('%s guides the customer to offline verification when a check fails', (type) => {
    const s = byType(type);
    for (const event of ['face_match:fail', 'passive_liveness:fail', 'active_liveness:fail', 'face_swap:fail', 'id_consistency:fail'] as const) {
      expect(suggestStep(s, [event]), event).toBe('verify_offline');
    }
  });

  it.each(IDENTITY)('%s has a guidance step for every quality issue but eyes_closed (a blink sets it)', (type) => {
    const s = byType(type);
    for (const issue of QUALITY_ISSUES.filter((q) => q !== 'eyes_closed')) {
      expect(suggestStep(s, [issue as ScriptEvent]), issue).toMatch(/^guide_/);
    }
    expect(suggestStep(s, ['eyes_closed'])).toBeNull();
  });

  it.each(FULL)('%s has a step for every challenge action and for the spoken code', (type) => {
    const s = byType(type);
    for (const action of CHALLENGE_ACTIONS) expect(suggestStep(s, [`challenge:${action}`])).toBe(`challenge_${action}`);
    expect(suggestStep(s, ['spoken_code'])).toBe('spoken_code');
  });

  it('never reads a score, a percentage or a similarity to the customer', () => {
    const spoken = loaded.scripts.flatMap((s) => s.steps.flatMap((step) => [...step.lines.zh, ...step.lines.en]));
    expect(spoken.length).toBeGreaterThan(50);
    for (const line of spoken) expect(line).not.toMatch(/分数|得分|相似度|置信|概率|%|\bscores?\b|similarity|confidence|probability|\d\.\d/i);
  });

  it('uses polite spoken Chinese: every step has zh lines and a line-for-line en translation', () => {
    for (const s of loaded.scripts) {
      for (const step of s.steps) {
        expect(step.lines.en.length, `${s.file} ${step.id}`).toBe(step.lines.zh.length);
        for (const line of step.lines.zh) expect(line, `${s.file} ${step.id}`).toMatch(/[\u4e00-\u9fff]/);
      }
    }
  });

  it('records the script and common.yaml revisions the agent saw', () => {
    for (const s of loaded.scripts) {
      expect(s.version).toBeGreaterThanOrEqual(1);
      expect(s.commonVersion).toBeGreaterThanOrEqual(1);
    }
  });
});
