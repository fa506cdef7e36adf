import { describe, expect, it } from 'vitest';
import { DeviceReportSchema } from '../shared/signaling';
import { CameraError, classifyMediaError, deviceReport, mediaStateFor, openCamera, sanitizeSettings } from './media';

const domError = (name: string) => Object.assign(new Error(name), { name });

describe('camera errors', () => {
  it.each([
    ['NotAllowedError', 'NotAllowedError', 'denied'],
    ['PermissionDeniedError', 'NotAllowedError', 'denied'],
    ['NotFoundError', 'NotFoundError', 'missing'],
    ['OverconstrainedError', 'OverconstrainedError', 'missing'],
    ['NotReadableError', 'NotReadableError', 'missing'],
    ['TrackStartError', 'NotReadableError', 'missing'],
    ['TypeError', 'NotSupportedError', 'missing'],
    ['Weird', 'UnknownError', 'missing'],
  ] as const)('%s → %s (%s)', (name, code, state) => {
    expect(classifyMediaError(domError(name))).toBe(code);
    expect(mediaStateFor(code)).toBe(state);
  });

  it('reports a lost track as lost', () => expect(mediaStateFor('TrackEnded')).toBe('lost'));

  it('says NotSupportedError when mediaDevices is missing (plain http, old WebView)', async () => {
    await expect(openCamera(undefined)).rejects.toMatchObject({ code: 'NotSupportedError' });
  });

  it('retries once without constraints after OverconstrainedError', async () => {
    const calls: MediaStreamConstraints[] = [];
    const stream = {} as MediaStream;
    const devices = {
      getUserMedia: async (constraints: MediaStreamConstraints) => {
        calls.push(constraints);
        if (calls.length === 1) throw domError('OverconstrainedError');
        return stream;
      },
    } as unknown as MediaDevices;
    await expect(openCamera(devices)).resolves.toBe(stream);
    expect(calls[1]).toEqual({ video: true, audio: true });
  });

  it('passes the classified error through', async () => {
    const devices = { getUserMedia: async () => Promise.reject(domError('NotAllowedError')) } as unknown as MediaDevices;
    const error = await openCamera(devices).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CameraError);
    expect((error as CameraError).code).toBe('NotAllowedError');
  });
});

describe('device report', () => {
  it('keeps only numbers, short strings and booleans, no device ids, at most 32 keys', () => {
    const settings: Record<string, unknown> = { width: 1280, height: 720, frameRate: 30, facingMode: 'user', deviceId: 'abc', groupId: 'def', resizeMode: 'none' };
    settings.nested = { a: 1 };
    settings.long = 'x'.repeat(200);
    settings.nan = Number.NaN;
    settings.flag = true;
    for (let i = 0; i < 40; i += 1) settings[`k${i}`] = i;
    const clean = sanitizeSettings(settings);
    expect(clean).toMatchObject({ width: 1280, height: 720, frameRate: 30, facingMode: 'user', resizeMode: 'none', flag: true });
    expect(clean).not.toHaveProperty('deviceId');
    expect(clean).not.toHaveProperty('nested');
    expect(clean).not.toHaveProperty('long');
    expect(clean).not.toHaveProperty('nan');
    expect(Object.keys(clean).length).toBeLessThanOrEqual(32);
  });

  it('is always valid against the wire schema', () => {
    const report = deviceReport({ label: 'OBS Virtual Camera'.repeat(30), getSettings: () => ({ width: 640 }) }, { label: 'Mic' }, 'UA'.repeat(400));
    expect(DeviceReportSchema.safeParse(report).success).toBe(true);
    expect(report.videoLabel.length).toBe(256);
    expect(report.userAgent.length).toBe(512);
    expect(deviceReport(undefined, undefined, 'ua')).toEqual({ kind: 'device', videoLabel: '', audioLabel: '', settings: {}, userAgent: 'ua' });
  });
});
