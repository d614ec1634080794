/**
 * Rate controls of a fan-out (`maxConcurrency`, `maxErrors`, `canary`, `pauseMs`): checking
 * them, and the scheduler that decides which nodes start when.
 *
 * @module
 */
import { InvalidMessageError } from "./errors.ts";

/**
 * How a fan-out rolls over its nodes: see {@linkcode Client.run}.
 *
 * @example
 * ```ts
 * import type { RolloutOptions } from "../../mod.ts";
 * // Ten nodes first; once all ten succeeded, 10 % of the fleet at a time; stop starting
 * // nodes after five failures.
 * const careful: RolloutOptions = { canary: 10, maxConcurrency: "10%", maxErrors: 5 };
 * ```
 */
export interface RolloutOptions {
  /**
   * Most nodes running at once: a count, or a percentage of the nodes (`"10%"`, at least one
   * node). Default: all at once.
   */
  maxConcurrency?: number | `${number}%`;
  /** Stop starting nodes once this many have failed; the running ones finish. */
  maxErrors?: number;
  /** Run the first this many nodes, and start the rest only when every one of them succeeded. */
  canary?: number;
  /**
   * Run in batches of `maxConcurrency` nodes: each batch finishes, then this many milliseconds
   * pass, before the next starts. Without it, a node starts as soon as another one finishes.
   */
  pauseMs?: number;
}

/** Rate controls checked and resolved against a number of nodes. */
export interface RolloutPlan {
  readonly window: number;
  readonly maxErrors: number;
  readonly canary: number;
  readonly pauseMs?: number;
}

const KEYS = ["maxConcurrency", "maxErrors", "canary", "pauseMs"] as const;

/**
 * True when `options` asks for any rate control.
 *
 * @example
 * ```ts
 * import { hasRollout } from "./rollout.ts";
 * hasRollout({ timeoutMs: 1000 }); // false
 * hasRollout({ canary: 2 }); // true
 * ```
 */
export function hasRollout(options: object): boolean {
  return KEYS.some((k) => (options as Record<string, unknown>)[k] !== undefined);
}

function whole(name: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new InvalidMessageError(
      `${name} must be a whole number of at least ${min}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * Checks `options` and resolves them for a fan-out to `nodes` nodes.
 *
 * @throws {InvalidMessageError} when an option is not a valid value.
 * @example
 * ```ts
 * import { planRollout } from "./rollout.ts";
 * planRollout({ maxConcurrency: "10%", canary: 10 }, 1000);
 * // { window: 100, maxErrors: Infinity, canary: 10 }
 * ```
 */
export function planRollout(options: RolloutOptions, nodes: number): RolloutPlan {
  let window = nodes;
  const c = options.maxConcurrency;
  if (typeof c === "string") {
    const m = /^(\d+(?:\.\d+)?)%$/.exec(c);
    const percent = m ? Number(m[1]) : NaN;
    if (!(percent > 0 && percent <= 100)) {
      throw new InvalidMessageError(
        `maxConcurrency must be a count or a percentage above 0 and at most 100 such as "10%", ` +
          `got ${JSON.stringify(c)}`,
      );
    }
    window = Math.max(1, Math.floor(nodes * percent / 100));
  } else if (c !== undefined) window = whole("maxConcurrency", c, 1);
  const plan: RolloutPlan = {
    window: Math.min(window, nodes),
    maxErrors: options.maxErrors === undefined
      ? Infinity
      : whole("maxErrors", options.maxErrors, 1),
    canary: options.canary === undefined ? 0 : whole("canary", options.canary, 1),
    ...(options.pauseMs === undefined ? {} : { pauseMs: whole("pauseMs", options.pauseMs, 0) }),
  };
  return plan;
}

/** What to do next: start these nodes now, and look again at `wakeAt` if nothing finishes. */
export interface RolloutStep {
  readonly start: readonly string[];
  readonly wakeAt?: number;
}

/**
 * Decides which nodes of a fan-out start when. Pure: the caller reports each node's end with
 * {@linkcode RolloutScheduler.finished} and asks {@linkcode RolloutScheduler.next} again.
 *
 * @example
 * ```ts
 * import { planRollout, RolloutScheduler } from "./rollout.ts";
 * const s = new RolloutScheduler(["a", "b", "c"], planRollout({ canary: 1 }, 3));
 * s.next(0).start; // ["a"]
 * s.finished("a", true);
 * s.next(0).start; // ["b", "c"]
 * ```
 */
export class RolloutScheduler {
  readonly #plan: RolloutPlan;
  readonly #waiting: string[];
  readonly #running = new Set<string>();
  /** Canary nodes not finished yet, and not started yet. */
  #canaryLeft: number;
  #canaryToStart: number;
  #failures = 0;
  #batchLeft = 0;
  #pauseUntil = 0;
  #stopReason: string | undefined;

  constructor(nodes: readonly string[], plan: RolloutPlan) {
    this.#plan = plan;
    this.#waiting = [...nodes];
    this.#canaryLeft = Math.min(plan.canary, nodes.length);
    this.#canaryToStart = this.#canaryLeft;
  }

  /** Nodes to start at time `now` (epoch ms), and when to ask again if none finishes first. */
  next(now: number): RolloutStep {
    if (this.#stopReason !== undefined) return { start: [] };
    if (this.#canaryLeft > 0) {
      const start = this.#take(
        Math.min(this.#canaryToStart, this.#plan.window - this.#running.size),
      );
      this.#canaryToStart -= start.length;
      return { start };
    }
    if (this.#plan.pauseMs === undefined) {
      return { start: this.#take(this.#plan.window - this.#running.size) };
    }
    if (this.#batchLeft > 0) return { start: this.#take(this.#batchLeft, true) };
    if (this.#running.size > 0 || this.#waiting.length === 0) return { start: [] };
    if (now < this.#pauseUntil) return { start: [], wakeAt: this.#pauseUntil };
    this.#batchLeft = this.#plan.window;
    return { start: this.#take(this.#batchLeft, true) };
  }

  #take(count: number, batch = false): string[] {
    const start = this.#waiting.splice(0, Math.max(0, count));
    for (const n of start) this.#running.add(n);
    if (batch) this.#batchLeft -= start.length;
    return start;
  }

  /** Records that `node` finished, at `now`; `ok` false counts as a failure. */
  finished(node: string, ok: boolean, now = 0): void {
    if (!this.#running.delete(node)) return;
    const wasCanary = this.#canaryLeft > 0;
    if (wasCanary) this.#canaryLeft--;
    if (!ok) {
      this.#failures++;
      if (wasCanary) this.stop(`canary node ${node} failed`);
      if (this.#failures >= this.#plan.maxErrors) {
        this.stop(
          `${this.#failures} failed, the most allowed (maxErrors ${this.#plan.maxErrors})`,
        );
      }
    }
    // A batch (or the canary) just ended: the pause starts now.
    if (this.#running.size === 0 && this.#batchLeft === 0 && this.#plan.pauseMs !== undefined) {
      this.#pauseUntil = now + this.#plan.pauseMs;
    }
  }

  /** Starts no more nodes; the first reason given is the one kept. */
  stop(reason: string): void {
    this.#stopReason ??= reason;
  }

  /** True when no node runs and none will start. */
  get done(): boolean {
    return this.#running.size === 0 &&
      (this.#stopReason !== undefined || this.#waiting.length === 0);
  }

  /** Nodes running now. */
  get running(): number {
    return this.#running.size;
  }

  /** Why the run stopped starting nodes, if it did. */
  get stopReason(): string | undefined {
    return this.#stopReason;
  }

  /** Nodes that never started (after the run stopped early), in the order given. */
  get notStarted(): readonly string[] {
    return this.#stopReason === undefined ? [] : [...this.#waiting];
  }
}
