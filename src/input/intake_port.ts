/**
 * What the inputs (socket, TCP, HTTP, client sessions) need of the node they feed, so that
 * they depend on this interface and not on `Node`: the node imports the inputs, never the
 * other way round.
 *
 * @module
 */
import type { Config } from "../config.ts";
import type { MessageEvents } from "../log/message_events.ts";
import type { InputMessage, Message } from "../message/schema.ts";
import type { Metrics } from "../metrics.ts";
import type { Supervisor } from "../node/supervisor.ts";
import type { KvWrite } from "../store/kv_batcher.ts";
import type { IdempotencyKeys } from "../store/idempotency_keys.ts";

/** A reply handled on this node, as seen by local waiters (the playbook client). */
export type ReplyListener = (reply: Message) => void;

/**
 * The node as its inputs see it: its configuration, where to count and report refusals, how to
 * stamp and store accepted messages, and how to hear the replies to them.
 *
 * @example
 * ```ts
 * import type { IntakePort } from "./intake_port.ts";
 * // An input takes any node-like value; this one only counts.
 * function countRejected(node: Pick<IntakePort, "metrics">, input: string): void {
 *   node.metrics.rejected.inc({ input });
 * }
 * countRejected({ metrics: { rejected: { inc() {} } } as IntakePort["metrics"] }, "socket");
 * ```
 */
export interface IntakePort {
  /** The node's configuration (limits, listener addresses, its name). */
  readonly config: Readonly<Config>;
  /** Folder of the listener token (the agent's CONFIG_FOLDER). */
  readonly configFolder: string;
  /** Where rejected inputs are counted. */
  readonly metrics: Pick<Metrics, "rejected">;
  /** Runs each listener as a named, abortable process of the node. */
  readonly supervisor: Pick<Supervisor, "start">;
  /** Messages accepted and not yet finished (shown by the HTTP listener's GET). */
  readonly inflightCount: number;
  /** Turns one input message into stamped messages, one per target node. */
  stamp(input: InputMessage): Message[];
  /** Stores and queues stamped messages; resolves once they are durable ("accepted"). */
  submit(
    messages: readonly Message[],
    alongWith?: readonly KvWrite[],
    options?: { sendEarly?: boolean },
  ): Promise<void>;
  /** Listens to every reply handled on the node; returns the function that stops listening. */
  onReply(listener: ReplyListener): () => void;
  /** Sends an error line to the local log and the central node's error log. */
  reportError(text: string, about?: Message): void;
  /** Prints a line on the node's output. */
  print(line: string): void;
  /** Told of each message accepted, and from which input (the log's "accepted" line). */
  readonly events?: Pick<MessageEvents, "accepted">;
  /** The idempotency keys of inputs (absent: keys are taken but not remembered). */
  readonly idempotency?: Pick<IdempotencyKeys, "claim" | "settle" | "write">;
}
