/**
 * The shift through the workstation's contract (createWorkstation, dispatch as both transports use it): an old
 * settings.json without shiftFaceCheck still loads with face checks off, 示闲 is refused before sign-in, sign-in
 * with another agent id makes it 设置's, a malformed enrolment is refused by the schema, and sign-out ends the shift.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { silentLogger } from '../../../src/main/log/logger';
import { SHIFT_MESSAGES } from '../../../src/main/shift/shift-service';
import { createWorkstation, type Workstation } from '../../../src/main/workstation';

let dir: string;
let workstation: Workstation;
const invoke = (method: string, params: unknown = {}) => workstation.dispatch(method, params);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vd-shift-ws-'));
  // a settings file written before shifts existed
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ language: 'zh-CN', agentId: 'agent-001', cameraDeviceId: null, backendUrl: 'http://127.0.0.1:9', analysisWidth: 480 }));
  workstation = await createWorkstation({ dataDir: dir, transport: 'host', version: 'test', log: silentLogger, modelsDir: null, keyProvider: new StaticKeyProvider(Buffer.alloc(32, 4)), backendToken: 'vd_test' });
});
afterEach(async () => {
  await workstation.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the shift through the contract', () => {
  it('loads old settings with checks off, gates the queue on sign-in, and logs the shift', async () => {
    const settings = await invoke('settings.get');
    expect(settings).toMatchObject({ ok: true, value: { agentId: 'agent-001', analysisWidth: 480, shiftFaceCheck: { enabled: false } } });
    expect(await invoke('shift.status')).toMatchObject({ ok: true, value: { shift: null, faceCheck: { enabled: false } } });

    expect(await invoke('queue.setState', { state: 'ready' })).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: SHIFT_MESSAGES.signInFirst } });

    const signedIn = await invoke('shift.signIn', { agentId: 'agent-042' });
    expect(signedIn).toMatchObject({ ok: true, value: { shift: { agentId: 'agent-042' } } });
    // the confirmed agent id is 设置's from now on
    expect(await invoke('settings.get')).toMatchObject({ ok: true, value: { agentId: 'agent-042' } });
    expect(await invoke('shift.status')).toMatchObject({ ok: true, value: { shift: { agentId: 'agent-042' } } });

    expect(await invoke('shift.signOut')).toMatchObject({ ok: true, value: { shift: null } });
    const history = await invoke('shift.history', { limit: 5 });
    expect(history).toMatchObject({ ok: true, value: [{ agentId: 'agent-042', endReason: 'signed_out', chain: { ok: true } }] });
  });

  it('refuses malformed input by schema and stores nothing', async () => {
    expect(await invoke('shift.signIn', { agentId: '../../etc' })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await invoke('shift.enrol', { agentId: 'agent-1', data: 'not base64 !!' })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await invoke('shift.check', { frames: [] })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await invoke('settings.update', { shiftFaceCheck: { enabled: true, minIntervalMin: 60, maxIntervalMin: 10 } })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    // checks on without an engine: sign-in is refused, not waved through
    expect(await invoke('settings.update', { shiftFaceCheck: { enabled: true, minIntervalMin: 10, maxIntervalMin: 60 } })).toMatchObject({ ok: true });
    expect(await invoke('shift.signIn', { agentId: 'agent-001' })).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: SHIFT_MESSAGES.engineDown } });
    expect(await invoke('shift.history', {})).toEqual({ ok: true, value: [] });
  });
});
