import { assertEquals, assertRejects } from "../../test/assert.ts";
import { Executor, ExecutorStoppedError, maxConcurrentMethods } from "./executor.ts";

/** A task that runs until the test settles it. */
function gate() {
  const d = Promise.withResolvers<void>();
  return { task: () => d.promise, open: () => d.resolve(), fail: (e: Error) => d.reject(e) };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("Executor.run() never runs more than maxConcurrent tasks at once", async () => {
  const pool = new Executor<number>({ maxConcurrent: 3 });
  let now = 0;
  let peak = 0;
  const all = Array.from({ length: 50 }, (_, i) =>
    pool.run(i, async () => {
      now++;
      peak = Math.max(peak, now);
      await tick();
      now--;
    }));
  await Promise.all(all);
  assertEquals(peak, 3);
  assertEquals([pool.running, pool.queued], [0, 0]);
});

Deno.test("Executor.run() starts queued jobs in the order they were given", async () => {
  const pool = new Executor<number>({ maxConcurrent: 1 });
  const started: number[] = [];
  const first = gate();
  const head = pool.run(0, () => (started.push(0), first.task()));
  const rest = [1, 2, 3, 4].map((i) => pool.run(i, () => (started.push(i), Promise.resolve())));
  assertEquals(pool.queuedJobs(), [1, 2, 3, 4]);
  first.open();
  await Promise.all([head, ...rest]);
  assertEquals(started, [0, 1, 2, 3, 4]);
});

Deno.test("Executor counts running and queued jobs and reports each queue wait", async () => {
  let clock = 100;
  const waits: number[] = [];
  const pool = new Executor<string>({
    maxConcurrent: 2,
    now: () => clock,
    observer: { waited: (ms) => waits.push(ms) },
  });
  const a = gate();
  const b = gate();
  const runs = [pool.run("a", a.task), pool.run("b", b.task), pool.run("c", () => tick())];
  assertEquals([pool.running, pool.queued], [2, 1]);
  clock = 350;
  a.open();
  await runs[0];
  await runs[2];
  assertEquals([pool.running, pool.queued], [1, 0]);
  assertEquals(waits, [0, 0, 250]);
  b.open();
  await runs[1];
  assertEquals([pool.running, pool.queued], [0, 0]);
});

Deno.test("Executor.stop() rejects queued jobs unrun, lets running ones end", async () => {
  const pool = new Executor<number>({ maxConcurrent: 1 });
  const ran: number[] = [];
  const first = gate();
  const head = pool.run(0, () => (ran.push(0), first.task()));
  const queued = [1, 2].map((i) => pool.run(i, () => (ran.push(i), Promise.resolve())));
  pool.stop("node stopping");
  for (const q of queued) {
    const err = await assertRejects(() => q, /node stopping/);
    assertEquals(err instanceof ExecutorStoppedError, true);
  }
  assertEquals(pool.queued, 0);
  await assertRejects(() => pool.run(3, () => Promise.resolve()), /node stopping/);
  first.open();
  await head;
  assertEquals(ran, [0]);
  assertEquals(pool.running, 0);
});

Deno.test("Executor.run() with its signal aborted while queued leaves the queue unrun", async () => {
  const pool = new Executor<number>({ maxConcurrent: 1 });
  const ran: number[] = [];
  const first = gate();
  const head = pool.run(0, () => (ran.push(0), first.task()));
  const stop = new AbortController();
  const cancelled = pool.run(1, () => (ran.push(1), Promise.resolve()), { signal: stop.signal });
  const after = pool.run(2, () => (ran.push(2), Promise.resolve()));
  stop.abort(new Error("stopped by operator"));
  await assertRejects(() => cancelled, /stopped by operator/);
  assertEquals([pool.running, pool.queued], [1, 1]);
  first.open();
  await Promise.all([head, after]);
  assertEquals(ran, [0, 2]);
  assertEquals([pool.running, pool.queued], [0, 0]);
});

Deno.test("Executor: a stuck task holds one slot; the others keep running past it", async () => {
  const pool = new Executor<number>({ maxConcurrent: 2 });
  const stuck = gate();
  const held = pool.run(0, stuck.task);
  const done: number[] = [];
  await Promise.all(
    Array.from({ length: 20 }, (_, i) => pool.run(i + 1, () => (done.push(i + 1), tick()))),
  );
  assertEquals(done.length, 20);
  assertEquals([pool.running, pool.queued], [1, 0]);
  stuck.fail(new Error("methodTimeout reached"));
  await assertRejects(() => held, /methodTimeout reached/);
  assertEquals(pool.running, 0);
});

Deno.test("Executor: beforeStart runs with the slot held, before the task", async () => {
  const events: string[] = [];
  const pool = new Executor<string>({
    maxConcurrent: 1,
    beforeStart: async (job) => {
      events.push(`started ${job} (running ${pool.running})`);
      await tick();
      if (job === "bad") throw new Error("cannot record started");
    },
  });
  await pool.run("ok", () => (events.push("task ok"), Promise.resolve()));
  await assertRejects(
    () => pool.run("bad", () => (events.push("task bad"), Promise.resolve())),
    /cannot record started/,
  );
  assertEquals(events, ["started ok (running 1)", "task ok", "started bad (running 1)"]);
  assertEquals(pool.running, 0);
});

Deno.test("Executor refuses a bound below 1", () => {
  let thrown = "";
  try {
    new Executor({ maxConcurrent: 0 });
  } catch (err) {
    thrown = (err as Error).name;
  }
  assertEquals(thrown, "RangeError");
});

Deno.test("maxConcurrentMethods() sizes 0 to the machine, keeps a value given", () => {
  assertEquals(
    [maxConcurrentMethods(0, 1), maxConcurrentMethods(0, 2), maxConcurrentMethods(0, 8)],
    [16, 16, 32],
  );
  assertEquals(maxConcurrentMethods(3, 64), 3);
});
