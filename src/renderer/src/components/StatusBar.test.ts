/** The engine pills of the status bar, rendered to static HTML (no DOM needed): degraded, restarting, ready. */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../../shared/contract';
import i18n from '../i18n';
import type { SyncStatus } from '../../../shared/cases';
import { EnginePills, StatusBar, SyncPills } from './StatusBar';

afterEach(async () => {
  await i18n.changeLanguage('zh-CN');
});

const render = (engine: EngineStatus): string => renderToStaticMarkup(createElement(EnginePills, { engine }));

/** The element with this data-testid: its attributes and its text (tags stripped, entities decoded). */
function pill(html: string, testId: string): { attrs: string; text: string; title: string | null } | null {
  const start = html.indexOf(`data-testid="${testId}"`);
  if (start < 0) return null;
  const open = html.lastIndexOf('<', start);
  const tag = /^<(\w+)/.exec(html.slice(open))![1]!;
  let depth = 0;
  const re = new RegExp(`<(/?)${tag}\\b[^>]*>`, 'g');
  re.lastIndex = open;
  let end = html.length;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    depth += m[1] ? -1 : 1;
    if (depth === 0) {
      end = m.index + m[0].length;
      break;
    }
  }
  const element = html.slice(open, end);
  const attrs = element.slice(0, element.indexOf('>') + 1);
  const decode = (s: string) => s.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const title = /title="([^"]*)"/.exec(attrs);
  return { attrs, text: decode(element.replace(/<[^>]+>/g, '')), title: title ? decode(title[1]!) : null };
}

describe('StatusBar engine pills', () => {
  it('ready: the provider, no degraded pill', () => {
    const html = render({ state: 'ready', provider: 'cpu', restarts: 0, load: 0.4, degraded: false });
    expect(pill(html, 'status-provider')!.text).toBe('推理: CPU');
    expect(pill(html, 'engine-state')).toMatchObject({ text: 'CPU' });
    expect(pill(html, 'engine-state')!.attrs).toContain('data-state="ready"');
    expect(pill(html, 'engine-degraded')).toBeNull();
  });

  it('ready but degraded: a warning pill whose tooltip gives the load as a percentage', () => {
    const html = render({ state: 'ready', provider: 'cpu', restarts: 0, load: 0.974, degraded: true });
    const degraded = pill(html, 'engine-degraded')!;
    expect(degraded.text).toBe('分析降级');
    expect(degraded.title).toBe('引擎负载 97%，部分画面未分析');
    expect(degraded.attrs).toContain('class="pill engine-degraded"');
    expect(pill(html, 'engine-state')!.text).toBe('CPU');
  });

  it('degraded without a load figure still explains itself', () => {
    const degraded = pill(render({ state: 'ready', provider: 'cpu', restarts: 0, degraded: true }), 'engine-degraded')!;
    expect(degraded.title).toMatch(/部分画面未分析/);
    expect(degraded.title).not.toMatch(/%/);
  });

  it('no degraded pill unless the engine is ready (a restart is shown by the state pill)', () => {
    expect(pill(render({ state: 'restarting', provider: null, restarts: 1, degraded: true }), 'engine-degraded')).toBeNull();
  });

  it('restarting: 重启中, the attempt and main’s reason in the tooltip', () => {
    const html = render({ state: 'restarting', provider: null, restarts: 2, message: 'engine process killed by SIGABRT' });
    const state = pill(html, 'engine-state')!;
    expect(state.text).toBe('重启中');
    expect(state.attrs).toContain('data-restarts="2"');
    expect(state.title).toBe('人脸引擎异常退出，正在重启（第 2 次）\nengine process killed by SIGABRT');
    const outer = pill(html, 'status-provider')!;
    expect(outer.text).toBe('推理: 重启中');
    expect(outer.title).toBe(state.title);
    expect(outer.attrs).toContain('pill engine-restarting');
  });

  it('failed keeps main’s message as the tooltip', () => {
    const html = render({ state: 'failed', provider: null, restarts: 5, message: 'model fr_detect.onnx is missing (run `npm run models`)' });
    expect(pill(html, 'engine-state')!.text).toBe('故障');
    expect(pill(html, 'status-provider')!.title).toMatch(/npm run models/);
  });

  it('the whole bar renders them (store defaults: stopped)', () => {
    const html = renderToStaticMarkup(createElement(StatusBar));
    expect(pill(html, 'status-provider')!.text).toBe('推理: 未启动');
    expect(pill(html, 'engine-state')!.attrs).toContain('data-state="stopped"');
  });

  it('English', async () => {
    await i18n.changeLanguage('en');
    const html = render({ state: 'ready', provider: 'cpu', restarts: 0, load: 0.5, degraded: true });
    expect(pill(html, 'engine-degraded')).toMatchObject({ text: 'Analysis degraded', title: 'Engine load 50%, some frames are not analysed' });
    const restarting = render({ state: 'restarting', provider: null, restarts: 3 });
    expect(pill(restarting, 'engine-state')).toMatchObject({ text: 'Restarting', title: 'The face engine stopped unexpectedly; restarting (attempt 3)' });
  });
});

describe('StatusBar sync pills', () => {
  const sync = (over: Partial<SyncStatus>): string =>
    renderToStaticMarkup(createElement(SyncPills, { sync: { state: 'idle', pending: 0, lastSuccessAt: null, lastError: null, nextAttemptAt: null, ...over } }));

  it('blocked: 已暂停 with the reason in the tooltip', () => {
    const html = sync({ state: 'blocked', pending: 12, lastError: { code: 'UNAUTHENTICATED', message: 'invalid or revoked token', at: 1 } });
    const state = pill(html, 'status-sync')!;
    expect(state.text).toBe('同步: 已暂停（待同步 12）');
    expect(state.attrs).toContain('pill sync-blocked');
    expect(state.title).toMatch(/不会自动重试：UNAUTHENTICATED：invalid or revoked token/);
  });

  it('held cases: a count pill only when some are held', () => {
    expect(pill(sync({ held: 0 }), 'status-sync-held')).toBeNull();
    expect(pill(sync({}), 'status-sync-held')).toBeNull();
    const held = pill(sync({ held: 2 }), 'status-sync-held')!;
    expect(held.text).toBe('搁置 2 件');
    expect(held.title).toMatch(/veridesk cases release/);
  });

  it('English', async () => {
    await i18n.changeLanguage('en');
    expect(pill(sync({ state: 'blocked', pending: 3 }), 'status-sync')!.text).toBe('Sync: paused (3 pending)');
    expect(pill(sync({ held: 1 }), 'status-sync-held')!.text).toBe('1 held');
  });
});
