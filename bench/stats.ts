/** Small statistics the benchmarks share (one definition, so their medians and p95s mean the same). */

/** The p-quantile (0..1) by the nearest-rank rule; 0 for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

/** Two decimals, for printing and JSON. */
export const round2 = (v: number) => Math.round(v * 100) / 100;
