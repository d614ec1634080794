/**
 * Messages between a {@linkcode SpawnThread} (`spawn_thread.ts`) and its worker
 * (`spawn_worker.ts`).
 *
 * @module
 */
import type { ChildResult, ChildSpec, StartFailure } from "./child_run.ts";

/** From the agent's thread to the spawn worker. */
export type ToSpawnWorker =
  /** Start a child; with `stream`, stdout comes back chunk by chunk. */
  | { type: "run"; id: number; spec: ChildSpec; stream: boolean }
  /** Stop child `id` (its deadline passed or it was cancelled). */
  | { type: "stop"; id: number }
  /** The last chunk of child `id` was taken: read the next (backpressure). */
  | { type: "more"; id: number }
  /** The thread is closing: kill every child's group now (the worker is terminated next). */
  | { type: "killAll" };

/** From the spawn worker to the agent's thread. */
export type FromSpawnWorker =
  /** Child `id` started as process `pid` (the agent kills its group if the worker dies). */
  | { type: "started"; id: number; pid: number }
  | { type: "chunk"; id: number; chunk: Uint8Array }
  | { type: "done"; id: number; result: ChildResult }
  | { type: "failed"; id: number; failure: StartFailure | "crashed"; message: string };
