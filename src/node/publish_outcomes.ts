/**
 * The node's side of publishing: it makes the publisher of each subject, and settles what
 * each message sent came to (counted, audited, reported, answered locally when it failed,
 * and removed from the in-flight store).
 *
 * @module
 */
import type { NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import type { AuditLog } from "../audit.ts";
import type { ReplyListener } from "../input/intake_port.ts";
import type { Message } from "../message/schema.ts";
import { methodNamed } from "../methods/registry.ts";
import type { MethodDefinition } from "../methods/types.ts";
import type { CommandSpool } from "../methods/command_spool.ts";
import type { MessageEvents } from "../log/message_events.ts";
import type { Metrics } from "../metrics.ts";
import type { Security } from "../security/security.ts";
import type { InflightStore } from "../store/inflight_store.ts";
import { errorText } from "./error_text.ts";
import { Publisher, type PublishOutcome } from "./publisher.ts";

/** Messages of a pooled method in flight to one node at once (see `publisher`). */
const POOLED_WINDOW = 64;

/** What {@linkcode PublishOutcomes} sends through and records outcomes in. */
export interface PublishOutcomesDeps {
  /** This node's name: the `toNode` of a failure answered locally. */
  nodeName: string;
  /** The broker connection, once publishers may use it. */
  connection(): Promise<NatsConnection>;
  /** Largest message the broker takes. */
  maxMessageSize: number;
  /** Seals messages and chunks, and verifies ACKs. */
  security: Pick<Security, "seal" | "verifyAck" | "sealChunk">;
  /** Where sends and outcomes are counted. */
  metrics: Pick<
    Metrics,
    "published" | "retried" | "delivered" | "acked" | "ackLatency" | "failed" | "inflight"
  >;
  /** Where each send and outcome is written down. */
  audit: Pick<AuditLog, "record" | "outcome">;
  /** Messages accepted and not yet finished. */
  inflight: Pick<InflightStore, "remove" | "size">;
  /** Told of a request that could not be delivered, as an error reply. */
  replyListeners: ReadonlySet<ReplyListener>;
  /** The reply to a message, with no data yet (see {@linkcode Replier.shell}). */
  shell(m: Message, def: MethodDefinition | undefined): Message;
  /** A new message id. */
  newId(): string;
  /** Persists and queues messages. */
  submit(messages: readonly Message[]): Promise<void>;
  /** Reports an error line (local log and central). */
  reportError(text: string, about?: Message): void;
  /** Writes a local log line. */
  log(line: string): void;
  /** The node's command spool, when its commands are spooled. */
  spool?: Pick<CommandSpool, "remove">;
  /** Told of each publish and outcome (the log's lines per message). */
  events?: Pick<MessageEvents, "published" | "acked">;
}

/**
 * Makes a node's publishers and settles their messages' outcomes.
 *
 * @example
 * ```ts
 * import { PublishOutcomes } from "./publish_outcomes.ts";
 * import { testMessage } from "../../test/message_fixture.ts";
 * const errors: string[] = [];
 * const removed: string[] = [];
 * const outcomes = new PublishOutcomes({
 *   nodeName: "central",
 *   connection: () => new Promise(() => {}),
 *   maxMessageSize: 1024 * 1024,
 *   security: {
 *     seal: () => Promise.resolve(new Uint8Array()),
 *     verifyAck: () => Promise.resolve(undefined),
 *     sealChunk: () => Promise.resolve(""),
 *   },
 *   metrics: {
 *     published: { inc() {} },
 *     retried: { inc() {} },
 *     delivered: { inc() {} },
 *     acked: { inc() {} },
 *     ackLatency: { observe() {} },
 *     failed: { inc() {} },
 *     inflight: { set() {} },
 *   },
 *   audit: { record() {}, outcome() {} },
 *   inflight: { remove: (id) => Promise.resolve(void removed.push(id)), size: 0 },
 *   replyListeners: new Set(),
 *   shell: (m) => m,
 *   newId: () => "r1",
 *   submit: () => Promise.resolve(),
 *   reportError: (text) => void errors.push(text),
 *   log() {},
 * });
 * const m = testMessage({ id: "a" });
 * outcomes.finished(m, { delivered: false, reason: "max-retries", error: "max retries" });
 * console.assert(errors[0] === "max retries" && removed[0] === "a");
 * ```
 */
export class PublishOutcomes {
  #deps: PublishOutcomesDeps;

  /** Outcomes recorded through `deps`. */
  constructor(deps: PublishOutcomesDeps) {
    this.#deps = deps;
  }

  /**
   * The publisher of `subject` for messages of `def`; it calls `abandoned` for each message it
   * gives up unfinished because it was stopped.
   */
  publisher(
    subject: string,
    def: MethodDefinition,
    abandoned: (m: Message) => void,
  ): Publisher {
    const { security, metrics, audit } = this.#deps;
    return new Publisher(subject, def.event, {
      connection: () => this.#deps.connection(),
      // A node runs a few commands at a time (-maxConcurrentMethods): flooding it with a
      // thousand only has it verify and record them all before the first result can leave.
      // A window a few times its pool keeps that pool fed; instant methods keep a wide one.
      // One at a time where only the newest counts: the rest wait, and are superseded.
      window: def.latestOnly ? 1 : def.pooled ? POOLED_WINDOW : 1024,
      latestOnly: def.latestOnly === true,
      maxMessageSize: this.#deps.maxMessageSize,
      encode: (m) => security.seal(m),
      verifyAck: (m, raw) => security.verifyAck(m, raw),
      sealChunk: (fields) => security.sealChunk(fields),
      sent: (m, attempt) => {
        metrics.published.inc({ method: m.method, peer: m.toNode });
        if (attempt > 0) metrics.retried.inc({ method: m.method, peer: m.toNode });
        if (attempt === 0) audit.record("published", subject, m);
        this.#deps.events?.published(m, attempt);
      },
      finished: (m, outcome) => this.finished(m, outcome),
      abandoned,
    });
  }

  /** Records what sending `m` came to, and removes it from the in-flight store. */
  finished(m: Message, outcome: PublishOutcome): void {
    const { metrics, audit, inflight } = this.#deps;
    const labels = { method: m.method, peer: m.toNode };
    const subject = `${m.toNode}.${m.method}`;
    if (outcome.delivered) {
      metrics.delivered.inc(labels);
      if (outcome.acked) {
        metrics.acked.inc(labels);
        metrics.ackLatency.observe({ method: m.method }, outcome.ackMs / 1000);
      }
      // Delivered means sent: its "published" line carries the whole message.
      audit.outcome("delivered", subject, m.id, outcome.duplicate ? "duplicate" : undefined);
      this.#deps.events?.acked(m, outcome.acked ? outcome.ackMs : undefined);
    } else if (outcome.reason === "superseded") {
      audit.outcome("superseded", subject, m.id, `by ${outcome.by}`);
    } else {
      metrics.failed.inc({ ...labels, reason: outcome.reason });
      audit.record(
        outcome.reason === "refused" ? "refused" : "failed",
        subject,
        m,
        outcome.error,
      );
      this.#deps.reportError(outcome.error, m);
      this.#notifyFailure(m, outcome.error);
      if (outcome.reason === "too-large" && m.isReply && m.data !== "") {
        // The result cannot travel: its requester still gets a reply saying why.
        const error = `result not sent: ${outcome.error}`;
        this.#deps.submit([{ ...m, id: this.#deps.newId(), data: "", ok: false, error }]).catch((
          err,
        ) => this.#deps.log(`cannot queue reply to ${m.previousMessage?.id}: ${errorText(err)}`));
      }
    }
    // The last reply of a spooled command is finished (ACKed, or given up): its spool has
    // served. Until then a restart could still need it.
    const request = m.isReply ? m.previousMessage : undefined;
    if (request && methodNamed(request.method)?.spooled && (m.seq === undefined || m.final)) {
      this.#deps.spool?.remove(request.id);
    }
    inflight.remove(m.id).catch((err) =>
      this.#deps.log(`cannot remove finished message ${m.id} from KV: ${errorText(err)}`)
    ).finally(() => metrics.inflight.set(inflight.size));
  }

  /** A request that could not be delivered is answered locally with an error reply. */
  #notifyFailure(m: Message, error: string): void {
    const listeners = this.#deps.replyListeners;
    if (m.isReply || listeners.size === 0) return;
    const reply: Message = {
      ...this.#deps.shell(m, methodNamed(m.method)),
      toNode: this.#deps.nodeName,
      fromNode: m.toNode,
      ok: false,
      error,
    };
    for (const l of listeners) l(reply);
  }
}
