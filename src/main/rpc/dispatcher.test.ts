import { describe, expect, it, vi } from 'vitest';
import { ERROR_CODES, AppFailure } from '../../shared/errors';
import { DEFAULT_SETTINGS } from '../../shared/settings';
import { silentLogger } from '../log/logger';
import { createDispatcher, type Handlers } from './dispatcher';

const noDesk = (): never => {
  throw new AppFailure('NOT_FOUND', 'no active call');
};

function handlers(overrides: Partial<Handlers> = {}): Handlers {
  return {
    'app.info': () => ({ version: '1', platform: 'linux', transport: 'host', startedAt: 0, notices: [] }),
    'settings.get': () => DEFAULT_SETTINGS,
    'settings.update': vi.fn((patch) => ({ ...DEFAULT_SETTINGS, ...patch })),
    'diagnostics.streams': () => [],
    'engine.status': () => ({ state: 'stopped', provider: null, restarts: 0 }),
    'backend.status': () => ({ state: 'unknown', url: DEFAULT_SETTINGS.backendUrl, checkedAt: 0 }),
    'cases.list': () => [],
    'sync.status': () => ({ state: 'disabled', pending: 0, lastSuccessAt: null, lastError: null, nextAttemptAt: null }),
    'settings.backendToken': () => ({ origin: 'http://127.0.0.1:8787', backendTokenSet: false }),
    'settings.setBackendToken': () => ({ origin: 'http://127.0.0.1:8787', backendTokenSet: false }),
    'sync.retry': () => ({ state: 'disabled', pending: 0, lastSuccessAt: null, lastError: null, nextAttemptAt: null }),
    'call.start': () => {
      throw new AppFailure('UNAVAILABLE', 'no backend');
    },
    'call.signal': () => null,
    'call.mediaEvent': () => null,
    'call.end': () => null,
    'call.current': () => null,
    'recording.start': () => {
      throw new AppFailure('FORBIDDEN', 'no consent');
    },
    'recording.chunk': () => {
      throw new AppFailure('NOT_FOUND', 'no recording');
    },
    'recording.stop': () => {
      throw new AppFailure('NOT_FOUND', 'no recording');
    },
    'desk.current': () => null,
    'desk.setIdPhoto': noDesk,
    'desk.setIdInfo': noDesk,
    'desk.captureIdFromCamera': noDesk,
    'desk.fetchReferencePhoto': noDesk,
    'desk.startChallenge': noDesk,
    'desk.startOcclusionTest': noDesk,
    'desk.issueSpokenCode': noDesk,
    'desk.confirmSpokenCode': noDesk,
    'desk.decide': noDesk,
    'desk.escalate': noDesk,
    'desk.evidence': noDesk,
    'desk.idPhotoImage': noDesk,
    'desk.checklist': noDesk,
    'desk.scriptStep': noDesk,
    'scripts.list': () => ({ scripts: [], errors: [] }),
    // case review and replay
    'cases.get': noDesk,
    'cases.evidenceImage': noDesk,
    'cases.recordings': () => [],
    // re-analysis of a recording
    'cases.reanalyze': noDesk,
    // 质检 console
    'console.access': () => ({ allowed: false, origin: 'http://127.0.0.1:8787', role: null, name: null, reason: 'no_token' }),
    'console.list': noDesk,
    'console.stats': noDesk,
    'console.statsCsv': noDesk,
    'console.sample': noDesk,
    'console.case': noDesk,
    'console.recordings': noDesk,
    'console.review': noDesk,
    'console.importBundle': noDesk,
    'console.signers': () => [],
    'console.pinSigner': () => [],
    'console.export': noDesk,
    'console.wallboard': noDesk,
    // the agent's queue
    'queue.status': noDesk,
    'queue.setState': noDesk,
    'queue.accept': noDesk,
    'queue.decline': noDesk,
    'shift.status': noDesk,
    'shift.signIn': noDesk,
    'shift.signOut': noDesk,
    'shift.check': noDesk,
    'shift.enrol': noDesk,
    'shift.history': () => [],
    ...overrides,
  };
}

describe('dispatcher', () => {
  it('runs a valid call and wraps the value', async () => {
    const dispatch = createDispatcher(handlers(), silentLogger);
    expect(await dispatch('settings.update', { language: 'en' })).toEqual({ ok: true, value: { ...DEFAULT_SETTINGS, language: 'en' } });
  });

  it.each([
    ['an unknown method', 'settings.delete', {}, 'UNKNOWN_METHOD'],
    ['a prototype key as method', '__proto__', {}, 'UNKNOWN_METHOD'],
    ['a non-string method', 42, {}, 'UNKNOWN_METHOD'],
    ['a wrong type', 'settings.update', { language: 5 }, 'INVALID_PAYLOAD'],
    ['an enum value outside the set', 'settings.update', { language: 'fr' }, 'INVALID_PAYLOAD'],
    ['an unexpected key', 'settings.update', { isAdmin: true }, 'INVALID_PAYLOAD'],
    ['a non-http backend url', 'settings.update', { backendUrl: 'javascript:alert(1)' }, 'INVALID_PAYLOAD'],
    ['an analysis width not offered', 'settings.update', { analysisWidth: 4096 }, 'INVALID_PAYLOAD'],
    ['params that are not an object', 'settings.get', 'x', 'INVALID_PAYLOAD'],
    ['extra params on a no-param method', 'app.info', { x: 1 }, 'INVALID_PAYLOAD'],
    ['an unbounded case list', 'cases.list', { limit: 1_000_000 }, 'INVALID_PAYLOAD'],
    ['a verdict outside the set', 'cases.list', { verdict: "x' OR 1=1" }, 'INVALID_PAYLOAD'],
  ])('rejects %s', async (_what, method, params, code) => {
    const update = vi.fn();
    const dispatch = createDispatcher(handlers({ 'settings.update': update }), silentLogger);
    const result = await dispatch(method, params);
    expect(result).toMatchObject({ ok: false, error: { code } });
    expect(ERROR_CODES).toContain(code);
    expect(update).not.toHaveBeenCalled();
  });

  it('turns a deliberate failure into its code and an unexpected one into INTERNAL without leaking details', async () => {
    const dispatch = createDispatcher(
      handlers({
        'settings.get': () => {
          throw new AppFailure('IO_ERROR', 'disk full');
        },
        'app.info': () => {
          throw new Error('secret stack detail');
        },
      }),
      silentLogger,
    );
    expect(await dispatch('settings.get', {})).toEqual({ ok: false, error: { code: 'IO_ERROR', message: 'disk full' } });
    const internal = await dispatch('app.info', {});
    expect(internal).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(JSON.stringify(internal)).not.toContain('secret');
  });
});
