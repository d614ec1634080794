/**
 * The performance targets of issue 6, checked against a benchmark's figures.
 *
 * @module
 */

/** The figures the targets are checked on (a subset of the benchmark's JSON). */
export interface TargetFigures {
  ratio_rps: number;
  e2e_p50_ms: number;
  raw_p50_ms: number;
  fanout100_s: number;
  socket1000_s: number;
  socket_rtt_p50_ms: number;
  idle_rss_mb: number;
  peak_rss_mb: number;
  startup_ms: number;
  /** The best `ratio_rps` the signatures leave (see signature_cost.ts); NaN if not measured. */
  ratio_rps_bound?: number;
  /** The lowest sequential p50 ratio the signatures leave; NaN if not measured. */
  p50_ratio_floor?: number;
}

/** " (bound 0.159)" when the bound was measured, else nothing. */
function bound(label: string, v: number | undefined, digits: number, unit = ""): string {
  return v !== undefined && Number.isFinite(v) ? ` (${label} ${v.toFixed(digits)}${unit})` : "";
}

/** One target: what it says, the figure it reads, and whether it was met. */
export interface TargetResult {
  target: string;
  value: string;
  met: boolean;
}

/**
 * Checks every target; a figure that was not measured (NaN) counts as missed.
 *
 * @example
 * ```ts ignore
 * import { checkTargets } from "./targets.ts";
 * for (const t of checkTargets(figures)) console.log(t.target, t.met);
 * ```
 */
export function checkTargets(f: TargetFigures): TargetResult[] {
  const rtt = Math.min(f.e2e_p50_ms, f.socket_rtt_p50_ms);
  return [
    {
      target: "throughput ≥ 30% of raw NATS (ratio_rps ≥ 0.3)",
      value: f.ratio_rps.toFixed(3) + bound("signatures' bound", f.ratio_rps_bound, 3),
      met: f.ratio_rps >= 0.3,
    },
    {
      target: "sequential p50 within 3× raw",
      value: `${(f.e2e_p50_ms / f.raw_p50_ms).toFixed(1)}×` +
        bound("signatures' floor", f.p50_ratio_floor, 1, "×"),
      met: f.e2e_p50_ms <= 3 * f.raw_p50_ms,
    },
    {
      target: "one message to 100 nodes < 2 s",
      value: `${f.fanout100_s.toFixed(3)} s`,
      met: f.fanout100_s < 2,
    },
    {
      target: "1000 pings socket-to-file < 1.0 s",
      value: `${f.socket1000_s.toFixed(3)} s`,
      met: f.socket1000_s < 1,
    },
    {
      target: "single round trip p50 < 4 ms",
      value: `${f.e2e_p50_ms.toFixed(2)} ms in-process, ${
        f.socket_rtt_p50_ms.toFixed(2)
      } ms via socket`,
      met: rtt < 4 && f.socket_rtt_p50_ms < 4,
    },
    {
      target: "idle agent RSS < 80 MB",
      value: `${f.idle_rss_mb.toFixed(1)} MB`,
      met: f.idle_rss_mb < 80,
    },
    {
      target: "peak RSS < 150 MB (1000-ping run)",
      value: `${f.peak_rss_mb.toFixed(1)} MB`,
      met: f.peak_rss_mb < 150,
    },
    {
      target: "start-up to ready < 500 ms",
      value: `${f.startup_ms.toFixed(0)} ms`,
      met: f.startup_ms < 500,
    },
  ];
}
