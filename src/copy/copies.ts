/**
 * A node's file copies: the sender of those it is the source of (`REQCopySrc`), the receiver
 * of those it is the destination of (`REQCopyDst`), and how a `REQCopySrc` message becomes a
 * copy order (its arguments checked, the file looked at, the chunk size fitted to the broker).
 *
 * @module
 */
import type { NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import type { Metrics } from "../metrics.ts";
import type { ReplyListener } from "../input/intake_port.ts";
import { inputMessageSchema, type Message, nodeNameProblem } from "../message/schema.ts";
import type { InputMessage } from "../message/schema.ts";
import { HEADER_ROOM } from "../node/chunking.ts";
import { CopyReceiver, type CopyReceiverDeps } from "./copy_receiver.ts";
import { CopyError, type CopyOrder, CopySender } from "./copy_sender.ts";
import { type CopyPlan, planArgs } from "./protocol.ts";

/** Bytes per chunk when a copy names none (less when the broker takes less). */
export const DEFAULT_CHUNK_BYTES = 512 * 1024;

/** What a node's {@linkcode Copies} use of it. */
export interface CopiesDeps extends CopyReceiverDeps {
  /** The default bandwidth cap of a copy, in bytes per second (0: none). */
  copyMaxBytesPerSecond: number;
  /** Largest message payload: no chunk is bigger. */
  maxMessageSize: number;
  metrics: CopyReceiverDeps["metrics"] & CopySenderMetrics;
  stamp(input: InputMessage): Message[];
  submit(messages: readonly Message[]): Promise<void>;
  onReply(listener: ReplyListener): () => void;
}

type CopySenderMetrics = Pick<Metrics, "copyResumptions">;

/**
 * The copies of one node.
 *
 * @example
 * ```ts ignore
 * import { Copies } from "./copies.ts";
 * const copies = new Copies(deps);
 * const order = await copies.order(message); // REQCopySrc
 * await copies.sender.send(order, { signal });
 * ```
 */
export class Copies {
  readonly sender: CopySender;
  readonly receiver: CopyReceiver;
  #deps: CopiesDeps;
  /** Refusals of announcements (`REQCopyDst` answered with an error), by message id. */
  #refused = new Map<string, string>();

  /** The copies of the node `deps` describes. */
  constructor(deps: CopiesDeps) {
    this.#deps = deps;
    this.receiver = new CopyReceiver(deps);
    this.sender = new CopySender({ ...deps, announce: (order) => this.#announce(order) });
    deps.onReply((reply) => {
      const about = reply.previousMessage;
      if (about?.method === "REQCopyDst" && reply.ok === false) {
        this.#refused.set(about.id, reply.error ?? "refused");
      }
    });
  }

  /**
   * The copy a `REQCopySrc` message asks for: `methodArgs` are the file (resolved on this
   * node), the destination node, the destination path (`{node}` in it is this node's name),
   * then optionally the chunk size in bytes, the bandwidth cap in bytes per second, the octal
   * mode of folders to make for the file, and `owner` to keep its owner.
   *
   * @throws {CopyError} saying which argument is wrong, or why the file cannot be sent.
   */
  async order(message: Message, nc?: NatsConnection): Promise<CopyOrder> {
    const [srcPath, dstNode, dstPath, chunk = "", rate = "", folderMode = "", owner = ""] =
      message.methodArgs;
    const problem = nodeNameProblem(dstNode ?? "");
    if (problem) throw new CopyError(`REQCopySrc: destination node ${dstNode}: ${problem}`);
    const number = (s: string, what: string) => {
      if (!/^\d{1,15}$/.test(s)) throw new CopyError(`REQCopySrc: ${what} must be a number`);
      return Number(s);
    };
    const limit = Math.min(
      this.#deps.maxMessageSize,
      ((nc ?? await this.#deps.connection()).info?.max_payload ?? 1024 * 1024) - HEADER_ROOM,
    );
    const chunkBytes = chunk === ""
      ? Math.min(DEFAULT_CHUNK_BYTES, limit)
      : number(chunk, "the chunk size");
    if (chunkBytes < 1 || chunkBytes > limit) {
      throw new CopyError(`REQCopySrc: chunk size ${chunkBytes} must be 1 to ${limit} bytes`);
    }
    if (folderMode !== "" && !/^[0-7]{3,4}$/.test(folderMode)) {
      throw new CopyError(`REQCopySrc: folder mode ${folderMode} must be octal, e.g. 0750`);
    }
    if (owner !== "" && owner !== "owner") {
      throw new CopyError(`REQCopySrc: methodArgs[6] is "owner" (keep the owner) or empty`);
    }
    const info = await Deno.stat(srcPath).catch((err) => {
      throw new CopyError(`cannot copy ${srcPath}: ${(err as Error).message}`);
    });
    if (!info.isFile) throw new CopyError(`cannot copy ${srcPath}: not a regular file`);
    const plan: CopyPlan = {
      dstPath: dstPath.replaceAll("{node}", this.#deps.nodeName),
      copyId: message.id,
      size: info.size,
      chunkBytes,
      mode: (info.mode ?? 0o600) & 0o7777,
    };
    if (folderMode !== "") plan.folderMode = parseInt(folderMode, 8);
    if (owner !== "") plan.owner = `${info.uid}:${info.gid}`;
    return {
      plan,
      srcPath,
      dstNode,
      maxBytesPerSecond: rate === "" ? this.#deps.copyMaxBytesPerSecond : number(rate, "the cap"),
      timeoutSeconds: message.methodTimeout,
    };
  }

  async #announce(order: CopyOrder): Promise<() => string | undefined> {
    const input = inputMessageSchema.parse({
      toNode: order.dstNode,
      method: "REQCopyDst",
      methodArgs: planArgs(order.plan),
      methodTimeout: order.timeoutSeconds,
      directory: "copies",
      fileName: `${order.plan.copyId}.log`,
    });
    const messages = this.#deps.stamp(input);
    await this.#deps.submit(messages);
    return () => this.#refused.get(messages[0].id);
  }
}
