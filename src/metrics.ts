/**
 * Prometheus metrics of one node, in a registry of its own (several nodes can share a process).
 *
 * @module
 */
import client from "npm:prom-client@15.1.3";

/** Where the gauges read their values at scrape time, so the hot path never updates them. */
export interface MetricSources {
  /** Running supervised processes (only their kind is counted). */
  processes(): Iterable<{ kind: string }>;
  /** Messages accepted and not yet finished. */
  inflight(): number;
  /** Messages waiting in the ring buffer. */
  ringBufferDepth(): number;
  /** When each node last said hello, in ms since the epoch (central's registry). */
  helloSeen(): Promise<Record<string, number>>;
}

// Listed so that a kind with no running process is exported as 0 rather than missing.
const PROCESS_KINDS = ["publisher", "subscriber", "listener", "method", "ticker"];

const LATENCY_BUCKETS = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
];

/**
 * The metrics a node exports on `--promHostAndPort` at `/metrics`.
 *
 * @example
 * ```ts
 * import { Metrics } from "./metrics.ts";
 * const m = new Metrics({ defaultMetrics: false });
 * m.accepted.inc({ method: "REQPing", peer: "ship1" });
 * console.log((await m.registry.metrics()).includes("steward_messages_accepted_total"));
 * ```
 */
export class Metrics {
  readonly registry: client.Registry = new client.Registry();
  readonly accepted: client.Counter<"method" | "peer">;
  readonly published: client.Counter<"method" | "peer">;
  readonly delivered: client.Counter<"method" | "peer">;
  readonly retried: client.Counter<"method" | "peer">;
  readonly failed: client.Counter<"method" | "peer" | "reason">;
  readonly received: client.Counter<"method" | "peer">;
  readonly executed: client.Counter<"method" | "peer" | "outcome">;
  readonly duplicates: client.Counter<"method" | "peer">;
  readonly rejected: client.Counter<"input">;
  readonly errors: client.Counter<"kind">;
  readonly ackLatency: client.Histogram<"method">;
  readonly endToEndLatency: client.Histogram<"method">;
  readonly inflight: client.Gauge;
  readonly ringBufferDepth: client.Gauge;
  readonly processes: client.Gauge<"kind">;
  readonly helloAge: client.Gauge<"node">;
  #sources: MetricSources | undefined;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new client.Counter<L>({ name, help, labelNames, registers });
    this.accepted = counter(
      "steward_messages_accepted_total",
      "Messages accepted from inputs and stored",
      ["method", "peer"],
    );
    this.published = counter(
      "steward_messages_published_total",
      "Messages published to the broker, resends included",
      ["method", "peer"],
    );
    this.delivered = counter(
      "steward_messages_delivered_total",
      "Messages ACKed by (or published to, for NACK) the receiving node",
      ["method", "peer"],
    );
    this.retried = counter("steward_messages_retried_total", "Resends after an ACK timeout", [
      "method",
      "peer",
    ]);
    this.failed = counter("steward_messages_failed_total", "Messages given up on", [
      "method",
      "peer",
      "reason",
    ]);
    this.received = counter("steward_messages_received_total", "Messages received by subscribers", [
      "method",
      "peer",
    ]);
    this.executed = counter("steward_messages_executed_total", "Methods executed on this node", [
      "method",
      "peer",
      "outcome",
    ]);
    this.duplicates = counter(
      "steward_messages_duplicate_total",
      "Resent messages recognised and not executed again",
      ["method", "peer"],
    );
    this.rejected = counter("steward_input_rejected_total", "Input messages rejected", ["input"]);
    this.errors = counter(
      "steward_errors_total",
      "Errors reported to the central error log, by kind",
      ["kind"],
    );
    this.ackLatency = new client.Histogram({
      name: "steward_ack_latency_seconds",
      help: "Time from first publish to ACK",
      labelNames: ["method"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.endToEndLatency = new client.Histogram({
      name: "steward_end_to_end_latency_seconds",
      help: "Time from acceptance of a request to the handling of its reply on this node",
      labelNames: ["method"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    // prom-client calls `collect` right before each scrape; `sources` is read then.
    const sources = () => this.#sources;
    this.inflight = new client.Gauge({
      name: "steward_inflight_messages",
      help: "Messages accepted and kept in KV until finished",
      registers,
      collect() {
        const s = sources();
        if (s) this.set(s.inflight());
      },
    });
    this.ringBufferDepth = new client.Gauge({
      name: "steward_ring_buffer_depth",
      help: "Messages waiting in the ring buffer",
      registers,
      collect() {
        const s = sources();
        if (s) this.set(s.ringBufferDepth());
      },
    });
    this.processes = new client.Gauge({
      name: "steward_processes",
      help: "Supervised processes by kind",
      labelNames: ["kind"],
      registers,
      collect() {
        const s = sources();
        if (!s) return;
        const counts = new Map(PROCESS_KINDS.map((k) => [k, 0]));
        for (const p of s.processes()) counts.set(p.kind, (counts.get(p.kind) ?? 0) + 1);
        for (const [kind, n] of counts) this.set({ kind }, n);
      },
    });
    this.helloAge = new client.Gauge({
      name: "steward_hello_age_seconds",
      help: "Seconds since each node's last hello (central)",
      labelNames: ["node"],
      registers,
      async collect() {
        const s = sources();
        if (!s) return;
        const now = Date.now();
        this.reset();
        for (const [node, at] of Object.entries(await s.helloSeen())) {
          this.set({ node }, Math.max(0, now - at) / 1000);
        }
      },
    });
    if (options.defaultMetrics !== false) {
      client.collectDefaultMetrics({ register: this.registry, prefix: "steward_" });
    }
  }

  /**
   * Tells the gauges where to read processes, inflight, ring-buffer depth and hello times at
   * scrape time; until then they keep whatever was set on them.
   *
   * @example
   * ```ts
   * import { Metrics } from "./metrics.ts";
   * const m = new Metrics({ defaultMetrics: false });
   * m.readFrom({
   *   processes: () => [{ kind: "subscriber" }],
   *   inflight: () => 3,
   *   ringBufferDepth: () => 0,
   *   helloSeen: () => Promise.resolve({ ship1: Date.now() }),
   * });
   * console.log((await m.registry.metrics()).includes("steward_inflight_messages 3"));
   * ```
   */
  readFrom(sources: MetricSources): void {
    this.#sources = sources;
  }
}
