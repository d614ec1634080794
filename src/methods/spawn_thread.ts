/**
 * Children spawned off the agent's thread, in a worker (see `spawn_worker.ts` for why).
 *
 * @module
 */
import {
  type ChildHooks,
  type ChildResult,
  type ChildSpec,
  ChildStartError,
  killGroup,
  runChild,
} from "./child_run.ts";
import type { FromSpawnWorker, ToSpawnWorker } from "./spawn_protocol.ts";

/**
 * The files of the spawn worker's module graph: a sandboxed agent may read them (Deno asks
 * for read access to a worker's local modules).
 */
export const SPAWN_WORKER_MODULES: readonly URL[] = [
  new URL("./spawn_worker.ts", import.meta.url),
  new URL("./child_run.ts", import.meta.url),
];

interface Pending {
  resolve(result: ChildResult): void;
  reject(err: Error): void;
  spec: ChildSpec;
  hooks: ChildHooks;
  onStop(): void;
  /** The child's pid once it started. */
  pid?: number;
  /** Why its output could not be taken: the child is stopped and this is the run's error. */
  chunkError?: Error;
}

/** Thrown for a child whose spawn thread ended while it ran: it was killed with its group. */
export class SpawnThreadGoneError extends Error {
  override name = "SpawnThreadGoneError";
}

/**
 * Runs children in a worker thread, with the hooks and results of {@linkcode runChild}. The
 * worker starts on first use; if it dies, runs in flight fail with
 * {@linkcode SpawnThreadGoneError} (their groups killed) and the next run starts another.
 * Where no worker can be made at all, children run on the calling thread.
 *
 * @example
 * ```ts
 * import { SpawnThread } from "./spawn_thread.ts";
 * const thread = new SpawnThread();
 * const out = await thread.run({
 *   command: "echo",
 *   args: ["hi"],
 *   env: { PATH: "/usr/bin:/bin" },
 *   detached: true,
 *   maxOutputBytes: 1024,
 *   maxErrorBytes: 1024,
 * }, { stop: new AbortController().signal });
 * console.assert(out.stdout === "hi\n");
 * thread.close();
 * ```
 */
export class SpawnThread {
  #worker: Worker | undefined;
  #unavailable = false;
  /** Whether the current worker has said anything: one that fails before never loaded. */
  #workerAnswered = false;
  #pending = new Map<number, Pending>();
  #nextId = 1;

  /** Runs `spec` to its end in the worker (see {@linkcode runChild}). */
  run(spec: ChildSpec, hooks: ChildHooks): Promise<ChildResult> {
    hooks.stop.throwIfAborted();
    const worker = this.#workerNow();
    if (!worker) return runChild(spec, hooks);
    const id = this.#nextId++;
    return new Promise<ChildResult>((resolve, reject) => {
      const onStop = () => this.#post({ type: "stop", id });
      hooks.stop.addEventListener("abort", onStop, { once: true });
      this.#pending.set(id, { resolve, reject, spec, hooks, onStop });
      this.#post({ type: "run", id, spec, stream: hooks.onChunk !== undefined });
    });
  }

  /** Ends the worker; children in flight are killed with their groups and fail. */
  close(): void {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) {
      // The worker knows every child it started, even one whose "started" has not reached
      // this thread yet: it kills them all, then it is ended.
      worker.postMessage({ type: "killAll" } satisfies ToSpawnWorker);
      const timer = setTimeout(() => worker.terminate(), 250);
      Deno.unrefTimer(timer);
    }
    this.#failAll("the spawn thread was closed");
  }

  #workerNow(): Worker | undefined {
    if (this.#worker || this.#unavailable) return this.#worker;
    try {
      const worker = new Worker(SPAWN_WORKER_MODULES[0].href, {
        type: "module",
      });
      worker.onmessage = (event: MessageEvent<FromSpawnWorker>) => {
        this.#workerAnswered = true;
        this.#receive(event.data);
      };
      worker.onerror = (event) => {
        // Handled here: an unhandled error of a worker would end the agent.
        event.preventDefault();
        if (this.#worker === worker) this.#worker = undefined;
        worker.terminate();
        if (!this.#workerAnswered) {
          // It never loaded (a sandbox that cannot read its module, a binary built without
          // it): nothing it was given has started. Those run here, and so does the rest.
          this.#unavailable = true;
          console.error(`steward: commands start on the agent's thread: ${event.message}`);
          this.#runHere();
          return;
        }
        this.#failAll(`the spawn thread failed: ${event.message}`);
      };
      this.#worker = worker;
      this.#workerAnswered = false;
    } catch {
      // No workers here: spawn on this thread.
      this.#unavailable = true;
    }
    return this.#worker;
  }

  #post(message: ToSpawnWorker): void {
    this.#worker?.postMessage(message);
  }

  #receive(message: FromSpawnWorker): void {
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    if (message.type === "started") {
      pending.pid = message.pid;
      pending.hooks.onStart?.(message.pid);
      return;
    }
    if (message.type === "chunk") {
      Promise.resolve(pending.hooks.onChunk?.(message.chunk)).catch((err) => {
        pending.chunkError ??= err instanceof Error ? err : new Error(String(err));
        this.#post({ type: "stop", id: message.id });
      }).finally(() => this.#post({ type: "more", id: message.id }));
      return;
    }
    this.#settle(message.id, pending);
    if (pending.chunkError) pending.reject(pending.chunkError);
    else if (message.type === "done") pending.resolve(message.result);
    else if (message.failure === "crashed") pending.reject(new Error(message.message));
    else pending.reject(new ChildStartError(message.failure, message.message));
  }

  #settle(id: number, pending: Pending): void {
    this.#pending.delete(id);
    pending.hooks.stop.removeEventListener("abort", pending.onStop);
  }

  #runHere(): void {
    for (const [id, pending] of [...this.#pending]) {
      this.#settle(id, pending);
      runChild(pending.spec, pending.hooks).then(pending.resolve, pending.reject);
    }
  }

  #failAll(reason: string): void {
    for (const [id, pending] of [...this.#pending]) {
      // The worker's children outlive it: end them and whatever they started.
      if (pending.pid !== undefined) killGroup(pending.pid, "SIGKILL");
      this.#settle(id, pending);
      pending.reject(new SpawnThreadGoneError(reason));
    }
  }
}
