/**
 * A compact, complete-or-not set of message ids, answering "certainly never recorded" without a
 * database read.
 *
 * @module
 */

/** Most ids held before the set starts over (≈ 20 MB of hashes). */
export const MAX_KNOWN_IDS = 1_000_000;

/**
 * Hashes of every id a receiver has recorded: filled from its database at start-up and kept up
 * to date as it claims new ids. Once the database has been read through (`complete`), an id
 * whose hash is absent was never recorded, and its dedup check needs no KV read: on this VM a
 * KV read is a wake-up of the database thread costing 0.2–0.6 ms on every received message.
 * A hash present (or a set not complete yet) says nothing: the caller reads KV as before.
 * False positives (30-bit hashes: 1 in 1000 at a million ids) only cost that read.
 *
 * @example
 * ```ts
 * import { KnownIds } from "./known_ids.ts";
 * const known = new KnownIds();
 * known.add("a1");
 * known.markComplete(known.generation);
 * console.assert(known.mayHold("a1") && !known.mayHold("b2"));
 * ```
 */
export class KnownIds {
  #hashes = new Set<number>();
  #complete = false;
  #generation = 0;
  #onOverflow: () => Iterable<string>;
  #max: number;

  /**
   * `onOverflow` is called when the set starts over (past `max` ids): it returns the ids whose
   * records may not be in KV yet (they go into the new set at once), and arranges a fill.
   */
  constructor(onOverflow: () => Iterable<string> = () => [], max = MAX_KNOWN_IDS) {
    this.#onOverflow = onOverflow;
    this.#max = max;
  }

  /** Bumped whenever the set starts over: a fill begun before then must not complete it. */
  get generation(): number {
    return this.#generation;
  }

  /** Whether every recorded id is in the set. */
  get complete(): boolean {
    return this.#complete;
  }

  /** Number of hashes held. */
  get size(): number {
    return this.#hashes.size;
  }

  /** Adds `id`. Past the most ids held, the set starts over, incomplete, and asks for a fill. */
  add(id: string): void {
    if (this.#hashes.size >= this.#max) {
      // Expired records leave KV, never this set: start over from what KV still holds.
      this.#hashes = new Set();
      this.#complete = false;
      this.#generation++;
      for (const pending of this.#onOverflow()) this.#hashes.add(hashId(pending));
    }
    this.#hashes.add(hashId(id));
  }

  /** Marks the set complete, if it has not started over since the fill of `generation` began. */
  markComplete(generation: number): void {
    if (generation === this.#generation) this.#complete = true;
  }

  /** False only when `id` is certainly not recorded. */
  mayHold(id: string): boolean {
    return !this.#complete || this.#hashes.has(hashId(id));
  }
}

/** FNV-1a over the UTF-16 code units, cut to 30 bits so V8 keeps it a small integer. */
export function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h & 0x3fffffff;
}
