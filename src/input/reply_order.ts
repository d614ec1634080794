import type { ReplyLine } from "./client_protocol.ts";

/**
 * Puts the replies to one request back in order for a waiting client. Replies of a streaming
 * method are handled concurrently on the receiving node, so part 3 may be seen before part 2:
 * parts are held until every earlier one is in, and the request is complete once its final
 * part and all before it were handed on. A reply without `seq` is complete on its own.
 *
 * @example
 * ```ts
 * import { ReplyOrder } from "./reply_order.ts";
 * const order = new ReplyOrder();
 * const part = { status: "reply" as const, id: "a", node: "ship1", ok: true, repliedAt: 0 };
 * order.add({ ...part, data: "b", seq: 1, final: true }); // [] (part 0 is missing)
 * order.add({ ...part, data: "a", seq: 0 }).map((l) => l.data); // ["a", "b"]
 * order.complete; // true
 * ```
 */
export class ReplyOrder {
  #next = 0;
  #held = new Map<number, ReplyLine>();
  #finalSeq: number | undefined;
  #complete = false;

  /** True once the last reply and every part before it were handed on. */
  get complete(): boolean {
    return this.#complete;
  }

  /** Adds one reply; returns the replies that can be handed on now, in order. */
  add(line: ReplyLine): ReplyLine[] {
    if (this.#complete) return [];
    if (line.seq === undefined) {
      // A failure reported without parts (e.g. the node was never reached) ends the request.
      this.#complete = true;
      return [...this.flush(), line];
    }
    if (line.seq < this.#next) return [];
    this.#held.set(line.seq, line);
    if (line.final) this.#finalSeq = line.seq;
    const ready: ReplyLine[] = [];
    for (let l = this.#held.get(this.#next); l; l = this.#held.get(this.#next)) {
      ready.push(l);
      this.#held.delete(this.#next++);
    }
    if (this.#finalSeq !== undefined && this.#next > this.#finalSeq) this.#complete = true;
    return ready;
  }

  /** Hands on whatever is held, in order, e.g. when the wait times out with gaps left. */
  flush(): ReplyLine[] {
    const rest = [...this.#held.values()].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    this.#held.clear();
    return rest;
  }
}
