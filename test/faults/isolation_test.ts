/**
 * Issue 5, point 5: a hanging method, a slow reply target and a flood of messages to one node
 * do not delay messages on other subjects; a small ring buffer pushes back on inputs instead of
 * dropping.
 */
import { assert, assertEquals } from "../assert.ts";
import { type Agent, Fleet, pongIds, readOr, waitFor } from "../harness.ts";
import { compare, figure, OPTS, sendPings } from "./support.ts";

/** Milliseconds from sending a ping into `central` to its pong line landing there. */
async function pingDelay(central: Agent, node: string): Promise<number> {
  const started = performance.now();
  const [id] = await sendPings(central, node, 1);
  await waitFor(async () => (await pongIds(central, node)).includes(id), 60_000, `pong ${id}`);
  return performance.now() - started;
}

async function pingDelays(central: Agent, node: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Math.round(await pingDelay(central, node)));
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Generous: the machine is shared; the point is "not held up for the length of the load".
const BOUND_MS = 10_000;

Deno.test(
  "isolation: hanging methods, a blocked reply target and a 3000-message flood leave pings prompt",
  OPTS,
  async () => {
    const fleet = await Fleet.start(["central", "ship1", "ship2"]);
    const central = fleet.get("central");
    const fifo = central.file("slow", "ship2", "out.txt");
    try {
      const baseline = await pingDelays(central, "ship1", 5);

      // Hanging methods on ship1: ten commands that sleep far longer than the test measures.
      const hanging = await central.send(Array.from({ length: 10 }, () => ({
        toNode: "ship1",
        method: "REQCliCommand",
        methodArgs: ["sleep", "40"],
        methodTimeout: 45,
        directory: "hang",
        fileName: "hang.txt",
      })));
      assert(hanging.every((a) => a.status === "accepted"));
      // A reply target that blocks: central's reply file is a FIFO nobody reads, so writing the
      // replies of ship2's commands hangs in central's REQToFileAppend.
      await Deno.mkdir(central.file("slow", "ship2", ""), { recursive: true });
      const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
      assert(mk.success, "mkfifo");
      const slow = await central.send(Array.from({ length: 5 }, () => ({
        toNode: "ship2",
        method: "REQCliCommand",
        methodArgs: ["echo", "blocked"],
        directory: "slow",
        fileName: "out.txt",
      })));
      assert(slow.every((a) => a.status === "accepted"));
      // A flood to ship2, sent from several connections at once while pings are measured.
      const FLOOD = 3000;
      const flood = Promise.all(
        Array.from({ length: 6 }, () =>
          central.send(Array.from({ length: FLOOD / 6 }, (_, i) => ({
            toNode: "ship2",
            method: "REQToFileAppend",
            data: `flood ${i}`,
            directory: "flood",
            fileName: "flood.txt",
            ACKTimeout: 30,
            retries: 5,
          })))),
      );
      const underLoad = await pingDelays(central, "ship1", 5);
      const floodAnswers = (await flood).flat();
      const floodFile = fleet.get("ship2").file("flood", "central", "flood.txt");
      const floodStarted = performance.now();
      await waitFor(
        async () => (await readOr(floodFile)).split("\n").length - 1 >= FLOOD,
        120_000,
        "the flood to land on ship2",
      );
      const afterFlood = await pingDelays(central, "ship1", 3);
      figure("isolation/load", {
        baselinePingMs: baseline,
        underLoadPingMs: underLoad,
        afterFloodPingMs: afterFlood,
        medianBaselineMs: median(baseline),
        medianUnderLoadMs: median(underLoad),
        floodSent: FLOOD,
        floodAccepted: floodAnswers.filter((a) => a.status === "accepted").length,
        floodLanded: (await readOr(floodFile)).split("\n").length - 1,
        floodLandSeconds: Math.round(performance.now() - floodStarted) / 1000,
        hangingCommands: hanging.length,
        blockedReplies: slow.length,
      });
      assertEquals(floodAnswers.filter((a) => a.status === "accepted").length, FLOOD);
      assertEquals((await readOr(floodFile)).split("\n").length - 1, FLOOD);
      for (const ms of underLoad) assert(ms < BOUND_MS, `ping took ${ms} ms under load`);
    } finally {
      // Unblock the FIFO so central can stop cleanly.
      const reader = new Deno.Command("timeout", { args: ["5", "cat", fifo], stdout: "null" })
        .spawn();
      await fleet.stop();
      await reader.status;
    }
  },
);

Deno.test(
  "isolation: -ringBufferSize=4 pushes back on five concurrent senders; all 500 pings land",
  OPTS,
  async () => {
    const fleet = await Fleet.start(["central", "ship1"], {
      flags: { central: ["-ringBufferSize=4"] },
    });
    try {
      const central = fleet.get("central");
      const started = performance.now();
      const batches = await Promise.all(
        Array.from({ length: 5 }, () => sendPings(central, "ship1", 100, {}, 100)),
      );
      const acceptMs = performance.now() - started;
      const ids = batches.flat();
      await waitFor(
        async () => (await pongIds(central, "ship1")).length >= ids.length,
        120_000,
        "every pong",
      );
      const landed = await pongIds(central, "ship1");
      const c = compare(ids, landed);
      figure("isolation/small-ring", {
        ringBufferSize: 4,
        sent: 500,
        accepted: ids.length,
        pongs: landed.length,
        lost: c.lost.length,
        twice: c.twice.length,
        acceptAllMs: Math.round(acceptMs),
        landAllMs: Math.round(performance.now() - started),
      });
      assertEquals(ids.length, 500);
      assertEquals(c.lost, []);
      assertEquals(c.twice, []);
    } finally {
      await fleet.stop();
    }
  },
);
