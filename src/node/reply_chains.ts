import { COMMAND_METHODS } from "../security/acl.ts";
import type { Message } from "../message/schema.ts";

/** What a node remembers of a request whose reply runs a command here. */
interface ChainRecord {
  toNode: string;
  replyMethod: string;
  replyMethodArgs: string[];
  /** When the record expires (ms since the epoch): its KV expiry, kept when it is claimed. */
  expiresAt: number;
  /** The id of the reply that used it: only that reply (or its resends) may run the command. */
  usedBy?: string;
}

/** Slack added to a request's own bounds for queueing before it is sent or run (60 s). */
export const CHAIN_MARGIN_MS = 60_000;

/**
 * How long the reply to `request` can still come: its delivery with every resend
 * (`ACKTimeout × (retries + 1)`), its run (`methodTimeout`), the reply's delivery with every
 * resend (`replyACKTimeout × (replyRetries + 1)`), plus `marginMs` for queueing.
 *
 * @example
 * ```ts
 * import { chainLifetimeMs } from "./reply_chains.ts";
 * chainLifetimeMs({ ACKTimeout: 5, retries: 2, methodTimeout: 10, replyACKTimeout: 5, replyRetries: 1 }, 0);
 * // (15 + 10 + 10) s = 35_000
 * ```
 */
export function chainLifetimeMs(
  request: Pick<
    Message,
    "ACKTimeout" | "retries" | "methodTimeout" | "replyACKTimeout" | "replyRetries"
  >,
  marginMs: number = CHAIN_MARGIN_MS,
): number {
  const seconds = request.ACKTimeout * (request.retries + 1) + request.methodTimeout +
    request.replyACKTimeout * (request.replyRetries + 1);
  return seconds * 1000 + marginMs;
}

/**
 * Reply chaining (`"replyMethod": "REQCliCommand"` with `{{STEWARD_DATA}}`) makes the node that
 * answered send a command back to the node that asked. That command was written by the asking
 * node's own operator, so it may run there even though the answering node could never ask for
 * such a command on its own; but only if it is exactly the command the request named, and only
 * once. This store remembers, per request sent, which command its reply may run, for as long as
 * that reply can come ({@linkcode chainLifetimeMs}); the first verified reply uses the record
 * up, so that a resent or forged reply (another id, another command, another request, another
 * node) is judged by the ACL like any message.
 *
 * @example
 * ```ts ignore
 * import { ReplyChains } from "./reply_chains.ts";
 * const chains = new ReplyChains(kv);
 * await chains.remember(requests); // when accepted
 * await chains.authoredHere(reply); // true once: for the first reply running the named command
 * ```
 */
export class ReplyChains {
  #kv: Deno.Kv;
  #marginMs: number;

  /** `marginMs`: slack added to each request's own bounds (default {@linkcode CHAIN_MARGIN_MS}). */
  constructor(kv: Deno.Kv, marginMs: number = CHAIN_MARGIN_MS) {
    this.#kv = kv;
    this.#marginMs = marginMs;
  }

  /** Records the requests among `messages` whose reply runs a command; others cost nothing. */
  async remember(messages: readonly Message[]): Promise<void> {
    const chained = messages.filter((m) =>
      !m.isReply && m.replyMethod !== undefined && COMMAND_METHODS.has(m.replyMethod)
    );
    if (chained.length === 0) return;
    const atomic = this.#kv.atomic();
    const now = Date.now();
    for (const m of chained) {
      const lifetime = chainLifetimeMs(m, this.#marginMs);
      const record: ChainRecord = {
        toNode: m.toNode,
        replyMethod: m.replyMethod!,
        replyMethodArgs: m.replyMethodArgs,
        expiresAt: now + lifetime,
      };
      atomic.set(["chain", m.id], record, { expireIn: lifetime });
    }
    await atomic.commit();
  }

  /**
   * True when `reply` is the command reply of a request this node sent: from the node it went
   * to, with exactly the method and arguments the request gave as its reply, and the first
   * such reply (or a resend of it, same id). Claims the record for `reply` atomically: of two
   * replies racing, one wins. Call it only once the reply's signature is verified, or an
   * impostor could use the record up.
   */
  async authoredHere(reply: Message): Promise<boolean> {
    const request = reply.previousMessage;
    if (!reply.isReply || !request || !COMMAND_METHODS.has(reply.method)) return false;
    const key = ["chain", request.id];
    for (let attempt = 0; attempt < 3; attempt++) {
      const entry = await this.#kv.get<ChainRecord>(key);
      const record = entry.value;
      if (record === null || Date.now() >= record.expiresAt) return false;
      const matches = record.toNode === reply.fromNode &&
        request.toNode === reply.fromNode &&
        record.replyMethod === reply.method &&
        record.replyMethodArgs.length === reply.methodArgs.length &&
        record.replyMethodArgs.every((a, i) => a === reply.methodArgs[i]);
      if (!matches) return false;
      if (record.usedBy !== undefined) return record.usedBy === reply.id;
      const claimed: ChainRecord = { ...record, usedBy: reply.id };
      const result = await this.#kv.atomic().check(entry)
        .set(key, claimed, { expireIn: Math.max(1, record.expiresAt - Date.now()) })
        .commit();
      if (result.ok) return true;
      // Another reply changed the record meanwhile: read it again to see who claimed it.
    }
    return false;
  }
}
