/**
 * True when `signal` ended the work because `methodTimeout` was reached, which is how a
 * streaming method (a continuous command, a tail) normally ends, rather than because its
 * process was stopped.
 *
 * @example
 * ```ts
 * import { endedByTimeout } from "./ended_by_timeout.ts";
 * endedByTimeout(AbortSignal.abort(new DOMException("t", "TimeoutError"))); // true
 * endedByTimeout(AbortSignal.abort(new Error("stopped"))); // false
 * ```
 */
export function endedByTimeout(signal: AbortSignal): boolean {
  const reason = signal.reason;
  return signal.aborted && reason instanceof Error && reason.name === "TimeoutError";
}
