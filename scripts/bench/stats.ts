/**
 * Summaries of benchmark runs: throughput and latency percentiles.
 *
 * @module
 */

/** What one measured run gives: how many, how long, how fast, and latency percentiles. */
export interface RunStats {
  count: number;
  seconds: number;
  /** Messages (or round trips) per second over the whole run. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Returns the `q` quantile (0..1) of `values` by the nearest-rank method; NaN when empty.
 *
 * @example
 * ```ts
 * import { quantile } from "./stats.ts";
 * console.assert(quantile([3, 1, 2], 0.5) === 2);
 * ```
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/**
 * Summarizes `latenciesMs` measured over `seconds` of wall time.
 *
 * @example
 * ```ts
 * import { summarize } from "./stats.ts";
 * summarize([1, 2, 3, 4], 0.5).rps; // 8
 * ```
 */
export function summarize(latenciesMs: readonly number[], seconds: number): RunStats {
  return {
    count: latenciesMs.length,
    seconds,
    rps: latenciesMs.length / seconds,
    p50Ms: quantile(latenciesMs, 0.5),
    p99Ms: quantile(latenciesMs, 0.99),
  };
}

/**
 * The median of a few repeated measurements.
 *
 * @example
 * ```ts
 * import { median } from "./stats.ts";
 * console.assert(median([5, 1, 3]) === 3);
 * ```
 */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}
