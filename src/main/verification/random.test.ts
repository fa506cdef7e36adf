import { describe, expect, it } from 'vitest';
import { secureRandom } from './random';

describe('the production random source (challenge order, spoken code)', () => {
  it('answers uniform numbers in [0, 1) from the OS CSPRNG, never throws', () => {
    const draws = Array.from({ length: 2000 }, () => secureRandom());
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    // a broken source (constant, or stuck in one half) fails this; a uniform one passes with overwhelming odds
    const low = draws.filter((x) => x < 0.5).length;
    expect(low).toBeGreaterThan(850);
    expect(low).toBeLessThan(1150);
    expect(new Set(draws).size).toBeGreaterThan(1990);
  });
});
