import { assert, assertEquals, assertRejects } from "../../test/assert.ts";
import { InvalidMessageError } from "./errors.ts";
import { hasRollout, planRollout, RolloutScheduler } from "./rollout.ts";

const names = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);

/**
 * Drives a scheduler to the end: every running node finishes (in start order) before the next
 * step, failing when `fails` names it. Returns the nodes started at each step.
 */
function drive(s: RolloutScheduler, fails: ReadonlySet<string> = new Set()): string[][] {
  const steps: string[][] = [];
  let now = 0;
  for (let guard = 0; guard < 1000 && !s.done; guard++) {
    const step = s.next(now);
    if (step.start.length === 0 && step.wakeAt !== undefined) {
      now = step.wakeAt;
      continue;
    }
    steps.push([...step.start]);
    for (const n of step.start) s.finished(n, !fails.has(n), now);
  }
  return steps;
}

Deno.test("planRollout() resolves a percentage of the nodes, at least one", () => {
  assertEquals(planRollout({ maxConcurrency: "10%" }, 1000).window, 100);
  assertEquals(planRollout({ maxConcurrency: "10%" }, 5).window, 1);
  assertEquals(planRollout({ maxConcurrency: "2.5%" }, 200).window, 5);
  assertEquals(planRollout({ maxConcurrency: "100%" }, 7).window, 7);
});

Deno.test("planRollout() defaults to all at once, no error limit and no canary", () => {
  assertEquals(planRollout({}, 30), { window: 30, maxErrors: Infinity, canary: 0 });
  assertEquals(planRollout({ maxConcurrency: 50 }, 30).window, 30);
});

Deno.test("planRollout() refuses values that are not whole counts or percentages", async () => {
  const bad = [
    { maxConcurrency: 0 },
    { maxConcurrency: 1.5 },
    { maxConcurrency: "0%" as const },
    { maxConcurrency: "150%" as const },
    { maxConcurrency: "ten" as unknown as "10%" },
    { maxErrors: 0 },
    { canary: -1 },
    { pauseMs: -5 },
    { maxErrors: "5" as unknown as number },
  ];
  for (const options of bad) {
    const err = await assertRejects(() => planRollout(options, 10));
    assert(err instanceof InvalidMessageError, `${JSON.stringify(options)}: ${err.message}`);
  }
  await assertRejects(
    () => planRollout({ maxConcurrency: "150%" }, 10),
    /^maxConcurrency must be a count or a percentage above 0 and at most 100 such as "10%", got "150%"$/,
  );
  await assertRejects(
    () => planRollout({ canary: -1 }, 10),
    /^canary must be a whole number of at least 1, got -1$/,
  );
});

Deno.test("hasRollout() is true only when a rate control is given", () => {
  assertEquals(hasRollout({}), false);
  assertEquals(hasRollout({ timeoutMs: 5 }), false);
  assertEquals(hasRollout({ maxErrors: 1 }), true);
  assertEquals(hasRollout({ pauseMs: 0 }), true);
});

Deno.test("RolloutScheduler keeps at most maxConcurrency nodes running, filling freed slots", () => {
  const s = new RolloutScheduler(names(5), planRollout({ maxConcurrency: 2 }, 5));
  assertEquals(s.next(0).start, ["n1", "n2"]);
  assertEquals(s.next(0).start, []);
  s.finished("n2", true);
  assertEquals(s.next(0).start, ["n3"]);
  s.finished("n1", true);
  s.finished("n3", true);
  assertEquals(s.next(0).start, ["n4", "n5"]);
  s.finished("n4", true);
  s.finished("n5", true);
  assertEquals(s.done, true);
  assertEquals(s.notStarted, []);
});

Deno.test("RolloutScheduler runs the canary first and the rest only once every canary succeeded", () => {
  const s = new RolloutScheduler(names(6), planRollout({ canary: 2, maxConcurrency: 3 }, 6));
  assertEquals(s.next(0).start, ["n1", "n2"]);
  s.finished("n1", true);
  assertEquals(s.next(0).start, [], "waits for the whole canary");
  s.finished("n2", true);
  assertEquals(s.next(0).start, ["n3", "n4", "n5"]);
});

Deno.test("RolloutScheduler stops when a canary node fails; the rest never start", () => {
  const s = new RolloutScheduler(names(5), planRollout({ canary: 2 }, 5));
  assertEquals(s.next(0).start, ["n1", "n2"]);
  s.finished("n2", false);
  s.finished("n1", true);
  assertEquals(s.next(0).start, []);
  assertEquals(s.done, true);
  assertEquals(s.stopReason, "canary node n2 failed");
  assertEquals(s.notStarted, ["n3", "n4", "n5"]);
});

Deno.test("RolloutScheduler starts no node after maxErrors failures; running ones finish", () => {
  const s = new RolloutScheduler(names(6), planRollout({ maxConcurrency: 3, maxErrors: 2 }, 6));
  assertEquals(s.next(0).start, ["n1", "n2", "n3"]);
  s.finished("n1", false);
  assertEquals(s.next(0).start, ["n4"]);
  s.finished("n2", false);
  assertEquals(s.next(0).start, []);
  assertEquals(s.done, false, "n3 and n4 still run");
  s.finished("n3", true);
  s.finished("n4", true);
  assertEquals(s.done, true);
  assertEquals(s.stopReason, "2 failed, the most allowed (maxErrors 2)");
  assertEquals(s.notStarted, ["n5", "n6"]);
});

Deno.test("RolloutScheduler with pauseMs runs whole batches with the pause between them", () => {
  const s = new RolloutScheduler(
    names(5),
    planRollout({ canary: 1, maxConcurrency: 2, pauseMs: 100 }, 5),
  );
  assertEquals(s.next(0).start, ["n1"]);
  s.finished("n1", true, 10);
  assertEquals(s.next(50), { start: [], wakeAt: 110 });
  assertEquals(s.next(110).start, ["n2", "n3"]);
  s.finished("n2", true, 200);
  assertEquals(s.next(400).start, [], "the batch is not over");
  s.finished("n3", true, 500);
  assertEquals(s.next(550), { start: [], wakeAt: 600 });
  assertEquals(s.next(600).start, ["n4", "n5"]);
});

Deno.test("RolloutScheduler: canary 10, then 10% at a time, maxErrors 5, five failing nodes", () => {
  const nodes = names(200);
  const fails = new Set(["n30", "n31", "n60", "n61", "n62"]);
  const s = new RolloutScheduler(
    nodes,
    planRollout({ canary: 10, maxConcurrency: "10%", maxErrors: 5 }, 200),
  );
  const steps = drive(s, fails);
  assertEquals(steps[0], names(10));
  assertEquals(steps[1], nodes.slice(10, 30));
  assertEquals(s.stopReason, "5 failed, the most allowed (maxErrors 5)");
  // The fifth failure, n62, is in the window n51-n70: nothing after it starts.
  assertEquals(s.notStarted, nodes.slice(70));
});

Deno.test("RolloutScheduler with fewer nodes than the canary runs them all as the canary", () => {
  const s = new RolloutScheduler(names(2), planRollout({ canary: 5 }, 2));
  assertEquals(drive(s), [["n1", "n2"]]);
  assertEquals(s.done, true);
});
