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
 * Least time between two sends of the trusted set that approvals make: 2 s, or 30 ms per node
 * it goes to, whichever is longer (1000 nodes: 30 s). A new node's key matters at once only to
 * central, which has it; other nodes need it for messages from that node, which come later. At
 * 5 ms per node, a fleet of 1000 whose first contact lasted a minute still got twenty sends of
 * 1000 keys to each node, and verifying them slowed that first contact further. The same holds
 * for a broadcast: it costs central one message, but every node still verifies and stores the
 * whole set (a fleet of 1000 sharing two cores in the benchmark: seconds of CPU per send).
 *
 * @example
 * ```ts
 * import { distributionInterval } from "./distribution_pacer.ts";
 * distributionInterval(50); // 2000
 * distributionInterval(1000); // 30000
 * ```
 */
export function distributionInterval(nodes: number): number {
  return Math.max(2000, 30 * nodes);
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
  /** Requests since the last send: each is a node approved, whom the next send also goes to. */
  #requested = 0;

  /** `send` sends the set and resolves with how many nodes it went to. */
  constructor(send: () => Promise<number>, onError: (err: unknown) => void) {
    this.#send = send;
    this.#onError = onError;
  }

  /** A send was made outside the pacer (an operator's command) to `nodes` nodes. */
  sent(nodes: number, at = Date.now()): void {
    this.#sentAt = at;
    this.#sentTo = nodes;
    this.#requested = 0;
  }

  /**
   * Asks for a send: the next one due, unless one is already waiting. The interval counts the
   * nodes the next send goes to, those approved since included: a fleet coming up waits longer
   * between sends as it grows, instead of paying for a send sized by the last one. With
   * `approval: false` the request is for a node that is only behind.
   */
  request(options: { approval?: boolean } = {}): void {
    // A node that is only behind (not newly approved) adds nobody to the next send.
    if (options.approval !== false) this.#requested++;
    if (this.#timer !== undefined) return;
    this.#schedule(Math.max(BURST_MS, this.#due() - Date.now()));
  }

  /** When the next send may go: the interval after the last, for the nodes it will reach. */
  #due(): number {
    return this.#sentAt + distributionInterval(this.#sentTo + this.#requested);
  }

  #schedule(delay: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // Nodes approved meanwhile made the interval longer: wait for the rest of it.
      const wait = this.#due() - Date.now();
      if (wait > BURST_MS) return this.#schedule(wait);
      this.sent(this.#sentTo + this.#requested);
      this.#send().then((n) => this.#sentTo = n, this.#onError);
    }, delay);
    Deno.unrefTimer(this.#timer);
  }

  /** Drops a send still waiting. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
