import { createHash } from "node:crypto";

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

/**
 * The id of the reply to message `requestId` from a method that may run a second time after
 * its node crashed (an `instant` one, whose reply is sent before it is durable): the same on
 * every run, so that a second reply is a duplicate to its receiver instead of a second result.
 * It sorts with the request (same time prefix) and differs from it.
 *
 * @example
 * ```ts
 * import { replyIdFor } from "./id.ts";
 * console.assert(replyIdFor("0mwwwl4j0000005wnluf") === replyIdFor("0mwwwl4j0000005wnluf"));
 * console.assert(replyIdFor("0mwwwl4j0000005wnluf") !== "0mwwwl4j0000005wnluf");
 * ```
 */
export function replyIdFor(requestId: string): string {
  const digest = createHash("sha256").update(`reply of ${requestId}`).digest();
  const tail = digest.readUInt32BE(0).toString(36).padStart(7, "0");
  return `${requestId.slice(0, 13)}${tail}`;
}

/**
 * The id of the error report sent to central about the failed run of message `requestId`: the
 * same every time, so that a run reported twice (once more after a crash) is logged once.
 *
 * @example
 * ```ts
 * import { failureReportIdFor, replyIdFor } from "./id.ts";
 * const id = "0mwwwl4j0000005wnluf";
 * console.assert(failureReportIdFor(id) === failureReportIdFor(id));
 * console.assert(failureReportIdFor(id) !== replyIdFor(id) && failureReportIdFor(id) !== id);
 * ```
 */
export function failureReportIdFor(requestId: string): string {
  const digest = createHash("sha256").update(`failure report of ${requestId}`).digest();
  const tail = digest.readUInt32BE(0).toString(36).padStart(7, "0");
  return `${requestId.slice(0, 13)}${tail}`;
}
