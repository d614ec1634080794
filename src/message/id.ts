/**
 * Creates a generator of message ids that sort in the order they were made, so KV listings of
 * inflight messages come back oldest first.
 *
 * @example
 * ```ts
 * import { createIdGenerator } from "./id.ts";
 * const nextId = createIdGenerator();
 * const a = nextId(), b = nextId();
 * console.assert(a < b);
 * ```
 */
export function createIdGenerator(): () => string {
  let lastMs = 0;
  let counter = 0;
  return () => {
    // Never go backwards, even if the wall clock does, so that order is kept.
    const now = Math.max(Date.now(), lastMs);
    counter = now === lastMs ? counter + 1 : 0;
    lastMs = now;
    const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36).padStart(7, "0");
    return `${now.toString(36).padStart(9, "0")}${counter.toString(36).padStart(4, "0")}${random}`;
  };
}
