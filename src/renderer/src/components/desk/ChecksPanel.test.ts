/** The desk's report views rendered to static HTML (no DOM): checks, advice, challenge, spoken code, decision. */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import i18n from '../../i18n';
import { runningChallenge, sampleDesk, sampleReport, T0 } from '../../desk/test-fixtures';
import { AdviceBanner } from './AdviceBanner';
import { ChallengePanel } from './ChallengePanel';
import { CheckRow } from './CheckRow';
import { ChecksPanel } from './ChecksPanel';
import { DecisionBar } from './DecisionBar';
import { SpokenCodePanel } from './SpokenCodePanel';
import { ApiContext } from '../../transport/api-context';
import type { VeriDeskApi } from '../../../../shared/contract';

/** The evidence list fetches frames through the API on click; a static render never calls it. */
const withApi = (node: ReturnType<typeof createElement>) => createElement(ApiContext.Provider, { value: {} as VeriDeskApi }, node);

afterEach(async () => {
  await i18n.changeLanguage('zh-CN');
});

/** The element with this data-testid: its opening tag and its text (tags stripped, entities decoded). */
function element(html: string, testId: string): { attrs: string; text: string } | null {
  const start = html.indexOf(`data-testid="${testId}"`);
  if (start < 0) return null;
  const open = html.lastIndexOf('<', start);
  const tag = /^<(\w+)/.exec(html.slice(open))![1]!;
  let depth = 0;
  const re = new RegExp(`<(/?)${tag}\\b[^>]*?(/?)>`, 'g');
  re.lastIndex = open;
  let end = html.length;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    if (m[2]) {
      if (depth === 0) {
        end = m.index + m[0].length;
        break;
      }
      continue;
    }
    depth += m[1] ? -1 : 1;
    if (depth === 0) {
      end = m.index + m[0].length;
      break;
    }
  }
  const el = html.slice(open, end);
  const decode = (s: string) => s.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return { attrs: el.slice(0, el.indexOf('>') + 1), text: decode(el.replace(/<[^>]+>/g, '')) };
}

const attr = (el: { attrs: string } | null, name: string) => (el ? (new RegExp(`${name}="([^"]*)"`).exec(el.attrs)?.[1] ?? null) : null);

describe('ChecksPanel', () => {
  const html = renderToStaticMarkup(createElement(ChecksPanel, { report: sampleReport() }));

  it('lists the seven checks in the report order, each with its status', () => {
    const ids = [...html.matchAll(/data-testid="check-(\w+)"/g)].map((m) => m[1]).filter((id) => !id!.startsWith('score'));
    expect(ids).toEqual(['face_match', 'passive_liveness', 'active_liveness', 'face_swap', 'presence', 'id_consistency', 'quality']);
    expect(attr(element(html, 'check-face_match'), 'data-status')).toBe('warn');
    expect(attr(element(html, 'check-passive_liveness'), 'data-status')).toBe('pass');
    expect(attr(element(html, 'check-active_liveness'), 'data-status')).toBe('not_run');
  });

  it('says each result in plain Chinese, with the pill and the required mark', () => {
    const face = element(html, 'check-face_match')!;
    expect(face.text).toContain('人脸比对');
    expect(face.text).toContain('必需');
    expect(face.text).toContain('提示');
    expect(face.text).toContain('比对分数处于复核区间，请人工核实');
    expect(element(html, 'check-presence')!.text).toContain('画面中出现第二张人脸');
    expect(element(html, 'check-passive_liveness')!.text).toContain('通过');
    expect(element(html, 'check-active_liveness')!.text).toContain('未执行');
    expect(element(html, 'check-face_swap')!.text).toContain('等待中');
    // quality is never required: it explains the others
    expect(attr(element(html, 'check-quality'), 'data-required')).toBe('false');
    expect(element(html, 'check-quality')!.text).not.toContain('必需');
  });

  it('shows the score and band where there is one', () => {
    expect(element(html, 'check-score-face_match')!.text).toBe('相似度 0.43 · 复核区间');
    expect(element(html, 'check-score-passive_liveness')!.text).toBe('活体概率 0.97');
    expect(element(html, 'check-score-presence')).toBeNull();
  });

  it('the evidence list of an opened check: frame times and kinds', () => {
    const check = sampleReport().checks[0]!;
    const open = renderToStaticMarkup(withApi(createElement(CheckRow, { check, required: true, open: true, onToggle: () => undefined })));
    const list = element(open, 'check-evidence-face_match')!;
    expect(list.text).toContain('证据帧');
    expect((list.text.match(/关键帧/g) ?? []).length).toBe(2);
    expect(open).toContain(`data-captured-at="${T0 + 1200}"`);
    expect(html).not.toContain('check-evidence-');
    const none = renderToStaticMarkup(withApi(createElement(CheckRow, { check: sampleReport().checks[1]!, required: true, open: true, onToggle: () => undefined })));
    expect(element(none, 'check-evidence-passive_liveness')!.text).toContain('该项没有证据帧');
  });

  it('English', async () => {
    await i18n.changeLanguage('en');
    const english = renderToStaticMarkup(createElement(ChecksPanel, { report: sampleReport() }));
    expect(element(english, 'check-face_match')!.text).toContain('The score is in the review range; check by eye');
    expect(element(english, 'check-presence')!.text).toContain('A second face appeared in view');
  });

  it('a reason code without a text shows the code rather than an i18n key', () => {
    const check = { ...sampleReport().checks[0]!, reason: 'brand_new_code' as never };
    const row = renderToStaticMarkup(createElement(CheckRow, { check, required: false, open: false, onToggle: () => undefined }));
    expect(row).toContain('brand_new_code');
    expect(row).not.toContain('desk.reasons');
  });
});

describe('AdviceBanner', () => {
  it('the advice and the reasons behind it', () => {
    const html = renderToStaticMarkup(createElement(AdviceBanner, { report: sampleReport() }));
    const advice = element(html, 'advice')!;
    expect(attr(advice, 'data-advice')).toBe('review');
    expect(advice.text).toContain('建议复核');
    expect(advice.text).toContain('人脸比对：比对分数处于复核区间，请人工核实');
    expect(advice.text).toContain('口令核对：尚未出示口令');
  });

  it.each([
    ['pass', '建议通过'],
    ['fail', '建议不通过'],
  ] as const)('%s', (advice, text) => {
    const html = renderToStaticMarkup(createElement(AdviceBanner, { report: sampleReport({ advice, adviceReasons: [] }) }));
    expect(element(html, 'advice')!.text).toContain(text);
  });
});

describe('ChallengePanel', () => {
  it('the running step for the agent: action, step i/n', () => {
    const html = renderToStaticMarkup(createElement(ChallengePanel, { challenge: runningChallenge(1), canStart: false, pending: false, error: undefined, onStart: () => undefined }));
    const step = element(html, 'challenge-step')!;
    expect(attr(step, 'data-action')).toBe('turn_left');
    expect(step.text).toContain('第 2/3 步');
    expect(step.text).toContain('向左转头');
    expect(element(html, 'challenge-start')!.attrs).toContain('disabled');
  });

  it('no challenge yet: the start button', () => {
    const html = renderToStaticMarkup(createElement(ChallengePanel, { challenge: undefined, canStart: true, pending: false, error: undefined, onStart: () => undefined }));
    expect(element(html, 'challenge-start')!.text).toBe('开始动作活体');
    expect(element(html, 'challenge-step')).toBeNull();
  });
});

describe('SpokenCodePanel', () => {
  it('the digits while shown, and the two confirmations', () => {
    const html = renderToStaticMarkup(
      createElement(SpokenCodePanel, {
        digits: '4821',
        report: { status: 'pending', reason: 'awaiting_confirmation', code: '4821' },
        canIssue: false,
        canConfirm: true,
        pending: false,
        error: undefined,
        onIssue: () => undefined,
        onConfirm: () => undefined,
      }),
    );
    expect(element(html, 'code-digits')!.text).toBe('4821');
    expect(element(html, 'code-ok')!.text).toBe('客户读对了');
    expect(element(html, 'code-ok')!.attrs).not.toContain('disabled');
    expect(element(html, 'code-wrong')!.text).toBe('读错了');
  });
});

describe('DecisionBar', () => {
  const props = {
    choice: null,
    onChoose: () => undefined,
    onDecide: () => undefined,
    onEscalate: () => undefined,
    canDecide: true,
    canEscalate: true,
    pending: {},
    errors: {},
    missing: ['已确认录像授权'],
  };

  it('passing a case the engine advises to review asks for a reason', () => {
    const html = renderToStaticMarkup(createElement(DecisionBar, { ...props, desk: sampleDesk(), choice: 'pass' }));
    expect(element(html, 'override-reason')).not.toBeNull();
    expect(element(html, 'decision-confirm')!.attrs).toContain('disabled');
    expect(element(html, 'decision-missing')!.text).toContain('已确认录像授权');
  });

  it('failing it does not', () => {
    const html = renderToStaticMarkup(createElement(DecisionBar, { ...props, desk: sampleDesk(), choice: 'fail' }));
    expect(element(html, 'override-reason')).toBeNull();
    expect(element(html, 'decision-confirm')!.attrs).not.toContain('disabled');
  });

  it('the decision made and the closed case', () => {
    const desk = sampleDesk({ closed: true, decision: { decision: 'pass', reasonCode: 'id_photo_old', against: true, at: T0 } });
    const html = renderToStaticMarkup(createElement(DecisionBar, { ...props, desk }));
    const made = element(html, 'decision-made')!;
    expect(made.text).toContain('已决定：通过（与建议不同：证件照年代久远）');
    expect(made.text).toContain('案件已关闭');
    expect(element(html, 'decision-pass')).toBeNull();
  });
});
