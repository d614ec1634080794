/**
 * A bandwidth cap: bytes are taken at most at a given rate, averaged from the start, so a
 * copy on a thin link leaves room for the rest of the node's traffic.
 *
 * @module
 */

/**
 * Paces a stream of bytes to `bytesPerSecond` (0: no cap).
 *
 * @example
 * ```ts
 * import { Throttle } from "./throttle.ts";
 * const throttle = new Throttle(1_000_000);
 * await throttle.take(1000); // waits about 1 ms
 * ```
 */
export class Throttle {
  #rate: number;
  #start = performance.now();
  #taken = 0;

  /** A cap of `bytesPerSecond` (0: none). */
  constructor(bytesPerSecond: number) {
    this.#rate = bytesPerSecond;
  }

  /** Counts `bytes` and waits until they fit under the cap; ends early when `signal` aborts. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    this.#taken += bytes;
    if (this.#rate <= 0) return;
    const due = this.#start + (this.#taken / this.#rate) * 1000;
    const wait = due - performance.now();
    if (wait <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, wait);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}
