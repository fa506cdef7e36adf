import { describe, expect, it } from 'vitest';
import { providerCandidates } from './providers';

describe('execution provider choice', () => {
  it('prefers the platform accelerator and always ends with CPU', () => {
    expect(providerCandidates('win32', undefined)).toEqual(['dml', 'cpu']);
    expect(providerCandidates('darwin', undefined)).toEqual(['coreml', 'cpu']);
    expect(providerCandidates('linux', undefined, () => true)).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(providerCandidates('linux', undefined, () => false)).toEqual(['cpu']);
  });
  it('honours an override and still falls back to CPU', () => {
    expect(providerCandidates('linux', 'webgpu', () => false)).toEqual(['webgpu', 'cpu']);
    expect(providerCandidates('win32', 'cpu')).toEqual(['cpu']);
    expect(providerCandidates('win32', 'bogus')).toEqual(['dml', 'cpu']);
  });
});
