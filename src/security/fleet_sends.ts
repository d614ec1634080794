/**
 * Central's memory of the trusted sets it sent to the whole fleet, to tell from a node's hello
 * whether it missed one. A send is judged only once it is {@linkcode FLEET_SEND_GRACE_MS} old:
 * a node busy with other work takes a moment to put a set in force, and a hello meanwhile must
 * not draw a second copy of it (sent alone, the set costs central a stored, signed message of
 * every key, per node).
 *
 * @module
 */

/** How long after a send to all a node's older version still counts as not yet arrived. */
export const FLEET_SEND_GRACE_MS = 15_000;

interface FleetSend {
  version: number;
  at: number;
  to: ReadonlySet<string>;
}

/**
 * The sends to all, newest last: every one younger than the grace, and the newest older one.
 *
 * @example
 * ```ts
 * import { FleetSends } from "./fleet_sends.ts";
 * const sends = new FleetSends();
 * sends.record(3, ["ship1"], 0);
 * sends.missed("ship1", 2, 1_000); // false: it may still be on its way
 * sends.missed("ship1", 2, 20_000); // true
 * sends.missed("ship2", 2, 20_000); // false: approved since, the next send brings it
 * ```
 */
export class FleetSends {
  #sends: FleetSend[] = [];

  /** Notes that version `version` was sent to `to` at `at`. */
  record(version: number, to: readonly string[], at = Date.now()): void {
    if (this.#sends.length > 0 && version <= this.#sends.at(-1)!.version) return;
    this.#sends.push({ version, at, to: new Set(to) });
    const settled = this.#sends.findLastIndex((s) => at - s.at >= FLEET_SEND_GRACE_MS);
    if (settled > 0) this.#sends.splice(0, settled);
  }

  /**
   * Whether `node`, holding version `held` at `now`, missed a send to all: it was among those
   * a send settled by now went to, and holds an older version than that send.
   */
  missed(node: string, held: number, now = Date.now()): boolean {
    const settled = this.#sends.findLast((s) => now - s.at >= FLEET_SEND_GRACE_MS);
    return settled !== undefined && held < settled.version && settled.to.has(node);
  }
}
