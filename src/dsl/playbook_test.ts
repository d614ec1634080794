import { assertEquals, assertRejects } from "../../test/assert.ts";
import { type CronRegister, playbook } from "./playbook.ts";

/** A cron that records jobs instead of waiting for the clock: the test fires them. */
function fakeCron() {
  const jobs: { name: string; schedule: string; fire: () => Promise<void> | void }[] = [];
  const cron: CronRegister = (name, schedule, options, handler) => {
    jobs.push({ name, schedule, fire: handler });
    return new Promise((resolve) => options.signal?.addEventListener("abort", () => resolve()));
  };
  return { cron, jobs };
}

Deno.test("playbook() checks its name and schedule", async () => {
  await assertRejects(() => playbook({ name: "a.b", run() {} }), /Invalid playbook name/);
  await assertRejects(
    () => playbook({ name: "x", schedule: "every minute", run() {} }),
    /Invalid schedule "every minute"/,
  );
  assertEquals(playbook({ name: "x", schedule: "*/5  * * * *", run() {} }).schedule, "*/5 * * * *");
});

Deno.test("scheduled() runs the playbook on each tick and skips a tick while it still runs", async () => {
  const { cron, jobs } = fakeCron();
  const stop = new AbortController();
  let runs = 0;
  let release = () => {};
  const pb = playbook({
    name: "slow one",
    schedule: "* * * * *",
    async run() {
      runs++;
      await new Promise<void>((r) => release = r);
    },
  });
  let skipped = 0;
  const errors: unknown[] = [];
  const registered = pb.scheduled({
    cron,
    // A TCP endpoint is not dialled until a request is sent; this playbook sends none.
    endpoint: { tcp: "127.0.0.1:9" },
    signal: stop.signal,
    onSkip: () => skipped++,
    onError: (e) => errors.push(e),
  });
  assertEquals(jobs.map((j) => [j.name, j.schedule]), [["slow one", "* * * * *"]]);
  const started = async (n: number) => {
    while (runs < n) await new Promise((r) => setTimeout(r, 1));
  };
  const first = jobs[0].fire();
  await started(1);
  await jobs[0].fire(); // Due while the first run is still running: skipped.
  assertEquals([runs, skipped], [1, 1]);
  release();
  await first;
  const second = jobs[0].fire();
  await started(2);
  release();
  await second;
  assertEquals([runs, skipped, errors.length], [2, 1, 0]);
  stop.abort();
  await registered;
});

Deno.test("scheduled() reports a failed run and keeps the schedule", async () => {
  const { cron, jobs } = fakeCron();
  const stop = new AbortController();
  const errors: string[] = [];
  const registered = playbook({
    name: "broken",
    schedule: "0 * * * *",
    run() {
      throw new Error("broken on purpose");
    },
  }).scheduled({
    cron,
    endpoint: { tcp: "127.0.0.1:9" },
    signal: stop.signal,
    onError: (e) => errors.push((e as Error).message),
  });
  await jobs[0].fire();
  await jobs[0].fire();
  assertEquals(errors, ["broken on purpose", "broken on purpose"]);
  stop.abort();
  await registered;
});

Deno.test("scheduled() without a schedule says why", async () => {
  await assertRejects(() => playbook({ name: "x", run() {} }).scheduled(), /has no schedule/);
});
