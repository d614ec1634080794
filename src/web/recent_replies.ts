/**
 * The latest replies central handled, kept in memory for the web page: only the reply's
 * outcome, never its data.
 *
 * @module
 */
import { isLastReply } from "../input/client_protocol.ts";
import type { Message } from "../message/schema.ts";
import type { ReplySeen } from "./message_view.ts";

/**
 * A bounded record of replies by request id: the newest `max` requests are kept, each with
 * the outcome of its latest reply.
 *
 * @example
 * ```ts
 * import { RecentReplies } from "./recent_replies.ts";
 * import { testMessage } from "../../test/message_fixture.ts";
 * const replies = new RecentReplies(2);
 * const request = testMessage({ id: "r1", method: "REQPing" });
 * replies.add(testMessage({ isReply: true, fromNode: "ship1", previousMessage: request }));
 * console.assert(replies.list()[0].id === "r1" && replies.list()[0].last);
 * ```
 */
export class RecentReplies {
  #max: number;
  #byRequest = new Map<string, ReplySeen>();

  /** Keeps the replies of at most `max` requests (default 1000). */
  constructor(max = 1000) {
    this.#max = Math.max(1, max);
  }

  /** Records `reply`; a reply to no request is ignored. */
  add(reply: Message, at = Date.now()): void {
    const request = reply.previousMessage;
    if (!request?.id) return;
    const seen: ReplySeen = {
      id: request.id,
      node: reply.fromNode,
      method: request.method,
      ok: reply.ok !== false,
      last: isLastReply(reply),
      ...(reply.error === undefined ? {} : { error: reply.error }),
      at,
    };
    const before = this.#byRequest.get(request.id);
    // A failure or the last reply is not undone by a late partial one.
    if (before && (!before.ok || (before.last && !seen.last))) return;
    this.#byRequest.delete(request.id);
    this.#byRequest.set(request.id, seen);
    if (this.#byRequest.size > this.#max) {
      this.#byRequest.delete(this.#byRequest.keys().next().value!);
    }
  }

  /** The replies kept, oldest first. */
  list(): ReplySeen[] {
    return [...this.#byRequest.values()];
  }
}
