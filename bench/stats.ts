export interface Distribution {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of ascending samples. */
function rank(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/** Ascending copy; a typed array sorts numerically. */
export function sortedCopy(samples: readonly number[]): number[] {
  return Array.from(Float64Array.from(samples).sort());
}

export function distribution(samples: readonly number[]): Distribution {
  const sorted = sortedCopy(samples);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    p50: rank(sorted, 0.5),
    p90: rank(sorted, 0.9),
    p99: rank(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
  };
}

/**
 * Points of the empirical CDF, thinned to about `points` for the chart and the JSON: evenly spaced in
 * rank, plus the extreme tail (the last 1% kept densely) where the interesting differences are.
 */
export function cdf(samples: readonly number[], points = 200): [number, number][] {
  const sorted = sortedCopy(samples);
  const n = sorted.length;
  if (n === 0) return [];
  const ranks = new Set<number>();
  for (let i = 0; i < points; i++) ranks.add(Math.floor((i / points) * n));
  for (let i = Math.floor(n * 0.99); i < n; i += Math.max(1, Math.floor(n / (points * 20)))) ranks.add(i);
  ranks.add(n - 1);
  return [...ranks].sort((a, b) => a - b).map((index) => [sorted[index] ?? 0, (index + 1) / n]);
}
