/**
 * Drives a fan-out under rate controls: starts each node's run when the
 * {@linkcode RolloutScheduler} allows it, passes on what the runs emit, and reports progress.
 *
 * @module
 */
import type { FanOutProgress } from "./fan_out_progress.ts";
import { type RolloutPlan, RolloutScheduler } from "./rollout.ts";

/** How one node's run ended. */
export interface NodeOutcome {
  ok: boolean;
  error?: string;
}

/** How the whole fan-out ended. */
export interface RollOutEnd {
  /** Each started node's outcome, by node. */
  outcomes: Map<string, NodeOutcome>;
  /** Nodes never started, in target order. */
  notStarted: readonly string[];
  stopReason?: string;
}

/** Runs one node; `emit` passes items (e.g. stream lines) on to the caller as they come. */
export type RunNode<T> = (node: string, emit: (item: T) => void) => Promise<NodeOutcome>;

/**
 * Runs `runNode` for each of `nodes` as `plan` allows, yielding what the runs emit; returns
 * how it ended once every started node finished (or `signal` aborted the wait).
 *
 * @example
 * ```ts
 * import { FanOutProgress } from "./fan_out_progress.ts";
 * import { planRollout } from "./rollout.ts";
 * import { rollOut } from "./roll_out.ts";
 * const quiet = { isTerminal: () => false, writeSync: (b: Uint8Array) => b.length };
 * const run = rollOut<string>(["a", "b"], planRollout({ maxConcurrency: 1 }, 2), {
 *   runNode: (node, emit) => {
 *     emit(`hello from ${node}`);
 *     return Promise.resolve({ ok: true });
 *   },
 *   progress: new FanOutProgress(2, quiet),
 * });
 * for await (const line of run) console.log(line);
 * ```
 */
export async function* rollOut<T>(
  nodes: readonly string[],
  plan: RolloutPlan,
  options: { runNode: RunNode<T>; progress: FanOutProgress; signal?: AbortSignal },
): AsyncGenerator<T, RollOutEnd> {
  const scheduler = new RolloutScheduler(nodes, plan);
  const outcomes = new Map<string, NodeOutcome>();
  const emitted: T[] = [];
  let wake: (() => void) | undefined;
  const wakeUp = () => {
    wake?.();
    wake = undefined;
  };
  options.signal?.addEventListener("abort", wakeUp, { once: true });
  const start = (node: string) => {
    options.progress.started();
    options.runNode(node, (item) => {
      emitted.push(item);
      wakeUp();
    }).catch((err): NodeOutcome => ({ ok: false, error: (err as Error).message ?? String(err) }))
      .then((outcome) => {
        outcomes.set(node, outcome);
        scheduler.finished(node, outcome.ok, Date.now());
        options.progress.finished(outcome.ok);
        wakeUp();
      });
  };
  while (true) {
    while (emitted.length > 0) yield emitted.shift()!;
    if (scheduler.done || options.signal?.aborted) break;
    const step = scheduler.next(Date.now());
    step.start.forEach(start);
    if (step.start.length > 0) continue;
    if (scheduler.running === 0 && step.wakeAt === undefined) break; // nothing can change
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      wake = resolve;
      if (step.wakeAt !== undefined) {
        timer = setTimeout(resolve, Math.max(0, step.wakeAt - Date.now()));
      }
    });
    clearTimeout(timer);
  }
  options.signal?.removeEventListener("abort", wakeUp);
  if (options.signal?.aborted) scheduler.stop("the caller stopped waiting");
  const stopReason = scheduler.stopReason;
  return { outcomes, notStarted: scheduler.notStarted, ...(stopReason ? { stopReason } : {}) };
}
