/**
 * `deno run -A scripts/bench/spawn_off_thread.ts [spawns]`: how long a thread is blocked while
 * `echo x` spawns run 16 at once, on that thread or in one or two workers. `Deno.Command`'s spawn
 * op is synchronous, so spawns on an agent's thread hold up everything else it does; the gap
 * between turns of a `setTimeout(0)` loop on the main thread shows it (about 4 ms when nothing
 * blocks, Deno's clamp for nested timers).
 *
 * @module
 */
import { runBounded } from "./cli_workload.ts";

const N = Number(Deno.args[0] ?? 500);
const C = 16;

/** Runs `work` while measuring the gaps between turns of a timer loop on this thread. */
async function withGaps(work: () => Promise<number>) {
  const gaps: number[] = [];
  let last = performance.now();
  let on = true;
  const tick = () => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
    if (on) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  const ms = await work();
  on = false;
  return { ms, worst: Math.max(...gaps), mean: gaps.reduce((a, b) => a + b, 0) / gaps.length };
}

async function onThisThread(): Promise<number> {
  const t0 = performance.now();
  await runBounded(N, C, () => new Deno.Command("echo", { args: ["x"] }).output());
  return performance.now() - t0;
}

function inWorkers(k: number) {
  return async (): Promise<number> => {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: k }, () =>
      new Promise<void>((resolve) => {
        const w = new Worker(new URL("./spawn_worker.ts", import.meta.url), { type: "module" });
        w.onmessage = () => {
          w.terminate();
          resolve();
        };
        w.postMessage({ n: N / k, c: C / k });
      })));
    return performance.now() - t0;
  };
}

for (let round = 0; round < 2; round++) {
  for (
    const [label, work] of [
      ["this thread", onThisThread],
      ["1 worker", inWorkers(1)],
      ["2 workers", inWorkers(2)],
    ] as const
  ) {
    const r = await withGaps(work);
    console.log(
      `${label}: ${N} spawns in ${r.ms.toFixed(0)} ms; gap between timer turns here: ` +
        `mean ${r.mean.toFixed(1)} ms, worst ${r.worst.toFixed(0)} ms`,
    );
  }
}
