/**
 * The benchmark's readable table.
 *
 * @module
 */
import type { TargetResult } from "./targets.ts";

type Figures = Record<string, number | boolean | string>;

const ROWS: [label: string, key: string, unit: string][] = [
  ["raw NATS req/reply, sequential", "raw_seq_rps", "msg/s"],
  ["  p50 / p99", "raw_p50_ms|raw_p99_ms", "ms"],
  ["raw NATS req/reply, all in flight", "raw_rps", "msg/s"],
  ["  p50 / p99", "raw_burst_p50_ms|raw_burst_p99_ms", "ms"],
  ["Steward REQPing e2e, sequential", "e2e_seq_rps", "msg/s"],
  ["  p50 / p99", "e2e_p50_ms|e2e_p99_ms", "ms"],
  ["Steward REQPing e2e, all in flight", "e2e_rps", "msg/s"],
  ["  p50 / p99", "e2e_burst_p50_ms|e2e_burst_p99_ms", "ms"],
  ["  ratio to raw: msg/s, seq p50", "ratio_rps|ratio_p50", "×"],
  ["Ed25519 sign / verify of a ping", "sign_us|verify_us", "µs"],
  ["  of an ACK", "ack_sign_us|ack_verify_us", "µs"],
  ["  bound on ratio msg/s: signed ACKs / not", "ratio_rps_bound_signed_acks|ratio_rps_bound", "×"],
  ["  floor of the seq p50 ratio", "p50_ratio_floor", "×"],
  ["Steward REQCliCommand echo, sequential", "cli_seq_rps", "msg/s"],
  ["  p50 / p99", "cli_p50_ms|cli_p99_ms", "ms"],
  ["Steward REQCliCommand echo, all in flight", "cli_rps", "msg/s"],
  ["fan-out to 10 nodes: first / median", "fanout10_first_s|fanout10_s", "s"],
  ["fan-out to 100 nodes: first / median", "fanout100_first_s|fanout100_s", "s"],
  ["agent start-up to ready: median / max", "startup_ms|startup_max_ms", "ms"],
  ["agent idle RSS", "idle_rss_mb", "MB"],
  ["1000 pings socket→file: first / median", "socket1000_first_s|socket1000_s", "s"],
  ["  peak RSS: first run / all runs", "peak_rss_mb|peak_rss_all_runs_mb", "MB"],
  ["single ping socket→file p50 / p99", "socket_rtt_p50_ms|socket_rtt_p99_ms", "ms"],
  ["1000 echo commands socket→file: first / median", "cli1000_first_s|cli1000_s", "s"],
  ["  spawn floor (same spawns, same concurrency)", "spawn_floor_s", "s"],
  ["  the same, each leading its group (setsid)", "group_spawn_floor_s", "s"],
  ["  the same through the spool's wrapper (setsid sh)", "spool_spawn_floor_s", "s"],
  ["  CPU per command: central", "cli1000_cpu_central_ms", "ms"],
  ["  CPU per command: ship1", "cli1000_cpu_ship1_ms", "ms"],
  ["  CPU per command: the processes ship1 started", "cli1000_cpu_commands_ms", "ms"],
  ["  the 1000 commands with -commandSpool=false", "cli1000_unspooled_s", "s"],
  ["  commands ship1 runs at once", "cli1000_concurrency", ""],
  ["  first reply in the file", "cli_first_reply_ms", "ms"],
  ["  peak RSS central / ship1", "cli1000_peak_rss_central_mb|cli1000_peak_rss_ship1_mb", "MB"],
  ["single command socket→file p50 / p99", "cli_rtt_p50_ms|cli_rtt_p99_ms", "ms"],
  ["sustained load: messages", "load_messages", ""],
  ["  rate", "load_rps", "msg/s"],
  ["  RSS after / peak", "load_rss_mb|load_peak_rss_mb", "MB"],
  ["scale: nodes, up in", "scale_nodes|scale_up_s", "s"],
  ["  REQPing to all: first / median", "scale_ping_first_s|scale_ping_s", "s"],
  ["  REQCliCommand hostname to all: first / median", "scale_cli_first_s|scale_cli_s", "s"],
  ["  central RSS: no node / the fleet", "scale_central_rss_empty_mb|scale_central_rss_mb", "MB"],
  ["  hellos: every, central CPU share", "scale_hello_seconds|scale_hello_cpu_share", ""],
  ["  central CPU per hello", "scale_hello_cpu_ms", "ms"],
  ["  central KV size", "scale_central_kv_mb", "MB"],
  ["copy of 1 GB central→ship1 (256 MB quick)", "copy_1gb_s", "s"],
  [
    "  throughput: copy / raw publish / raw chunk req",
    "copy_mb_s|raw_publish_mb_s|raw_chunk_rr_mb_s",
    "MB/s",
  ],
  ["  peak RSS central / ship1 during it", "copy_peak_rss_central_mb|copy_peak_rss_ship1_mb", "MB"],
  [
    "  resumed after kill -9: from ready / from kill",
    "copy_resume_after_ready_s|copy_resume_after_kill_s",
    "s",
  ],
  ["recovery: persisted messages", "recovery_messages", ""],
  ["  restart to ready / to last reply", "recovery_ready_s|recovery_s", "s"],
];

function format(v: number | boolean | string | undefined): string {
  if (typeof v !== "number") return v === undefined ? "–" : String(v);
  if (!Number.isFinite(v)) return "–";
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en-US");
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toPrecision(3);
}

/**
 * Prints the figures that were measured and the targets, met or missed.
 *
 * @example
 * ```ts
 * import { printReport } from "./report.ts";
 * printReport({ raw_rps: 50000 }, [{ target: "x", value: "1", met: true }]);
 * ```
 */
export function printReport(figures: Figures, targets: TargetResult[]): void {
  const lines: string[] = [];
  const width = Math.max(...ROWS.map(([l]) => l.length)) + 2;
  for (const [label, keys, unit] of ROWS) {
    const values = keys.split("|").map((k) => figures[k]);
    if (values.every((v) => v === undefined)) continue;
    lines.push(`${label.padEnd(width)}${values.map(format).join(" / ")} ${unit}`.trimEnd());
  }
  lines.push("", figures.quick ? "(quick run: smaller counts)" : "(full run)", "", "Targets:");
  for (const t of targets) {
    lines.push(`  ${t.met ? "met   " : "MISSED"}  ${t.target}: ${t.value}`);
  }
  console.log(lines.join("\n"));
}
