/**
 * One spawn thread per process, shared by every node the process runs: an agent runs one node,
 * but a process hosting hundreds (the scale benchmark, a test fleet) would otherwise start a
 * worker, with its own V8 isolate, per node.
 *
 * @module
 */
import type { ChildHooks, ChildResult, ChildSpec } from "./child_run.ts";
import { SpawnThread } from "./spawn_thread.ts";

/** What a node spawns its commands through (see {@linkcode sharedSpawnThread}). */
export interface SpawnRunner {
  /** Runs `spec` to its end (see `runChild`). */
  run(spec: ChildSpec, hooks: ChildHooks): Promise<ChildResult>;
  /** Stops this user's children; the thread ends with its last user. */
  close(): void;
}

let shared: SpawnThread | undefined;
let users = 0;

/**
 * A handle on the process's spawn thread. Closing it stops the children started through it
 * (their whole groups, as a methodTimeout does); the thread itself is closed, killing anything
 * left, when its last handle closes.
 *
 * @example
 * ```ts
 * import { sharedSpawnThread } from "./shared_spawn_thread.ts";
 * const a = sharedSpawnThread();
 * const b = sharedSpawnThread(); // the same worker
 * const out = await a.run({
 *   command: "echo",
 *   args: ["hi"],
 *   env: { PATH: "/usr/bin:/bin" },
 *   detached: true,
 *   maxOutputBytes: 1024,
 *   maxErrorBytes: 1024,
 * }, { stop: new AbortController().signal });
 * console.assert(out.stdout === "hi\n");
 * a.close();
 * b.close(); // the last: the worker ends
 * ```
 */
export function sharedSpawnThread(): SpawnRunner {
  shared ??= new SpawnThread();
  const thread = shared;
  users++;
  const running = new Set<AbortController>();
  let closed = false;
  return {
    async run(spec, hooks) {
      if (closed) throw new Error("the spawn thread was closed");
      const own = new AbortController();
      running.add(own);
      try {
        return await thread.run(spec, {
          ...hooks,
          stop: AbortSignal.any([hooks.stop, own.signal]),
        });
      } finally {
        running.delete(own);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      for (const own of running) own.abort(new Error("the spawn thread was closed"));
      if (--users === 0 && shared === thread) {
        shared = undefined;
        thread.close();
      }
    },
  };
}
