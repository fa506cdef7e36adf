import { listSupportedBackends } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppFailure } from '../../../../src/shared/errors';
import { defaultModelsDir, loadManifest, modelsPresent } from '../../../../src/main/engine/manifest';
import { SessionLoadFailure, createSessions, type ModelSessions } from '../../../../src/main/engine/models/sessions';
import type { ProviderName } from '../../../../src/main/engine/providers';

const modelsDir = defaultModelsDir();
const bundled = new Set(listSupportedBackends().filter((b) => b.bundled).map((b) => b.name));
/** A provider this onnxruntime-node build does not ship (dml/coreml off their platforms, cuda without its libraries). */
const unbundled = (['dml', 'coreml', 'cuda'] as ProviderName[]).find((p) => !bundled.has(p));

describe.skipIf(!modelsPresent(modelsDir))('createSessions (real onnxruntime)', () => {
  let sessions: ModelSessions;
  beforeAll(async () => {
    sessions = await createSessions({ modelsDir, models: ['fr_pose', 'fr_eye'], providers: [...(unbundled ? [unbundled] : []), 'cpu', 'webgpu'] });
  });
  afterAll(async () => {
    await sessions?.release();
  });

  it('records every candidate in order: not bundled, loaded, not tried after the first that loaded', () => {
    expect(sessions.provider).toBe('cpu');
    expect(sessions.probes).toEqual([
      ...(unbundled ? [{ provider: unbundled, used: false, reason: 'not bundled with onnxruntime-node' }] : []),
      { provider: 'cpu', used: true, reason: 'loaded' },
      { provider: 'webgpu', used: false, reason: 'not tried: cpu loaded first' },
    ]);
  });

  it('loads only the models asked for, with their manifest sha256', async () => {
    const manifest = loadManifest(modelsDir);
    expect(sessions.modelSha256).toEqual({ fr_pose: manifest.models.fr_pose!.sha256, fr_eye: manifest.models.fr_eye!.sha256 });
    await expect(sessions.run('fr_feature', new Float32Array(3 * 112 * 112), [1, 3, 112, 112])).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('returns every output of a model by name as Float32Array', async () => {
    const out = await sessions.run('fr_pose', new Float32Array(3 * 224 * 224), [1, 3, 224, 224]);
    expect(Object.keys(out).sort()).toEqual(['617', '618', 'output']);
    for (const t of Object.values(out)) {
      expect(t).toBeInstanceOf(Float32Array);
      expect(t).toHaveLength(66);
    }
    const eye = await sessions.run('fr_eye', new Float32Array(24 * 24).fill(0.5), [1, 1, 24, 24]);
    expect(eye.output).toHaveLength(2);
  });

  it('fails UNAVAILABLE with the probes when no provider is left to try', async () => {
    const error = await createSessions({ modelsDir, models: ['fr_eye'], providers: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionLoadFailure);
    expect(error).toBeInstanceOf(AppFailure);
    expect((error as SessionLoadFailure).code).toBe('UNAVAILABLE');
    expect((error as SessionLoadFailure).probes).toEqual([]);
  });

  it('fails UNAVAILABLE naming the fix when a model file is missing', async () => {
    const error = await createSessions({ modelsDir: '/nonexistent-models', models: ['fr_eye'] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNAVAILABLE' });
  });
});
