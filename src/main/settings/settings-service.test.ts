import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS } from '../../shared/settings';
import { silentLogger } from '../log/logger';
import { SettingsService } from './settings-service';

describe('SettingsService', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'veridesk-settings-'));
    path = join(dir, 'settings.json');
  });

  it('starts from defaults when no file exists, and persists updates atomically', async () => {
    const onChange = vi.fn();
    const service = new SettingsService({ path, log: silentLogger, onChange });
    expect(await service.load()).toEqual(DEFAULT_SETTINGS);
    await service.update({ language: 'en', analysisWidth: 480 });
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ language: 'en', analysisWidth: 480 });
    expect(onChange).toHaveBeenCalledWith(expect.objectContaining({ language: 'en' }));
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const reloaded = new SettingsService({ path, log: silentLogger });
    expect((await reloaded.load()).language).toBe('en');
  });

  it.each([
    ['truncated JSON', '{"language": "en", "agen'],
    ['a JSON array', '[1,2,3]'],
    ['binary garbage', '\u0000\u0001\u00ff'],
    ['a wrong type', '{"language": 7}'],
  ])('survives %s: reports it, keeps the file aside, restores defaults', async (_what, content) => {
    await writeFile(path, content);
    const service = new SettingsService({ path, log: silentLogger });
    expect(await service.load()).toEqual(DEFAULT_SETTINGS);
    expect(service.notices()).toEqual([expect.objectContaining({ code: 'CORRUPT_INPUT', key: 'settingsCorrupt' })]);
    const files = await readdir(dir);
    const aside = files.find((f) => f.startsWith('settings.json.corrupt-'));
    expect(aside).toBeDefined();
    expect(await readFile(join(dir, aside!), 'utf8')).toBe(content);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(DEFAULT_SETTINGS);
  });

  it('keeps settings from an older version and fills new fields with defaults', async () => {
    await writeFile(path, JSON.stringify({ language: 'en' }));
    const service = new SettingsService({ path, log: silentLogger });
    expect(await service.load()).toEqual({ ...DEFAULT_SETTINGS, language: 'en' });
    expect(service.notices()).toEqual([]);
  });

  it('refuses an invalid update and leaves the stored file unchanged', async () => {
    const service = new SettingsService({ path, log: silentLogger });
    await service.load();
    await service.update({ agentId: 'a-7' });
    const before = await readFile(path, 'utf8');
    await expect(service.update({ agentId: '' })).rejects.toThrow();
    expect(await readFile(path, 'utf8')).toBe(before);
    expect(service.get().agentId).toBe('a-7');
  });

  it('concurrent updates all land (none lost), and a refused one does not block the next', async () => {
    const service = new SettingsService({ path, log: silentLogger });
    await service.load();
    const results = await Promise.allSettled([
      service.update({ language: 'en' }),
      service.update({ analysisWidth: 480 }),
      service.update({ analysisWidth: 'wide' as unknown as 480 }),
      service.update({ agentId: 'agent-42' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const stored = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    expect(stored).toMatchObject({ language: 'en', analysisWidth: 480, agentId: 'agent-42' });
    expect(service.get()).toMatchObject({ language: 'en', analysisWidth: 480, agentId: 'agent-42' });
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
