/**
 * How often approvals send the trusted set: each send is one message of the whole set to every
 * node, so a fleet of N nodes coming up one by one, each approval sending at once, cost N²
 * messages of N keys each (1000 nodes took central to 5 GB). The pacer sends once shortly after
 * a burst of approvals, then no sooner than {@linkcode distributionInterval} after the last send.
 * An operator's approve, revoke or rotate still sends at once (not through the pacer).
 *
 * @module
 */

/**
 * Least time between two sends of the trusted set that approvals make: 2 s, or 5 ms per node
 * it goes to, whichever is longer. A new node's key matters at once only to central, which has
 * it; other nodes need it for messages from that node, which come later.
 *
 * @example
 * ```ts
 * import { distributionInterval } from "./distribution_pacer.ts";
 * distributionInterval(100); // 2000
 * distributionInterval(1000); // 5000
 * ```
 */
export function distributionInterval(nodes: number): number {
  return Math.max(2000, 5 * nodes);
}

/** Least wait after the first approval of a burst: the others of the burst join it. */
const BURST_MS = 250;

/**
 * Paces sends of the trusted set asked for by approvals.
 *
 * @example
 * ```ts
 * import { DistributionPacer } from "./distribution_pacer.ts";
 * const pacer = new DistributionPacer(async () => 3, () => {});
 * pacer.request();
 * pacer.request(); // joins the first: one send, 250 ms from now
 * pacer.close();
 * ```
 */
export class DistributionPacer {
  #send: () => Promise<number>;
  #onError: (err: unknown) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sentAt = -Infinity;
  #sentTo = 0;

  /** `send` sends the set and resolves with how many nodes it went to. */
  constructor(send: () => Promise<number>, onError: (err: unknown) => void) {
    this.#send = send;
    this.#onError = onError;
  }

  /** A send was made outside the pacer (an operator's command) to `nodes` nodes. */
  sent(nodes: number, at = Date.now()): void {
    this.#sentAt = at;
    this.#sentTo = nodes;
  }

  /** Asks for a send: the next one due, unless one is already waiting. */
  request(): void {
    if (this.#timer !== undefined) return;
    const due = this.#sentAt + distributionInterval(this.#sentTo);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#sentAt = Date.now();
      this.#send().then((n) => this.#sentTo = n, this.#onError);
    }, Math.max(BURST_MS, due - Date.now()));
    Deno.unrefTimer(this.#timer);
  }

  /** Drops a send still waiting. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
