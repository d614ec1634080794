/**
 * The deadline of one method run: a signal that aborts when the run is stopped or when its
 * `methodTimeout` expires, and that lets go of its timer as soon as the run ends.
 *
 * @module
 */

/** A method run's signal and the way to release its timer. */
export interface MethodDeadline {
  /** Aborts with a `TimeoutError` DOMException at the deadline, or with `stop`'s reason. */
  readonly signal: AbortSignal;
  /** Releases the timer; call it when the run ends. */
  clear(): void;
}

/**
 * Combines `stop` with a timeout of `ms`. Unlike `AbortSignal.timeout`, the timer is cleared
 * when the run ends: `AbortSignal.timeout` keeps the signal, and through it everything the run
 * hung on it, alive until the timeout passes (10 MB per 10 s at 1000 pings/s with the default
 * methodTimeout, hours of messages with a long one). The abort reason is the same
 * `TimeoutError` DOMException, so handlers tell a timeout apart the same way.
 *
 * @example
 * ```ts
 * import { methodDeadline } from "./method_deadline.ts";
 * const deadline = methodDeadline(new AbortController().signal, 10_000);
 * try {
 *   // run the handler with deadline.signal
 * } finally {
 *   deadline.clear();
 * }
 * ```
 */
export function methodDeadline(stop: AbortSignal, ms: number): MethodDeadline {
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new DOMException("Signal timed out.", "TimeoutError")),
    ms,
  );
  return {
    signal: AbortSignal.any([stop, timeout.signal]),
    clear: () => clearTimeout(timer),
  };
}
