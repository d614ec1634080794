/**
 * The executor stage: a bounded pool for methods that do work on the node (spawn a command,
 * fetch a URL, follow a file), with a FIFO queue beyond the bound.
 *
 * @module
 */

/** Thrown (as the rejection of {@linkcode Executor.run}) for a job that never started. */
export class ExecutorStoppedError extends Error {
  override name = "ExecutorStoppedError";
}

/** What the executor tells its observer; every member is optional. */
export interface ExecutorObserver {
  /** A job left the queue for a slot after waiting `ms` (0 when a slot was free). */
  waited?(ms: number): void;
}

/** Options of {@linkcode Executor}. */
export interface ExecutorOptions<J> {
  /** Most jobs running at once (at least 1). */
  maxConcurrent: number;
  /**
   * Runs once a job has its slot, before its task: the place for a durable "started" record
   * (issue 16). A job whose hook throws does not run, and the error is `run`'s rejection.
   */
  beforeStart?: (job: J) => Promise<void>;
  /** Told of queue waits (metrics). */
  observer?: ExecutorObserver;
  /** The clock of queue waits, in ms (default `performance.now`). */
  now?: () => number;
}

interface Waiter<J> {
  job: J;
  /** Aborted while waiting: skipped when its turn comes (no O(n) removal per abort). */
  cancelled: boolean;
  grant: () => void;
  reject: (reason: unknown) => void;
}

/**
 * A bounded pool with a FIFO queue: at most `maxConcurrent` tasks run at once, and the rest
 * start in the order they were given as slots free up. A task holds its slot until it settles,
 * so a stuck task blocks one slot, never the queue; its own deadline (the signal its caller
 * hands it) is what ends it.
 *
 * @example
 * ```ts
 * import { Executor } from "./executor.ts";
 * const pool = new Executor<string>({ maxConcurrent: 2 });
 * const results = await Promise.all(
 *   ["a", "b", "c"].map((name) => pool.run(name, () => Promise.resolve(name.toUpperCase()))),
 * );
 * console.assert(results.join("") === "ABC");
 * console.assert(pool.running === 0 && pool.queued === 0);
 * ```
 */
export class Executor<J> {
  readonly maxConcurrent: number;
  #running = 0;
  #queue: Waiter<J>[] = [];
  #head = 0;
  #cancelled = 0;
  #stopped: ExecutorStoppedError | undefined;
  #options: ExecutorOptions<J>;
  #now: () => number;

  constructor(options: ExecutorOptions<J>) {
    if (!Number.isInteger(options.maxConcurrent) || options.maxConcurrent < 1) {
      throw new RangeError(
        `maxConcurrent must be a whole number ≥ 1, not ${options.maxConcurrent}`,
      );
    }
    this.maxConcurrent = options.maxConcurrent;
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /** Jobs waiting for a slot. */
  get queued(): number {
    return this.#queue.length - this.#head - this.#cancelled;
  }

  /**
   * Runs `task` for `job` once a slot is free (in FIFO order), and resolves or rejects as it
   * does. With `signal` aborted while it waits, the job leaves the queue and never runs.
   *
   * @throws {ExecutorStoppedError} when the executor was stopped before the job started.
   */
  async run<T>(job: J, task: () => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    await this.#slot(job, options.signal);
    try {
      await this.#options.beforeStart?.(job);
      return await task();
    } finally {
      this.#release();
    }
  }

  /** Rejects every queued job with {@linkcode ExecutorStoppedError}, and every later one. */
  stop(reason = "executor stopped"): void {
    this.#stopped ??= new ExecutorStoppedError(reason);
    const waiting = this.#queue.slice(this.#head);
    this.#queue = [];
    this.#head = 0;
    this.#cancelled = 0;
    for (const w of waiting) if (!w.cancelled) w.reject(this.#stopped);
  }

  #slot(job: J, signal: AbortSignal | undefined): Promise<void> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#running < this.maxConcurrent && this.queued === 0) {
      this.#running++;
      this.#options.observer?.waited?.(0);
      return Promise.resolve();
    }
    const since = this.#now();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        waiter.cancelled = true;
        this.#cancelled++;
        reject(signal!.reason);
      };
      const waiter: Waiter<J> = {
        job,
        cancelled: false,
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          this.#options.observer?.waited?.(this.#now() - since);
          resolve();
        },
        reject: (reason) => {
          signal?.removeEventListener("abort", onAbort);
          reject(reason);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  #release(): void {
    let next = this.#take();
    while (next?.cancelled) {
      this.#cancelled--;
      next = this.#take();
    }
    if (next === undefined) {
      this.#running--;
      return;
    }
    // The slot passes straight to the next job: the count never dips, so none can jump ahead.
    next.grant();
  }

  #take(): Waiter<J> | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const next = this.#queue[this.#head];
    this.#queue[this.#head++] = undefined as unknown as Waiter<J>;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return next;
  }

  /** The jobs waiting, oldest first. */
  queuedJobs(): J[] {
    return this.#queue.slice(this.#head).filter((w) => !w.cancelled).map((w) => w.job);
  }
}

/**
 * The bound `-maxConcurrentMethods 0` stands for: 4 per CPU core, at least 16. A short command
 * costs about a millisecond of CPU to spawn, so a few per core keep the cores busy; the rest
 * of the slots are for work that waits (a command sleeping or reading the network, a tail or a
 * streaming command holding its slot for its whole methodTimeout), and the floor keeps a small
 * machine with a few such streams able to run short commands beside them.
 *
 * @param configured the flag's value; a value above 0 is returned as it is.
 * @param cores CPU cores (default `navigator.hardwareConcurrency`).
 * @example
 * ```ts
 * import { maxConcurrentMethods } from "./executor.ts";
 * console.assert(maxConcurrentMethods(0, 2) === 16);
 * console.assert(maxConcurrentMethods(0, 16) === 64);
 * console.assert(maxConcurrentMethods(8, 16) === 8);
 * ```
 */
export function maxConcurrentMethods(
  configured: number,
  cores: number = navigator.hardwareConcurrency,
): number {
  if (configured > 0) return configured;
  return Math.max(16, 4 * (cores || 1));
}
