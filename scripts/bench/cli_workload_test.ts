import { assertEquals } from "../../test/assert.ts";
import { agentConcurrency, commandArray, runBounded } from "./cli_workload.ts";

Deno.test("commandArray: count echo commands to one node, replies appended to one file", () => {
  const messages = JSON.parse(commandArray("ship1", 3));
  assertEquals(messages.length, 3);
  for (const m of messages) {
    assertEquals([m.toNode, m.method, m.methodArgs], ["ship1", "REQCliCommand", ["echo", "x"]]);
    assertEquals([m.replyMethod, m.directory, m.fileName], [
      "REQToFileAppend",
      "cli1000",
      "echo.log",
    ]);
  }
});

Deno.test("agentConcurrency: the agent's -maxConcurrentMethods as it sizes it, else all at once", () => {
  assertEquals(agentConcurrency({}, 1000), 1000);
  assertEquals(agentConcurrency({ maxConcurrentMethods: 12 }, 1000), 12);
  assertEquals(agentConcurrency({ maxConcurrentMethods: 5000 }, 1000), 1000);
  // 0 = sized to the machine: 4 per core, at least 16.
  assertEquals(agentConcurrency({ maxConcurrentMethods: 0 }, 1000, 2), 16);
  assertEquals(agentConcurrency({ maxConcurrentMethods: 0 }, 1000, 8), 32);
  assertEquals(agentConcurrency({ maxConcurrentMethods: 0 }, 10, 8), 10);
  assertEquals(agentConcurrency({ maxConcurrentMethods: "8" }, 1000), 1000);
});

Deno.test("runBounded: every task once, in order of start, never more than the limit", async () => {
  for (const [count, limit] of [[0, 4], [1, 4], [10, 3], [7, 7], [5, 100]]) {
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    await runBounded(count, limit, async (i) => {
      started.push(i);
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, i % 3));
      running--;
    });
    assertEquals(started, Array.from({ length: count }, (_, i) => i));
    assertEquals(peak, Math.min(count, limit));
  }
});
