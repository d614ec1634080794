import { COMMAND_METHODS } from "../security/acl.ts";
import type { Message } from "../message/schema.ts";

/** What a node remembers of a request whose reply runs a command here. */
interface ChainRecord {
  toNode: string;
  replyMethod: string;
  replyMethodArgs: string[];
}

/**
 * Reply chaining (`"replyMethod": "REQCliCommand"` with `{{STEWARD_DATA}}`) makes the node that
 * answered send a command back to the node that asked. That command was written by the asking
 * node's own operator, so it may run there even though the answering node could never ask for
 * such a command on its own; but only if it is exactly the command the request named. This
 * store remembers, per request sent, which command its reply may run, so that a forged reply
 * (another command, another request, another node) is still judged by the ACL.
 *
 * @example
 * ```ts ignore
 * import { ReplyChains } from "./reply_chains.ts";
 * const chains = new ReplyChains(kv, 86_400_000);
 * await chains.remember(requests); // when accepted
 * await chains.authoredHere(reply); // true for the command a request named, from its node
 * ```
 */
export class ReplyChains {
  #kv: Deno.Kv;
  #retentionMs: number;

  constructor(kv: Deno.Kv, retentionMs: number) {
    this.#kv = kv;
    this.#retentionMs = retentionMs;
  }

  /** Records the requests among `messages` whose reply runs a command; others cost nothing. */
  async remember(messages: readonly Message[]): Promise<void> {
    const chained = messages.filter((m) =>
      !m.isReply && m.replyMethod !== undefined && COMMAND_METHODS.has(m.replyMethod)
    );
    if (chained.length === 0) return;
    const atomic = this.#kv.atomic();
    for (const m of chained) {
      const record: ChainRecord = {
        toNode: m.toNode,
        replyMethod: m.replyMethod!,
        replyMethodArgs: m.replyMethodArgs,
      };
      atomic.set(["chain", m.id], record, { expireIn: this.#retentionMs });
    }
    await atomic.commit();
  }

  /**
   * True when `reply` is the command reply of a request this node sent: from the node it went
   * to, with exactly the method and arguments the request gave as its reply.
   */
  async authoredHere(reply: Message): Promise<boolean> {
    const request = reply.previousMessage;
    if (!reply.isReply || !request || !COMMAND_METHODS.has(reply.method)) return false;
    const entry = await this.#kv.get<ChainRecord>(["chain", request.id]);
    const record = entry.value;
    return record !== null &&
      record.toNode === reply.fromNode &&
      request.toNode === reply.fromNode &&
      record.replyMethod === reply.method &&
      record.replyMethodArgs.length === reply.methodArgs.length &&
      record.replyMethodArgs.every((a, i) => a === reply.methodArgs[i]);
  }
}
