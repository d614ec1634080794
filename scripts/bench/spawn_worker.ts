/**
 * A worker for spawn_off_thread.ts: runs `n` `echo x` spawns, `c` at once, and posts the
 * milliseconds they took.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { runBounded } from "./cli_workload.ts";

self.onmessage = async (e: MessageEvent<{ n: number; c: number }>) => {
  const t0 = performance.now();
  await runBounded(e.data.n, e.data.c, () => new Deno.Command("echo", { args: ["x"] }).output());
  self.postMessage(performance.now() - t0);
};
