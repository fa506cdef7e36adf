import { describe, expect, it } from 'vitest';
import { AppFailure } from '../../../../src/shared/errors';
import { output, softmax } from '../../../../src/main/engine/models/run-model';

describe('run-model: softmax', () => {
  it('turns logits into probabilities that sum to 1, largest logit largest', () => {
    const p = softmax(new Float32Array([1, 2, 3]));
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[2]).toBeCloseTo(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3)), 12);
    expect(p[0]).toBeLessThan(p[1]!);
  });

  it('stays finite for huge logits (subtracts the maximum)', () => {
    const p = softmax([1000, 1000]);
    expect(p).toEqual([0.5, 0.5]);
  });
});

describe('run-model: output', () => {
  it('returns the named tensor', () => {
    const t = new Float32Array([1, 2]);
    expect(output({ scores: t }, 'scores')).toBe(t);
  });

  it('throws INTERNAL naming the missing output', () => {
    const thrown = (() => {
      try {
        output({ scores: new Float32Array(1) }, 'boxes');
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(thrown).toBeInstanceOf(AppFailure);
    expect((thrown as AppFailure).code).toBe('INTERNAL');
    expect((thrown as AppFailure).message).toContain('boxes');
  });
});
