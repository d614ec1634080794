/**
 * Waits for `promise`, but rejects with the signal's reason as soon as `signal` aborts, so a
 * process blocked on something slow (an unreachable broker) can still be stopped.
 *
 * @example
 * ```ts
 * import { abortable } from "./abortable.ts";
 * const c = new AbortController();
 * const p = abortable(new Promise(() => {}), c.signal);
 * c.abort(new Error("stop"));
 * await p.catch((e) => console.assert(e.message === "stop"));
 * ```
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
