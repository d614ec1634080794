/**
 * The outbox: where every message a node sends starts. It stamps input messages, persists
 * them (so a restart sends them again) and queues them on the ring buffer, from which they
 * are taken in the order accepted.
 *
 * @module
 */
import type { Config } from "../config.ts";
import { createIdGenerator } from "../message/id.ts";
import type { InputMessage, Message } from "../message/schema.ts";
import type { Metrics } from "../metrics.ts";
import type { InflightStore } from "../store/inflight_store.ts";
import type { KvWrite } from "../store/kv_batcher.ts";
import type { ReplyChains } from "./reply_chains.ts";
import { RingBuffer } from "./ring_buffer.ts";
import { errorText } from "./error_text.ts";

/** What an {@linkcode Outbox} stamps with, stores in and counts on. */
export interface OutboxDeps {
  /** The sender's name and the defaults of what an input message leaves out. */
  config: Pick<
    Config,
    | "nodeName"
    | "ringBufferSize"
    | "defaultMessageTimeout"
    | "defaultMessageRetries"
    | "defaultMethodTimeout"
  >;
  /** Where accepted messages are kept until they are finished. */
  inflight: Pick<InflightStore, "put" | "size">;
  /** Remembers requests whose reply runs a command here, before they are sent. */
  chains: Pick<ReplyChains, "remember">;
  /** Counts accepted messages and shows how many are inflight and queued. */
  metrics: Pick<Metrics, "accepted" | "inflight" | "ringBufferDepth">;
  /** Makes message ids (default: time-ordered unique ids). */
  nextId?: () => string;
}

/** Thrown by {@linkcode Outbox.submit} once the outbox is closed (its node is stopping). */
export class OutboxClosedError extends Error {
  /** An error saying that `nodeName` is stopping. */
  constructor(nodeName: string) {
    super(`node ${nodeName} is stopping`);
    this.name = "OutboxClosedError";
  }
}

/**
 * Stamps, persists and queues the messages a node sends.
 *
 * @example
 * ```ts
 * import { Outbox } from "./outbox.ts";
 * import { defaultConfig } from "../config.ts";
 * const nothing = { inc() {}, set() {} };
 * const outbox = new Outbox({
 *   config: defaultConfig({ nodeName: "central" }),
 *   inflight: { put: () => Promise.resolve(), size: 0 },
 *   chains: { remember: () => Promise.resolve() },
 *   metrics: { accepted: nothing, inflight: nothing, ringBufferDepth: nothing },
 * });
 * const messages = outbox.stamp({
 *   toNodes: ["ship1", "ship2"],
 *   method: "REQPing",
 *   methodArgs: [],
 *   replyMethodArgs: [],
 *   directory: "",
 *   fileName: "",
 *   data: "",
 * });
 * await outbox.submit(messages);
 * (await outbox.next()).toNode; // "ship1"
 * ```
 */
export class Outbox {
  #deps: OutboxDeps;
  #ring: RingBuffer<Message>;
  #nextId: () => string;
  #closed = false;

  /** An empty outbox over `deps`. */
  constructor(deps: OutboxDeps) {
    this.#deps = deps;
    this.#ring = new RingBuffer(deps.config.ringBufferSize);
    this.#nextId = deps.nextId ?? createIdGenerator();
  }

  /** Messages queued and not yet taken. */
  get length(): number {
    return this.#ring.length;
  }

  /** A new message id, later than every one made before by this outbox. */
  newId(): string {
    return this.#nextId();
  }

  /**
   * Turns one input message into stamped messages, one per target node, with the configured
   * defaults for the timeouts and retries it leaves out.
   */
  stamp(input: InputMessage): Message[] {
    const nodes = [...new Set([...(input.toNodes ?? []), ...(input.toNode ? [input.toNode] : [])])];
    const c = this.#deps.config;
    // The key stays at intake (see IdempotencyKeys): it is not part of what is sent.
    const { toNodes: _ignored, idempotencyKey: _key, ...rest } = input;
    return nodes.map((toNode) => ({
      ...rest,
      toNode,
      id: this.#nextId(),
      fromNode: c.nodeName,
      ACKTimeout: input.ACKTimeout || c.defaultMessageTimeout,
      retries: input.retries ?? c.defaultMessageRetries,
      replyACKTimeout: input.replyACKTimeout || c.defaultMessageTimeout,
      replyRetries: input.replyRetries ?? c.defaultMessageRetries,
      methodTimeout: input.methodTimeout || c.defaultMethodTimeout,
      replyMethodTimeout: input.replyMethodTimeout || c.defaultMethodTimeout,
      createdAt: Date.now(),
      isReply: false,
    }));
  }

  /**
   * Persists `messages` (in one commit with `alongWith`) and queues them on the ring buffer
   * (waiting while it is full). Resolves once they are durable and queued: only then is a
   * sender told "accepted".
   *
   * With `sendEarly` they are queued while their commit is in flight, so the disk's `fsync`
   * overlaps the trip to the receiver instead of preceding it. Nothing is promised before the
   * commit: a message whose commit fails is answered "not stored" (it may still reach its node
   * once, and is not kept for a restart), and one lost in a crash before its commit was never
   * accepted. Requests whose reply runs a command here are remembered before anything is sent.
   *
   * @throws {OutboxClosedError} once {@linkcode close} was called.
   */
  async submit(
    messages: readonly Message[],
    alongWith: readonly KvWrite[] = [],
    options: { sendEarly?: boolean } = {},
  ): Promise<void> {
    if (this.#closed) throw new OutboxClosedError(this.#deps.config.nodeName);
    // Queued in the order submitted, whatever order their commits end in: an input taken in
    // slices, or two inputs at once, keep their order on the ring.
    const turn = this.#queueTurn;
    const mine = Promise.withResolvers<void>();
    this.#queueTurn = mine.promise;
    try {
      await this.#deps.chains.remember(messages);
      const durable = this.#deps.inflight.put(messages, alongWith);
      if (options.sendEarly) {
        durable.catch(() => {}); // Awaited below, once the messages are queued.
        await turn;
        await this.#queue(messages);
        mine.resolve();
        try {
          await durable;
        } catch (err) {
          throw new Error(
            `${errorText(err)} (it may still reach its node once, but is not kept for a restart)`,
          );
        }
        this.#accepted(messages);
        return;
      }
      await durable;
      this.#accepted(messages);
      await turn;
      await this.#queue(messages);
    } finally {
      mine.resolve();
    }
  }

  /**
   * Queues a message again that is stored already: one recovered at start, or one whose
   * publisher stopped before it was sent.
   */
  requeue(m: Message): Promise<void> {
    return this.#ring.push(m);
  }

  /**
   * Takes the oldest queued message, waiting for one.
   *
   * @throws {DOMException} (AbortError) when `signal` is aborted while waiting.
   */
  async next(signal?: AbortSignal): Promise<Message> {
    const m = await this.#ring.pop(signal);
    this.#deps.metrics.ringBufferDepth.set(this.#ring.length);
    return m;
  }

  /** Refuses every later {@linkcode submit}; what is queued stays queued. */
  close(): void {
    this.#closed = true;
  }

  /** Resolves when the last submit so far has queued its messages (see {@linkcode submit}). */
  #queueTurn: Promise<void> = Promise.resolve();

  async #queue(messages: readonly Message[]): Promise<void> {
    for (const m of messages) await this.#ring.push(m);
    this.#deps.metrics.ringBufferDepth.set(this.#ring.length);
  }

  #accepted(messages: readonly Message[]): void {
    this.#deps.metrics.inflight.set(this.#deps.inflight.size);
    for (const m of messages) {
      if (!m.isReply) this.#deps.metrics.accepted.inc({ method: m.method, peer: m.toNode });
    }
  }
}
