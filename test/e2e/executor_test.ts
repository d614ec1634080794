/**
 * End-to-end tests of the executor (`-maxConcurrentMethods`): the bound holds for real command
 * processes, queued commands wait in order and are listed, and quick methods never wait behind
 * commands. Real nats-server and agent processes.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { delay, Fleet, freePort, readOr, waitFor } from "../harness.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Reads one sample of a Prometheus gauge or counter from `/metrics` (NaN when absent). */
async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : NaN;
}

/** VmHWM of process `pid` in MB (Linux). */
async function peakMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

Deno.test(
  "executor: 10 000 commands in one array run at most -maxConcurrentMethods at once, each " +
    "answered exactly once, with ship1's memory bounded",
  opts,
  async () => {
    const bound = 8;
    const count = 10_000;
    const port = freePort();
    const fleet = await Fleet.start(["central", "ship1"], {
      flags: { ship1: [`-maxConcurrentMethods=${bound}`, `-promHostAndPort=127.0.0.1:${port}`] },
    });
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;
    try {
      const central = fleet.get("central");
      const ship1 = fleet.get("ship1");
      // Each command appends "s" to the log once its process runs and "e" before it exits
      // (appends are atomic and in time order): the most "s" not yet matched by an "e" is a
      // lower bound of the command processes alive at once.
      const lifetimes = join(ship1.dir, "lifetimes.log");
      const script = (i: number, sleep: boolean) =>
        `echo s >> ${lifetimes}; ${sleep ? "sleep 1; " : ""}echo c${i}; echo e >> ${lifetimes}`;
      const messages = Array.from({ length: count }, (_, i) => ({
        toNode: "ship1",
        method: "REQCliCommand",
        // The first ones hold their slots for a second: the pool is surely full while sampled.
        methodArgs: ["sh", "-c", script(i, i < 2 * bound)],
        directory: "flood",
        fileName: "flood.log",
        methodTimeout: 600,
      }));
      const answers = await central.send(messages);
      assertEquals(answers.filter((a) => a.status === "accepted").length, count);

      const file = central.file("flood", "ship1", "flood.log");
      let peakRunning = 0;
      let peakQueued = 0;
      let lines = 0;
      const deadline = Date.now() + 600_000;
      while (lines < count) {
        assert(Date.now() < deadline, `only ${lines} of ${count} replies after 600 s`);
        peakRunning = Math.max(peakRunning, await metric(metricsUrl, "steward_executor_running"));
        peakQueued = Math.max(peakQueued, await metric(metricsUrl, "steward_executor_queued"));
        lines = (await readOr(file)).split("\n").length - 1;
        await delay(100);
      }
      let alive = 0;
      let peakProcesses = 0;
      for (const mark of (await Deno.readTextFile(lifetimes)).split("\n")) {
        alive += mark === "s" ? 1 : mark === "e" ? -1 : 0;
        peakProcesses = Math.max(peakProcesses, alive);
      }
      assertEquals(alive, 0);
      console.log(
        `  peak: ${peakProcesses} command processes, executor running ${peakRunning}, ` +
          `queued ${peakQueued}; ship1 VmHWM ${(await peakMb(ship1.pid!)).toFixed(0)} MB`,
      );
      assert(peakProcesses <= bound, `${peakProcesses} command processes at once`);
      assertEquals(peakProcesses, bound); // The sleeping ones fill the pool.
      assert(peakRunning <= bound, `executor_running reached ${peakRunning}`);
      assert(peakQueued > 0, "commands waited in the queue");

      // Every command answered exactly once, with its own output.
      await delay(500); // A duplicate would land right after the last line.
      const seen = new Map<string, number>();
      for (const line of (await readOr(file)).split("\n")) {
        if (line !== "") seen.set(line, (seen.get(line) ?? 0) + 1);
      }
      assertEquals(seen.size, count);
      for (let i = 0; i < count; i++) assertEquals(seen.get(`c${i}`), 1, `c${i}`);
      assertEquals(await central.errorLog("ship1"), "");
      assertEquals(await metric(metricsUrl, "steward_executor_queued"), 0);
      assertEquals(await metric(metricsUrl, "steward_executor_queue_wait_seconds_count"), count);
      // The queue holds messages, not processes (249 MB measured with all 10 000 queued at once):
      // a bound that catches a process or buffer kept per queued command.
      const peak = await peakMb(ship1.pid!);
      assert(peak < 350, `ship1 VmHWM ${peak.toFixed(0)} MB`);
    } finally {
      await fleet.stop();
    }
  },
);

Deno.test(
  "executor: with its slot taken, a ping is answered at once, a queued command is listed as " +
    "queued and, stopped by id, is answered with an error and never runs",
  opts,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"], {
      flags: { ship1: ["-maxConcurrentMethods=1"] },
    });
    try {
      const central = fleet.get("central");
      const ship1 = fleet.get("ship1");
      const ran = join(ship1.dir, "ran");
      const [long] = await central.send({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["sh", "-c", "sleep 30; echo long"],
        directory: "q",
        fileName: "long.log",
        methodTimeout: 60,
      });
      const [waiting] = await central.send({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["sh", "-c", `echo > ${ran}; echo waited`],
        directory: "q",
        fileName: "waiting.log",
      });
      await central.send({ toNode: "ship1", method: "REQPing", directory: "q", fileName: "pong" });
      assertMatch(await waitFor(() => readOr(central.file("q", "ship1", "pong")), 10_000), /pong/i);

      // REQOpProcessList is not pooled either: it answers while the slot is taken.
      await central.send({
        toNode: "ship1",
        method: "REQOpProcessList",
        directory: "q",
        fileName: "ps.log",
      });
      type Proc = { id: number; kind: string; name: string; state?: string; queuedAt?: string };
      const procs = (await waitFor(() => readOr(central.file("q", "ship1", "ps.log")), 10_000))
        .trim().split("\n").map((l) => JSON.parse(l) as Proc);
      const running = procs.find((p) => p.name === `REQCliCommand ${long.id}`);
      const queued = procs.find((p) => p.name === `REQCliCommand ${waiting.id}`);
      assertEquals(running?.state, "running");
      assertEquals(queued?.state, "queued");

      await central.send({
        toNode: "ship1",
        method: "REQOpProcessStop",
        methodArgs: ["REQCliCommand", "ship1", "method", String(queued!.id)],
        directory: "q",
        fileName: "stop.log",
      });
      assertMatch(
        await waitFor(() => readOr(central.file("q", "ship1", "waiting.log")), 10_000),
        /^ERROR from ship1 \(REQCliCommand \S+\): not started: stopped by REQOpProcessStop/,
      );
      assertEquals(await readOr(ran), "");
      assertEquals(await readOr(central.file("q", "ship1", "long.log")), "");
    } finally {
      await fleet.stop();
    }
  },
);
