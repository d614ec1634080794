/**
 * The playbook client: sends requests to the local agent and awaits or streams their results.
 *
 * @module
 */
import { CLIENT_PROTOCOL_VERSION, type ClientLine, isLastReply } from "../input/client_protocol.ts";
import { RejectedError, RolloutStoppedError, StreamError } from "./errors.ts";
import { FanOutProgress, type ProgressWriter } from "./fan_out_progress.ts";
import { Request, type SeedMessage } from "./request.ts";
import { type NodeOutcome, rollOut, type RollOutEnd } from "./roll_out.ts";
import { hasRollout, planRollout, type RolloutOptions } from "./rollout.ts";
import { type Endpoint, endpointFrom, exchange } from "./transport.ts";

/**
 * When things happened for one result, on the playbook's clock (epoch milliseconds).
 *
 * @example
 * ```ts
 * import type { Timings } from "../../mod.ts";
 * const slow = (t: Timings) => t.ms > 5_000;
 * ```
 */
export interface Timings {
  /** The request was sent to the agent. */
  readonly startedAt: number;
  /** The agent accepted it. */
  readonly acceptedAt: number;
  /** The last reply (or the failure) arrived. */
  readonly finishedAt: number;
  /** `finishedAt - startedAt`. */
  readonly ms: number;
}

/**
 * The result of a request on one node.
 *
 * @example
 * ```ts
 * import type { RunResult } from "../../mod.ts";
 * const summary = (r: RunResult) => `${r.node}: ${r.ok ? r.output.trim() : `ERROR ${r.error}`}`;
 * ```
 */
export interface RunResult {
  /** The node that answered. */
  readonly node: string;
  /** Id of the message the agent sent to that node. */
  readonly id: string;
  /** True when the method succeeded. */
  readonly ok: boolean;
  /** The method's output; for a streaming method, every line it sent. */
  readonly output: string;
  /** Why it failed, when `ok` is false. */
  readonly error?: string;
  /** When it was sent, accepted and answered. */
  readonly timings: Timings;
  /** True for a node a fan-out with rate controls never started, as it stopped early. */
  readonly notStarted?: true;
}

/**
 * One line of a streaming method's output.
 *
 * @example
 * ```ts
 * import type { StreamLine } from "../../mod.ts";
 * const show = ({ node, line }: StreamLine) => `${node}: ${line}`;
 * ```
 */
export interface StreamLine {
  /** The node the line came from. */
  readonly node: string;
  /** Id of the message the agent sent to that node. */
  readonly id: string;
  /** The line, without its newline. */
  readonly line: string;
}

/**
 * Options of {@linkcode Client.run} and {@linkcode Client.stream}: how long to wait, and for a
 * fan-out its rate controls ({@linkcode RolloutOptions}) and where its progress goes.
 *
 * @example
 * ```ts
 * import type { CallOptions } from "../../mod.ts";
 * const options: CallOptions = { timeoutMs: 30_000, signal: AbortSignal.timeout(60_000) };
 * const rolling: CallOptions = { canary: 10, maxConcurrency: "10%", maxErrors: 5, pauseMs: 5000 };
 * ```
 */
export interface CallOptions extends RolloutOptions {
  /** Longest wait for the results (default: what the message's own timeouts allow). */
  timeoutMs?: number;
  /** Stops waiting; the requests already sent still run on the nodes. */
  signal?: AbortSignal;
  /**
   * Where a fan-out (a request to more than one node) writes its progress: a live line when it
   * is a terminal, and always a summary at the end. Default `Deno.stderr`.
   */
  progress?: ProgressWriter;
}

/**
 * A message to send: a builder's request or a message in the seed's JSON format.
 *
 * @example
 * ```ts
 * import { type Sendable, to } from "../../mod.ts";
 * const messages: Sendable[] = [to("ship1").ping(), { toNode: "ship2", method: "REQPing" }];
 * ```
 */
export type Sendable = Request | SeedMessage;

interface Pending {
  node: string;
  id: string;
  parts: string[];
  acceptedAt: number;
  finishedAt?: number;
  ok?: boolean;
  error?: string;
}

/**
 * A builder's request, recognised by shape: a playbook that imports `mod.ts` from a URL has
 * its own copy of the classes, so `instanceof` would miss its requests.
 */
function isRequest(message: Sendable): message is Request {
  return message instanceof Request ||
    (typeof (message as { toJSON?: unknown }).toJSON === "function" &&
      typeof (message as { streaming?: unknown }).streaming === "boolean");
}

function seedOf(message: Sendable): SeedMessage {
  // Raw seed messages are checked with the same schema the builders use.
  return withKey(isRequest(message) ? message.toJSON() : new Request(message, false).toJSON());
}

/** `seed` with an idempotency key: its own, or a new one (see {@linkcode Client.send}). */
function withKey(seed: SeedMessage): SeedMessage {
  return seed.idempotencyKey ? seed : { ...seed, idempotencyKey: crypto.randomUUID() };
}

/** Each part of a streamed output as a line, as `REQToFileAppend` would store it. */
function asLines(data: string): string[] {
  if (data === "") return [];
  const lines = data.split("\n");
  if (data.endsWith("\n")) lines.pop();
  return lines;
}

/** Why a fan-out's summary came before its end. */
const INTERRUPTED = "the call ended before every node's result arrived";

/** The failed results, as a summary lists them. */
function failuresOf(results: readonly RunResult[]): { node: string; error: string }[] {
  return results.filter((r) => !r.ok).map((r) => ({ node: r.node, error: r.error ?? "failed" }));
}

/** The nodes `seed` goes to. */
function targetsOf(seed: SeedMessage): string[] {
  return seed.toNodes ?? (seed.toNode ? [seed.toNode] : []);
}

/** `seed` for `node` alone, with an idempotency key of its own derived from the fan-out's. */
function forNode(seed: SeedMessage, node: string, streaming: boolean): Request {
  const { toNodes: _, ...fields } = seed;
  const key = `${(seed.idempotencyKey ?? "").slice(0, 127 - node.length)}/${node}`;
  return new Request({ ...fields, toNode: node, idempotencyKey: key }, streaming);
}

/** The result of a node a rolling run did not get a result from. */
function missingResult(
  node: string,
  startedAt: number,
  end: RollOutEnd,
  outcome: NodeOutcome | undefined,
): RunResult {
  const timings = { startedAt, acceptedAt: startedAt, finishedAt: startedAt, ms: 0 };
  if (outcome) return { node, id: "", ok: false, output: "", error: outcome.error, timings };
  if (end.notStarted.includes(node)) {
    const error = `never started: the run stopped early (${end.stopReason})`;
    return { node, id: "", ok: false, output: "", error, timings, notStarted: true };
  }
  return { node, id: "", ok: false, output: "", error: "no result: stopped waiting", timings };
}

/** Only the options of a single node's call within a rolling run. */
function waitOptions(options: CallOptions, signal: AbortSignal): CallOptions {
  return { ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}), signal };
}

/**
 * A connection to the local agent. Each call is its own exchange with the agent, so calls may
 * run concurrently; {@linkcode Client.close} stops them all.
 *
 * @example
 * ```ts ignore
 * import { connect, to } from "../../mod.ts";
 * const steward = await connect({ socket: "./tmp/steward.sock" });
 * const [ship1] = await steward.run(to("ship1").cli("uptime"));
 * console.log(ship1.ok ? ship1.output : ship1.error);
 * steward.close();
 * ```
 */
export class Client {
  /** Where the agent listens. */
  readonly endpoint: Endpoint;
  readonly #closed = new AbortController();

  /** Makes a client for `endpoint`; playbooks use {@linkcode connect}. */
  constructor(endpoint: Endpoint) {
    this.endpoint = endpoint;
  }

  async *#lines(
    messages: SeedMessage[],
    wait: boolean,
    options: CallOptions,
  ): AsyncGenerator<ClientLine> {
    if (this.#closed.signal.aborted) throw new Error("This Steward client is closed");
    const signals = [this.#closed.signal, ...(options.signal ? [options.signal] : [])];
    const envelope = {
      stewardClient: CLIENT_PROTOCOL_VERSION,
      await: wait,
      ...(options.timeoutMs ? { timeout: Math.max(1, Math.ceil(options.timeoutMs / 1000)) } : {}),
      messages,
    };
    yield* exchange(this.endpoint, envelope, AbortSignal.any(signals));
  }

  /**
   * Sends messages without waiting for their results; resolves with the ids the agent gave
   * them (one per target node) once they are stored.
   *
   * @throws {RejectedError} with the agent's reasons when it refused any message.
   * @throws {InvalidMessageError} when a seed message is not valid.
   * @example
   * ```ts ignore
   * import { connect, to, toFile } from "../../mod.ts";
   * const steward = await connect({ socket: "./tmp/steward.sock" });
   * const ids = await steward.send(to("ship1").cli("tree").reply(toFile("out")));
   * ```
   */
  async send(...messages: Sendable[]): Promise<string[]> {
    const seeds = messages.map(seedOf);
    // Nothing to send sends nothing: the agent would answer that the input held no message.
    if (seeds.length === 0) return [];
    // A connection lost before the agent's last answer is tried once more: each message
    // carries its idempotency key, so one the agent had stored is answered, not stored again.
    for (let attempt = 0;; attempt++) {
      const ids: string[] = [];
      const reasons: string[] = [];
      let done = false;
      try {
        for await (const line of this.#lines(seeds, false, {})) {
          if (line.status === "accepted") ids.push(line.id);
          else if (line.status === "rejected") {
            reasons.push(line.index === undefined ? line.error : `[${line.index}] ${line.error}`);
          } else if (line.status === "done") {
            done = true;
            break;
          }
        }
      } catch (err) {
        if (attempt > 0 || this.#closed.signal.aborted) throw err;
        continue;
      }
      if (!done && attempt === 0 && !this.#closed.signal.aborted) continue;
      if (reasons.length > 0) throw new RejectedError(reasons, ids);
      return ids;
    }
  }

  /**
   * Sends one message and waits for its result on every target node: one
   * {@linkcode RunResult} per node, in the order of the targets. A node that cannot be
   * reached, or does not answer in time, gives a result with `ok: false`.
   *
   * A fan-out (more than one target) writes its progress to `options.progress` (stderr): a live
   * `done / failed / running of N` line on a terminal, and a summary at the end. With rate
   * controls ({@linkcode RolloutOptions}) the client sends the message to one node at a time as
   * the controls allow; when it stops early (`maxErrors` reached, a canary failed), the nodes it
   * never started have results with `notStarted: true`.
   *
   * @throws {RejectedError} when the agent refused the message (without rate controls).
   * @throws {InvalidMessageError} when a rate control is not a valid value.
   * @example
   * ```ts ignore
   * import { connect, toNodes } from "../../mod.ts";
   * const steward = await connect();
   * const fleet = toNodes(["ship1", "ship2", "ship3"]).cli("apt-get -y upgrade");
   * const results = await steward.run(fleet, { canary: 1, maxConcurrency: "50%", maxErrors: 1 });
   * for (const r of results) console.log(r.node, r.ok ? "ok" : r.error);
   * ```
   */
  async run(message: Sendable, options: CallOptions = {}): Promise<RunResult[]> {
    const seed = seedOf(message);
    const streaming = isRequest(message) && message.streaming;
    if (hasRollout(options)) return await this.#rollingRun(seed, streaming, options);
    const nodes = targetsOf(seed);
    const progress = nodes.length > 1
      ? new FanOutProgress(nodes.length, options.progress)
      : undefined;
    const startedAt = Date.now();
    const pending = new Map<string, Pending>();
    const reasons: string[] = [];
    let timedOut = false;
    let completed = false;
    try {
      for await (const line of this.#lines([seed], true, options)) {
        const now = Date.now();
        if (line.status === "accepted") {
          pending.set(line.id, { node: line.toNode, id: line.id, parts: [], acceptedAt: now });
          progress?.started();
        } else if (line.status === "rejected") reasons.push(line.error);
        else if (line.status === "reply") {
          const p = pending.get(line.id);
          if (!p) continue;
          p.parts.push(line.data);
          if (isLastReply(line)) {
            p.ok = line.ok;
            p.error = line.error;
            p.finishedAt = now;
            progress?.finished(line.ok);
          }
        } else if (line.status === "timeout") {
          timedOut = true;
          break;
        } else if (line.status === "done") break;
      }
      completed = true;
    } finally {
      // Thrown out of the loop (connection lost, aborted): the summary still prints.
      if (!completed) progress?.end({ failed: [], notStarted: [], stopReason: INTERRUPTED });
    }
    if (reasons.length > 0) {
      progress?.end({ failed: reasons.map((error) => ({ node: "agent", error })), notStarted: [] });
      throw new RejectedError(reasons, [...pending.keys()]);
    }
    const results = [...pending.values()].map((p): RunResult => {
      const finishedAt = p.finishedAt ?? Date.now();
      const missing = timedOut
        ? `no result from ${p.node} within the time allowed`
        : `the connection to the agent closed before ${p.node}'s result arrived`;
      return {
        node: p.node,
        id: p.id,
        ok: p.ok ?? false,
        output: streaming
          ? p.parts.flatMap(asLines).map((l) => l + "\n").join("")
          : p.parts.join(""),
        ...(p.ok === undefined ? { error: missing } : p.error ? { error: p.error } : {}),
        timings: { startedAt, acceptedAt: p.acceptedAt, finishedAt, ms: finishedAt - startedAt },
      };
    });
    progress?.end({ failed: failuresOf(results), notStarted: [] });
    return results;
  }

  async #rollingRun(
    seed: SeedMessage,
    streaming: boolean,
    options: CallOptions,
  ): Promise<RunResult[]> {
    const nodes = targetsOf(seed);
    const plan = planRollout(options, nodes.length);
    const startedAt = Date.now();
    const progress = new FanOutProgress(nodes.length, options.progress);
    const signal = options.signal ?? new AbortController().signal;
    const results = new Map<string, RunResult>();
    const run = rollOut<never>(nodes, plan, {
      progress,
      signal,
      runNode: async (node) => {
        const [r] = await this.run(forNode(seed, node, streaming), waitOptions(options, signal));
        if (!r) return { ok: false, error: `the agent accepted no message for ${node}` };
        results.set(node, r);
        return { ok: r.ok, ...(r.error ? { error: r.error } : {}) };
      },
    });
    let step = await run.next();
    while (!step.done) step = await run.next();
    const end = step.value;
    const all = nodes.map((n) =>
      results.get(n) ?? missingResult(n, startedAt, end, end.outcomes.get(n))
    );
    progress.end({
      failed: failuresOf(all.filter((r) => !r.notStarted)),
      notStarted: end.notStarted,
      ...(end.stopReason ? { stopReason: end.stopReason } : {}),
    });
    return all;
  }

  /**
   * Sends a streaming request (`cliCont`, `tail`) and yields its output line by line as the
   * lines arrive, from every target node. Ends when every node's stream ended; breaking out
   * of the loop stops waiting (the method runs on the node until its `.for()` time is over).
   * Progress and rate controls work as for {@linkcode Client.run}.
   *
   * @throws {RejectedError} when the agent refused the message.
   * @throws {StreamError} after the last line, when the stream failed on a node.
   * @throws {RolloutStoppedError} after the last line, when rate controls stopped the fan-out
   * early: it names the failed nodes and those never started.
   * @example
   * ```ts ignore
   * import { connect, to } from "../../mod.ts";
   * const steward = await connect();
   * for await (const { node, line } of steward.stream(to("ship1").tail("/var/log/syslog").for(60))) {
   *   console.log(`${node}: ${line}`);
   * }
   * ```
   */
  async *stream(message: Request<true>, options: CallOptions = {}): AsyncGenerator<StreamLine> {
    const seed = seedOf(message);
    if (hasRollout(options)) {
      yield* this.#rollingStream(seed, options);
      return;
    }
    const targets = targetsOf(seed);
    const progress = targets.length > 1
      ? new FanOutProgress(targets.length, options.progress)
      : undefined;
    const nodes = new Map<string, string>();
    const failures: { node: string; error: string }[] = [];
    const reasons: string[] = [];
    let completed = false;
    try {
      for await (const line of this.#lines([seed], true, options)) {
        if (line.status === "accepted") {
          nodes.set(line.id, line.toNode);
          progress?.started();
        } else if (line.status === "rejected") reasons.push(line.error);
        else if (line.status === "reply") {
          if (reasons.length > 0) continue;
          for (const text of asLines(line.data)) yield { node: line.node, id: line.id, line: text };
          if (isLastReply(line)) progress?.finished(line.ok);
          if (isLastReply(line) && !line.ok) {
            failures.push({ node: line.node, error: line.error ?? "failed" });
          }
        } else if (line.status === "timeout") {
          for (const id of line.pending) {
            failures.push({ node: nodes.get(id) ?? id, error: "the stream did not end in time" });
            progress?.finished(false);
          }
          break;
        } else if (line.status === "done") break;
      }
      completed = true;
    } finally {
      // The caller stopped reading, or the connection was lost: the summary still prints.
      if (!completed) progress?.end({ failed: [], notStarted: [], stopReason: INTERRUPTED });
    }
    progress?.end({
      failed: [...failures, ...reasons.map((error) => ({ node: "agent", error }))],
      notStarted: [],
    });
    if (reasons.length > 0) throw new RejectedError(reasons, [...nodes.keys()]);
    if (failures.length > 0) throw new StreamError(failures);
  }

  async *#rollingStream(seed: SeedMessage, options: CallOptions): AsyncGenerator<StreamLine> {
    const nodes = targetsOf(seed);
    const plan = planRollout(options, nodes.length);
    const progress = new FanOutProgress(nodes.length, options.progress);
    // Breaking out of the loop stops the nodes' streams too.
    const left = new AbortController();
    const signal = AbortSignal.any([left.signal, ...(options.signal ? [options.signal] : [])]);
    const run = rollOut<StreamLine>(nodes, plan, {
      progress,
      signal,
      runNode: async (node, emit) => {
        try {
          for await (
            const l of this.stream(
              forNode(seed, node, true) as Request<true>,
              waitOptions(options, signal),
            )
          ) emit(l);
          return { ok: true };
        } catch (err) {
          if (err instanceof StreamError) return { ok: false, error: err.failures[0]?.error };
          throw err;
        }
      },
    });
    try {
      let step = await run.next();
      while (!step.done) {
        yield step.value;
        step = await run.next();
      }
      const end = step.value;
      const failures = [...end.outcomes].filter(([, o]) => !o.ok).map(([node, o]) => ({
        node,
        error: o.error ?? "failed",
      }));
      progress.end({
        failed: failures,
        notStarted: end.notStarted,
        ...(end.stopReason ? { stopReason: end.stopReason } : {}),
      });
      if (end.stopReason) throw new RolloutStoppedError(end.stopReason, failures, end.notStarted);
      if (failures.length > 0) throw new StreamError(failures);
    } finally {
      left.abort();
      progress.end({ failed: [], notStarted: [], stopReason: INTERRUPTED });
    }
  }

  /** Stops every call in progress; later calls throw. */
  close(): void {
    this.#closed.abort();
  }
}

/**
 * Connects a playbook to its local agent. With no endpoint, it uses `--socket=`/`--tcp=`/
 * `--http=` from the command line, or `STEWARD_SOCKET`/`STEWARD_TCP`/`STEWARD_HTTP`, or
 * `./tmp/steward.sock`. TCP and HTTP need the agent's listener token (its
 * `<CONFIG_FOLDER>/listener_token`): `token` or `tokenFile` in the endpoint, `--tokenFile=`,
 * or `STEWARD_TOKEN` / `STEWARD_TOKEN_FILE`; each call throws without one.
 *
 * @throws {Error} when the agent's socket does not exist.
 * @example
 * ```ts ignore
 * import { connect } from "../../mod.ts";
 * const steward = await connect({ socket: "./tmp/steward.sock" });
 * const http = await connect({ http: "127.0.0.1:8090", tokenFile: "./etc/listener_token" });
 * ```
 */
export async function connect(endpoint?: Endpoint): Promise<Client> {
  const where = endpoint ?? endpointFrom(Deno.args);
  if ("socket" in where) {
    try {
      await Deno.stat(where.socket);
    } catch (err) {
      throw new Error(
        `Cannot use the Steward socket ${where.socket}: ${(err as Error).message} ` +
          `(is the agent running? give another path with --socket= or STEWARD_SOCKET)`,
      );
    }
  }
  return new Client(where);
}
