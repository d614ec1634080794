import { assertEquals } from "../../test/assert.ts";
import { FanOutProgress } from "./fan_out_progress.ts";
import { type NodeOutcome, rollOut } from "./roll_out.ts";
import { planRollout } from "./rollout.ts";

const quiet = { isTerminal: () => false, writeSync: (b: Uint8Array) => b.length };

/** Runs that the test ends by hand, one node at a time. */
function manualRuns() {
  const running = new Map<string, (o: NodeOutcome) => void>();
  const started: string[] = [];
  return {
    started,
    running,
    runNode: (node: string, emit: (line: string) => void) =>
      new Promise<NodeOutcome>((resolve) => {
        started.push(node);
        emit(`${node} started`);
        running.set(node, resolve);
      }),
    end(node: string, ok: boolean) {
      running.get(node)!({ ok, ...(ok ? {} : { error: "boom" }) });
      running.delete(node);
    },
  };
}

Deno.test("rollOut() starts nodes as the plan allows and yields what they emit", async () => {
  const runs = manualRuns();
  const nodes = ["a", "b", "c", "d"];
  const gen = rollOut(nodes, planRollout({ canary: 1, maxConcurrency: 2 }, 4), {
    runNode: runs.runNode,
    progress: new FanOutProgress(4, quiet),
  });
  assertEquals((await gen.next()).value, "a started");
  assertEquals(runs.started, ["a"]);
  runs.end("a", true);
  assertEquals((await gen.next()).value, "b started");
  assertEquals((await gen.next()).value, "c started");
  assertEquals(runs.started, ["a", "b", "c"]);
  runs.end("c", true);
  assertEquals((await gen.next()).value, "d started");
  runs.end("b", true);
  runs.end("d", false);
  const end = await gen.next();
  assertEquals(end.done, true);
  assertEquals(end.value, {
    outcomes: new Map([["a", { ok: true }], ["c", { ok: true }], ["b", { ok: true }], [
      "d",
      { ok: false, error: "boom" },
    ]]),
    notStarted: [],
  });
});

Deno.test("rollOut() counts a run that throws as a failure and stops at maxErrors", async () => {
  const gen = rollOut<never>(["a", "b", "c"], planRollout({ maxConcurrency: 1, maxErrors: 1 }, 3), {
    runNode: () => Promise.reject(new Error("agent refused")),
    progress: new FanOutProgress(3, quiet),
  });
  const end = await gen.next();
  assertEquals(end.value, {
    outcomes: new Map([["a", { ok: false, error: "agent refused" }]]),
    notStarted: ["b", "c"],
    stopReason: "1 failed, the most allowed (maxErrors 1)",
  });
});

Deno.test("rollOut() stops starting nodes when the caller's signal aborts", async () => {
  const runs = manualRuns();
  const stop = new AbortController();
  const gen = rollOut(["a", "b"], planRollout({ maxConcurrency: 1 }, 2), {
    runNode: runs.runNode,
    progress: new FanOutProgress(2, quiet),
    signal: stop.signal,
  });
  assertEquals((await gen.next()).value, "a started");
  stop.abort();
  const end = await gen.next();
  assertEquals(end.value, {
    outcomes: new Map(),
    notStarted: ["b"],
    stopReason: "the caller stopped waiting",
  });
  runs.end("a", true);
});
