/**
 * The case page's pure parts: the readable event lines (with the real zh-CN dictionary: Chinese by default), which
 * events are timeline marks and where, the grouping of recordings into sessions, and the two-video sync.
 */
import { describe, expect, it } from 'vitest';
import { zhCN } from '../../i18n/zh-CN';
import { en } from '../../i18n/en';
import { eventLine, eventTypeKey, type Translate } from './event-text';
import { formatOffset } from './format-time';
import { HARD_DRIFT_S, ReplaySync, type MediaLike } from './replay-sync';
import { replaySessions, timelineMarkers } from './timeline-markers';
import { EVENT_TYPES, type CaseEvent } from '../../../../shared/cases';
import type { CaseRecording } from '../../../../shared/review';

/** i18next's lookup, enough for these keys: dotted path, {{var}} interpolation, defaultValue. */
function translator(messages: object): Translate {
  return (key, vars = {}) => {
    let node: unknown = messages;
    for (const part of key.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
    const text = typeof node === 'string' ? node : typeof vars.defaultValue === 'string' ? vars.defaultValue : key;
    return text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => String(vars[name] ?? ''));
  };
}
const zh = translator(zhCN);

const ev = (seq: number, type: CaseEvent['type'], at: number, payload: Record<string, unknown>): CaseEvent => ({
  caseId: 'c1',
  seq,
  type,
  at,
  actor: 'system',
  payload,
  prevHash: '0'.repeat(64),
  hash: '0'.repeat(64),
});

describe('event lines', () => {
  it('say what happened in Chinese, from the payloads main writes', () => {
    expect(eventLine(zh, ev(1, 'check.result', 0, { type: 'check.changed', at: 0, check: { id: 'face_match', status: 'pass', reason: 'match_band', score: 0.7123 }, previous: { status: 'pending', reason: 'no_key_frames' } }))).toBe(
      '人脸比对：通过，与证件照高度一致 · 相似度 0.71',
    );
    expect(eventLine(zh, ev(2, 'verification.event', 0, { type: 'challenge.step_failed', at: 0, challengeId: 'x', index: 1, action: 'turn_left', reason: 'timeout', evidence: [] }))).toBe('第 2 步失败：向左转头（超时）');
    expect(eventLine(zh, ev(3, 'verification.event', 0, { type: 'challenge.started', at: 0, challengeId: 'x', actions: ['blink', 'open_mouth'], stepTimeoutMs: 5000, attempt: 1 }))).toBe('开始动作活体（第 1 次）：眨眼、张嘴');
    expect(eventLine(zh, ev(4, 'media.event', 0, { source: 'agent', event: 'guidance_pushed', key: 'move_to_light' }))).toBe('推送引导：请到光线充足处');
    expect(eventLine(zh, ev(5, 'decision.made', 0, { decision: 'pass', advice: 'fail', against: true, reasonCode: 'verified_other_means' }))).toBe('坐席决定：坐席通过（系统建议：建议不通过），违背建议，原因：已通过其他方式核实身份');
    expect(eventLine(zh, ev(6, 'consent.recorded', 0, { subject: 'recording', granted: true }))).toBe('客户同意录像');
    expect(eventLine(zh, ev(7, 'recording.stopped', 0, { track: 'agent', chunks: 12, durationMs: 12_345 }))).toBe('坐席录像结束：12 段，12.3 秒');
    expect(eventLine(zh, ev(8, 'verification.event', 0, { type: 'spoken_code.confirmed', at: 0, ok: false }))).toBe('口令核对：客户没有读对');
    expect(eventLine(zh, ev(9, 'case.closed', 0, { verdict: 'rejected', reasonCode: null }))).toBe('结案：未通过');
  });

  it('names a script step by the title written with it, in each UI language, and by its id without one', () => {
    const step = { type: 'script.step', at: 0, scriptId: 'operate.yaml', scriptVersion: 3, stepId: 'verify_identity', index: 2, via: 'next', title: { zh: '核对身份', en: 'Verify identity' } };
    expect(eventLine(zh, ev(1, 'verification.event', 0, step))).toBe('话术步骤：核对身份');
    expect(eventLine(translator(en), ev(1, 'verification.event', 0, step))).toBe('Script step: Verify identity');
    expect(eventLine(zh, ev(2, 'verification.event', 0, { type: 'script.step', stepId: 'greeting', index: 0, via: 'jump' }))).toBe('话术步骤：greeting');
    expect(eventLine(zh, ev(3, 'verification.event', 0, { type: 'script.step', title: 'not an object' }))).toBe('话术步骤：?');
  });

  it('never fails on a payload it does not know, and every event type has a name in both languages', () => {
    expect(eventLine(zh, ev(1, 'verification.event', 0, { type: 'something.new', x: 1 }))).toBe('{"type":"something.new","x":1}');
    expect(eventLine(zh, ev(2, 'check.result', 0, {}))).toBe('{}');
    expect(eventLine(zh, ev(3, 'note.added', 0, { note: 'x'.repeat(10) }))).toBe('备注：xxxxxxxxxx');
    const enT = translator(en);
    for (const type of EVENT_TYPES) {
      expect(zh(eventTypeKey(type)), type).not.toBe(eventTypeKey(type));
      expect(enT(eventTypeKey(type)), type).not.toBe(eventTypeKey(type));
    }
  });
});

describe('timeline markers', () => {
  const origin = 1_700_000_000_000;
  const events = [
    ev(1, 'case.opened', origin - 5000, {}),
    ev(2, 'check.result', origin + 1500, { type: 'check.changed', check: { id: 'quality', status: 'warn', reason: 'too_dark' } }),
    ev(3, 'verification.event', origin + 2000, { type: 'challenge.step_passed', index: 0, action: 'blink' }),
    ev(4, 'verification.event', origin + 2100, { type: 'state.changed', from: 'observing', to: 'verdict' }),
    ev(5, 'media.event', origin + 3000, { source: 'agent', event: 'guidance_pushed', key: 'hold_still' }),
    ev(6, 'media.event', origin + 3100, { source: 'agent', event: 'connected' }),
    ev(7, 'decision.made', origin + 9000, { decision: 'fail', advice: 'fail' }),
    ev(8, 'verification.event', origin - 100, { type: 'advice.changed', advice: 'review' }),
    ev(9, 'verification.event', origin + 4000, { type: 'script.step', stepId: 'verify_identity', index: 2, via: 'next', title: { zh: '核对身份', en: 'Verify identity' } }),
  ];

  it('marks checks, challenge steps, guidance pushes, script steps, advice and decisions at event.at − the recording start', () => {
    const marks = timelineMarkers(events, origin, 8000);
    expect(marks.map((m) => [m.seq, m.kind, m.offsetMs, m.inRange, m.tone])).toEqual([
      [2, 'check', 1500, true, 'warn'],
      [3, 'challenge', 2000, true, 'pass'],
      [5, 'guidance', 3000, true, 'info'],
      [7, 'decision', 9000, false, 'fail'],
      [8, 'advice', -100, false, 'warn'],
      [9, 'script', 4000, true, 'info'],
    ]);
  });

  it('groups the tracks started together into one session, offset by their own startedAt', () => {
    const rec = (id: string, track: 'customer' | 'agent', startedAt: number, durationMs: number, mediaUrl: string | null = '/m'): CaseRecording => ({
      recordingId: id,
      track,
      startedAt,
      stoppedAt: null,
      durationMs,
      state: mediaUrl ? 'stopped' : 'purged',
      seekable: true,
      chunks: 1,
      bytes: 1,
      mediaUrl,
      mediaExpiresAt: null,
    });
    const sessions = replaySessions([rec('a2', 'agent', origin + 300, 10_000), rec('c1', 'customer', origin, 9_000), rec('c2', 'customer', origin + 60_000, 5_000), rec('gone', 'agent', origin + 60_000, 5_000, null)]);
    expect(sessions.map((s) => [s.originMs, s.customer?.recordingId, s.agent?.recordingId ?? null, s.lengthMs])).toEqual([
      [origin, 'c1', 'a2', 10_300],
      [origin + 60_000, 'c2', null, 5_000],
    ]);
  });

  it('formats positions', () => {
    expect([formatOffset(0), formatOffset(61.9), formatOffset(3725), formatOffset(-3)]).toEqual(['0:00', '1:01', '1:02:05', '0:00']);
  });
});

/** A media element that plays at its playbackRate on a fake clock, counting the seeks made on it. */
class FakeMedia implements MediaLike {
  paused = true;
  seeking = false;
  readyState = 4;
  playbackRate = 1;
  seeks = 0;
  private t = 0;
  constructor(readonly duration: number) {}
  get currentTime() {
    return this.t;
  }
  set currentTime(v: number) {
    this.t = v;
    this.seeks++;
  }
  play() {
    this.paused = false;
  }
  pause() {
    this.paused = true;
  }
  /** Plays `seconds` of wall time; `speed` is how fast its decoder really runs (a drifting clock). */
  advance(seconds: number, speed = 1) {
    if (!this.paused) this.t = Math.min(this.duration, this.t + seconds * this.playbackRate * speed);
  }
}

function rig(offsetAgent = 0.5) {
  let clock = 0;
  const customer = new FakeMedia(20);
  const agent = new FakeMedia(20);
  const sync = new ReplaySync(
    [
      { media: customer, offset: 0, fallbackLength: 20 },
      { media: agent, offset: offsetAgent, fallbackLength: 20 },
    ],
    () => clock,
  );
  const run = (seconds: number, agentSpeed = 1) => {
    for (let i = 0; i < seconds * 20; i++) {
      clock += 50;
      customer.advance(0.05);
      agent.advance(0.05, agentSpeed);
      sync.tick();
    }
  };
  return { sync, customer, agent, run };
}

describe('replay sync', () => {
  it('plays both from one timeline, the agent offset by its own start, and keeps them within 100 ms', () => {
    const { sync, customer, agent, run } = rig(0.5);
    expect(sync.length).toBeCloseTo(20.5);
    sync.play();
    // before the agent track starts it waits at 0
    run(0.3);
    expect(agent.paused).toBe(true);
    run(2);
    expect(agent.paused).toBe(false);
    for (let i = 0; i < 20; i++) {
      run(0.5, 1.04);
      expect(Math.abs(agent.currentTime + 0.5 - customer.currentTime), `after ${i}`).toBeLessThan(0.1);
    }
    expect(sync.position).toBeCloseTo(customer.currentTime, 5);
  });

  it('seeks both to a marker: the customer to t, the agent to t − its offset', () => {
    const { sync, customer, agent, run } = rig(0.5);
    sync.play();
    run(1);
    sync.seek(7.25);
    expect(customer.currentTime).toBeCloseTo(7.25);
    expect(agent.currentTime).toBeCloseTo(6.75);
    sync.pause();
    sync.seek(0.2);
    expect(customer.currentTime).toBeCloseTo(0.2);
    expect(agent.currentTime).toBe(0);
    expect(customer.paused).toBe(true);
  });

  it('corrects a large jump with one seek, not a seek per tick', () => {
    const { sync, run, agent, customer } = rig(0);
    sync.play();
    run(1);
    // the agent element jumps 1 s ahead (a decoder hiccup)
    agent.currentTime += 1;
    const before = agent.seeks;
    run(1);
    expect(agent.seeks - before).toBe(1);
    expect(Math.abs(agent.currentTime - customer.currentTime)).toBeLessThan(HARD_DRIFT_S);
  });

  it('stops at the end of the timeline', () => {
    const { sync, run, customer } = rig(0.5);
    sync.seek(19.8);
    sync.play();
    run(2);
    expect(sync.isPlaying).toBe(false);
    expect(sync.position).toBeCloseTo(20.5, 1);
    expect(customer.paused).toBe(true);
  });
});
