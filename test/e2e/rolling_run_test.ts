/**
 * Issue 17, part 3: rolling runs from a playbook against a real fleet. A central agent process
 * and 200 nodes (STEWARD_ROLLING_NODES), each a real `Node` with its own key, KV and connection, packed in four host
 * processes or more (scripts/bench/node_hosts.ts); five of the names have no agent behind them, so their
 * messages fail once their retries run out.
 */
import { assert, assertEquals } from "../assert.ts";
import { Agent, Broker } from "../harness.ts";
import { OPTS } from "../faults/support.ts";
import { startNodeHosts } from "../../scripts/bench/node_hosts.ts";
import { connect, type RunResult, toNodes } from "../../mod.ts";

// STEWARD_ROLLING_NODES=1000 runs the same test on a bigger fleet (not in the suite: minutes).
const NODES = Number(Deno.env.get("STEWARD_ROLLING_NODES") ?? 200);
const names = Array.from({ length: NODES }, (_, i) => `node${String(i + 1).padStart(4, "0")}`);
// Down: no agent answers for them. The fifth one is far enough in that nodes after it remain.
const down = ["node0050", "node0070", "node0090", "node0110", "node0130"];

function recorder() {
  let text = "";
  return {
    isTerminal: () => false,
    writeSync: (bytes: Uint8Array) => {
      text += new TextDecoder().decode(bytes);
      return bytes.length;
    },
    text: () => text,
  };
}

/** The most results whose [started, finished) spans overlap at one moment. */
function mostAtOnce(results: readonly RunResult[]): number {
  const edges = results.flatMap((r) => [
    [r.timings.startedAt, 1],
    [r.timings.finishedAt, -1],
  ]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, now += d);
  return most;
}

Deno.test(
  `rolling run: canary 10, then 10% at a time, maxErrors 5 with five nodes down, on ${NODES} real nodes`,
  OPTS,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "steward-rolling-" });
    const broker = await Broker.start();
    const hosts = await startNodeHosts(
      names.filter((n) => !down.includes(n)),
      Math.max(4, Math.ceil(NODES / 125)),
      broker.address,
      dir,
      "central",
    );
    const central = await Agent.start("central", { broker: broker.address });
    try {
      const steward = await connect({ socket: central.socket });
      const progress = recorder();
      // No retries: a down node fails at once (no responders), whatever the machine's load,
      // while an up node has all of a long ACKTimeout to answer.
      const request = toNodes(names).cli(["hostname"]).timeout({ ack: 60, retries: 0 });
      const results = await steward.run(request, {
        canary: 10,
        maxConcurrency: "10%",
        maxErrors: 5,
        progress,
      });
      steward.close();

      assertEquals(results.map((r) => r.node), names, "one result per node, in target order");
      const started = results.filter((r) => !r.notStarted);
      const notStarted = results.filter((r) => r.notStarted);
      // Five failures stop the run: exactly the five nodes down failed, every other started
      // node ran the command.
      const failed = started.filter((r) => !r.ok);
      assertEquals(
        failed.map((r) => r.node),
        down,
        failed.filter((r) => !down.includes(r.node)).map((r) => `${r.node}: ${r.error}`).join("\n"),
      );
      const hostname = Deno.hostname();
      for (const r of started.filter((r) => !down.includes(r.node))) {
        assertEquals([r.node, r.ok, r.output.trim()], [r.node, true, hostname]);
      }
      // What never started is the tail of the list, and is named as such.
      assert(notStarted.length > 0, "the run stopped before the end");
      assertEquals(results.slice(started.length).map((r) => r.node), notStarted.map((r) => r.node));
      assert(started.length > names.indexOf("node0130"), "every node up to the fifth failure ran");
      for (const r of notStarted) {
        assertEquals(
          r.error,
          "never started: the run stopped early (5 failed, the most allowed (maxErrors 5))",
        );
      }
      // The canary ran first, alone; the rest started only once all ten had succeeded.
      const canary = results.slice(0, 10);
      assert(canary.every((r) => r.ok));
      const canaryDone = Math.max(...canary.map((r) => r.timings.finishedAt));
      assert(started.slice(10).every((r) => r.timings.startedAt >= canaryDone));
      // Never more than 10% of the nodes running at once.
      const window = NODES / 10;
      assert(mostAtOnce(started) <= window, `${mostAtOnce(started)} ran at once`);
      assertEquals(mostAtOnce(started.slice(10)), window, "the window was used");
      // The summary says what happened.
      const summary = progress.text();
      assert(
        summary.startsWith(
          `fan-out: ${started.length - 5} done / 5 failed / 0 running of ${NODES}, `,
        ),
        summary,
      );
      assert(summary.includes("stopped early: 5 failed, the most allowed (maxErrors 5)\n"));
      assert(summary.includes(`never started (${notStarted.length}): ${notStarted[0].node}, `));
      console.log(
        `rolling run on ${NODES} nodes: ${started.length} started, ${notStarted.length} never started`,
      );
    } finally {
      await central.destroy();
      await hosts.stop();
      await broker.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
