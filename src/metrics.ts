/**
 * Prometheus metrics of one node, in a registry of its own (several nodes can share a process).
 * prom-client is loaded only when the node serves metrics (`-promHostAndPort`): an agent that
 * does not export them counts nothing and does not carry the library (about 8 MB of memory).
 *
 * @module
 */
import type client from "npm:prom-client@15.1.3";

type PromClient = typeof client;
type Labels<L extends string> = Partial<Record<L, string | number>>;

/** A counter as the node uses it. */
export interface CounterLike<L extends string> {
  inc(labels: Labels<L>, value?: number): void;
}

/** A histogram as the node uses it. */
export interface HistogramLike<L extends string> {
  observe(labels: Labels<L>, value: number): void;
}

/** A gauge as the node uses it. */
export interface GaugeLike {
  set(value: number): void;
}

// What a node without metrics updates: nothing.
const NOTHING = { inc() {}, observe() {}, set() {} };

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
  /** Methods waiting for a slot of the executor, and running in one. */
  executor?(): { queued: number; running: number };
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
 * const m = await Metrics.open({ serve: false });
 * m.accepted.inc({ method: "REQPing", peer: "ship1" }); // counts nothing: not served
 * console.log(m.registry); // undefined
 * ```
 */
export class Metrics {
  /** The registry served at `/metrics`; absent when the node does not serve metrics. */
  readonly registry: client.Registry | undefined;
  readonly accepted: CounterLike<"method" | "peer"> = NOTHING;
  readonly published: CounterLike<"method" | "peer"> = NOTHING;
  readonly delivered: CounterLike<"method" | "peer"> = NOTHING;
  readonly acked: CounterLike<"method" | "peer"> = NOTHING;
  readonly retried: CounterLike<"method" | "peer"> = NOTHING;
  readonly failed: CounterLike<"method" | "peer" | "reason"> = NOTHING;
  /** Counted once the sender is verified (admitted): `peer` never takes an unverified name. */
  readonly received: CounterLike<"method" | "peer"> = NOTHING;
  /** Messages refused by subscribers, by a bounded reason (see node/refusal_reports.ts). */
  readonly refused: CounterLike<"reason"> = NOTHING;
  readonly executed: CounterLike<"method" | "peer" | "outcome"> = NOTHING;
  readonly duplicates: CounterLike<"method" | "peer"> = NOTHING;
  readonly rejected: CounterLike<"input"> = NOTHING;
  readonly errors: CounterLike<"kind"> = NOTHING;
  readonly ackLatency: HistogramLike<"method"> = NOTHING;
  readonly endToEndLatency: HistogramLike<"method"> = NOTHING;
  /** Time a method waited in the executor's queue for a slot (0 when one was free). */
  readonly executorQueueWait: HistogramLike<never> = NOTHING;
  /** Bytes of files copied (`REQCopySrc`/`REQCopyDst`), by this node's role in the copy. */
  readonly copyBytes: CounterLike<"role"> = NOTHING;
  /** Copies ended, by role and outcome (`done`, `failed`, `timeout`, `mismatch`). */
  readonly copies: CounterLike<"role" | "outcome"> = NOTHING;
  /** Times a copy went on after an interruption (restart, broker or destination away). */
  readonly copyResumptions: CounterLike<"role"> = NOTHING;
  readonly inflight: GaugeLike = NOTHING;
  readonly ringBufferDepth: GaugeLike = NOTHING;
  #sources: MetricSources | undefined;

  /**
   * Metrics that are served (`serve`, prom-client loaded now) or not counted at all.
   *
   * @example
   * ```ts
   * import { Metrics } from "./metrics.ts";
   * const m = await Metrics.open({ serve: true, defaultMetrics: false });
   * m.accepted.inc({ method: "REQPing", peer: "ship1" });
   * console.log((await m.registry!.metrics()).includes("steward_messages_accepted_total"));
   * ```
   */
  static async open(options: { serve: boolean; defaultMetrics?: boolean }): Promise<Metrics> {
    if (!options.serve) return new Metrics(undefined, options);
    const prom = (await import("npm:prom-client@15.1.3")).default;
    return new Metrics(prom, options);
  }

  private constructor(client: PromClient | undefined, options: { defaultMetrics?: boolean }) {
    if (!client) return;
    this.registry = new client.Registry();
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
    this.acked = counter(
      "steward_messages_acked_total",
      "Messages whose ACK came back from the receiving node, signed by it (ACK subjects only)",
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
    this.received = counter(
      "steward_messages_received_total",
      "Messages received by subscribers and admitted (sender verified)",
      ["method", "peer"],
    );
    this.refused = counter(
      "steward_messages_refused_total",
      "Messages refused by subscribers, by reason (never labelled with the claimed sender)",
      ["reason"],
    );
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
    this.copyBytes = counter("steward_copy_bytes_total", "Bytes of files copied", ["role"]);
    this.copies = counter("steward_copies_total", "Copies ended, by outcome", ["role", "outcome"]);
    this.copyResumptions = counter(
      "steward_copy_resumptions_total",
      "Copies that went on after an interruption",
      ["role"],
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
    this.executorQueueWait = new client.Histogram({
      name: "steward_executor_queue_wait_seconds",
      help: "Time a command waited in the executor's queue for a slot (-maxConcurrentMethods)",
      buckets: [0, ...LATENCY_BUCKETS, 60, 300],
      registers,
    });
    // prom-client calls `collect` right before each scrape; `sources` is read then.
    const sources = () => this.#sources;
    new client.Gauge({
      name: "steward_executor_queued",
      help: "Commands waiting in the executor's queue for a slot",
      registers,
      collect() {
        const e = sources()?.executor?.();
        if (e) this.set(e.queued);
      },
    });
    new client.Gauge({
      name: "steward_executor_running",
      help: "Commands running in the executor (at most -maxConcurrentMethods)",
      registers,
      collect() {
        const e = sources()?.executor?.();
        if (e) this.set(e.running);
      },
    });
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
    new client.Gauge({
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
    new client.Gauge({
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
      // Gauges named like counters fail `promtool check metrics`; the gauges of the same name
      // without `_total` hold the same counts by type (sum them for the total).
      for (const kind of ["resources", "handles", "requests"]) {
        this.registry.removeSingleMetric(`steward_nodejs_active_${kind}_total`);
      }
    }
  }

  /**
   * Tells the gauges where to read processes, inflight, ring-buffer depth and hello times at
   * scrape time; until then they keep whatever was set on them.
   *
   * @example
   * ```ts
   * import { Metrics } from "./metrics.ts";
   * const m = await Metrics.open({ serve: true, defaultMetrics: false });
   * m.readFrom({
   *   processes: () => [{ kind: "subscriber" }],
   *   inflight: () => 3,
   *   ringBufferDepth: () => 0,
   *   helloSeen: () => Promise.resolve({ ship1: Date.now() }),
   * });
   * console.log((await m.registry!.metrics()).includes("steward_inflight_messages 3"));
   * ```
   */
  readFrom(sources: MetricSources): void {
    this.#sources = sources;
  }
}
