import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { band, deriveThresholds, loadCalibration, rates, upperBound95 } from './calibration';
import { defaultModelsDir, loadManifest } from './manifest';

const SHA = 'a'.repeat(64);
const base = {
  model: 'fr_feature',
  modelSha256: SHA,
  metric: 'cosine',
  matchThreshold: 0.5,
  mismatchThreshold: 0.2,
  estimatedFmrAtMatch: 0,
  estimatedFnmrAtMismatch: 0,
  targets: { fmr: 0.01, fnmr: 0.05 },
  counts: { identities: 2, images: 4, genuine: 2, impostor: 4 },
  method: 'test',
  createdAt: '2026-01-01T00:00:00Z',
};

describe('banding', () => {
  it('maps similarity to match / review / mismatch at the boundaries', () => {
    const t = { matchThreshold: 0.5, mismatchThreshold: 0.2 };
    expect(band(0.5, t)).toBe('match');
    expect(band(0.4999, t)).toBe('review');
    expect(band(0.2, t)).toBe('review');
    expect(band(0.1999, t)).toBe('mismatch');
  });
});

describe('threshold derivation', () => {
  it('meets the targets on overlapping classes', () => {
    const genuine = [0.2, 0.5, 0.6, 0.7, 0.8, 0.9, 0.65, 0.75, 0.85, 0.55];
    const impostor = Array.from({ length: 100 }, (_, i) => i / 200); // 0 .. 0.495
    const t = deriveThresholds(genuine, impostor, 0.01, 0.1);
    const r = rates(genuine, impostor, t);
    expect(r.falseMatches / impostor.length).toBeLessThanOrEqual(0.01);
    expect(r.falseNonMatches / genuine.length).toBeLessThanOrEqual(0.1);
    expect(t.mismatch).toBeLessThanOrEqual(t.match);
  });

  it('keeps a review band between the classes when they are separated', () => {
    const t = deriveThresholds([0.6, 0.7, 0.8], [0.0, 0.1, 0.2], 0, 0);
    expect(t.match).toBeCloseTo(0.6);
    expect(t.mismatch).toBeCloseTo(0.2 + 1e-6);
    expect(band(0.4, { matchThreshold: t.match, mismatchThreshold: t.mismatch })).toBe('review');
  });

  it('gives honest upper bounds for zero observed errors', () => {
    expect(upperBound95(0, 100)).toBeCloseTo(0.0295, 3);
    expect(upperBound95(5, 100)).toBeGreaterThan(0.05);
  });
});

describe('calibration file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'veridesk-cal-'));
  it('loads a file made for this model', () => {
    writeFileSync(join(dir, 'calibration.json'), JSON.stringify(base));
    expect(loadCalibration(dir, SHA).matchThreshold).toBe(0.5);
  });
  it('refuses a calibration made for another model', () => {
    expect(() => loadCalibration(dir, 'b'.repeat(64))).toThrow(/another fr_feature model/);
  });
  it('refuses malformed or inverted thresholds', () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...base, matchThreshold: 'high' }));
    expect(() => loadCalibration(dir, SHA, 'bad.json')).toThrow(/malformed/);
    writeFileSync(join(dir, 'inv.json'), JSON.stringify({ ...base, matchThreshold: 0.1, mismatchThreshold: 0.3 }));
    expect(() => loadCalibration(dir, SHA, 'inv.json')).toThrow(/mismatchThreshold/);
    expect(() => loadCalibration(dir, SHA, 'missing.json')).toThrow(/missing/);
  });
});

describe('the shipped models/calibration.json', () => {
  const modelsDir = defaultModelsDir();
  it.skipIf(!existsSync(join(modelsDir, 'calibration.json')))('loads for the manifest fr_feature and carries its cross-validated groups', () => {
    const cal = loadCalibration(modelsDir, loadManifest(modelsDir).models.fr_feature!.sha256);
    expect(cal.mismatchThreshold).toBeLessThan(cal.matchThreshold);
    expect(cal.groups).toBeDefined();
    for (const name of ['overall', 'western', 'east-asian', 'cross']) expect(cal.groups![name], name).toBeDefined();
    const overall = cal.groups!.overall!;
    expect(overall.fmr).toBe(cal.estimatedFmrAtMatch);
    expect(overall.fnmr).toBe(cal.estimatedFnmrAtMismatch);
    // the targets of the rule hold in cross-validation, per group
    for (const [name, g] of Object.entries(cal.groups!)) {
      expect(g.fmr, name).toBeLessThanOrEqual(cal.targets.fmr);
      if (g.genuine > 0) expect(g.fnmr, name).toBeLessThanOrEqual(cal.targets.fnmr);
    }
  });

  it('accepts a file with groups and refuses malformed group rates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'veridesk-cal-groups-'));
    const rates = { genuine: 2, impostor: 8, falseMatches: 0, falseNonMatches: 0, genuineReview: 1, impostorReview: 0, fmr: 0, fnmr: 0, upper95: { fmr: 0.3, fnmr: 0.8 }, reviewRate: { genuine: 0.5, impostor: 0 } };
    writeFileSync(join(dir, 'calibration.json'), JSON.stringify({ ...base, groups: { overall: rates } }));
    expect(loadCalibration(dir, SHA).groups!.overall!.genuineReview).toBe(1);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...base, groups: { overall: { ...rates, fmr: 2 } } }));
    expect(() => loadCalibration(dir, SHA, 'bad.json')).toThrow(/malformed/);
  });
});
