import { assertEquals } from "../../test/assert.ts";
import { type CpuProfile, frameName, selfTimes, shortUrl } from "./cpu_profile.ts";

const frame = (functionName: string, url = "", lineNumber = 0) => ({
  functionName,
  url,
  lineNumber,
});

Deno.test("selfTimes: each sample counts the time to the next one, grouped and sorted", () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame("(idle)") },
      { id: 2, callFrame: frame("spawn", "file:///w/src/methods/run_command.ts", 78) },
      { id: 3, callFrame: frame("spawn", "file:///w/src/methods/run_command.ts", 78) },
    ],
    samples: [1, 2, 3, 1],
    timeDeltas: [0, 1000, 3000, 4000],
  };
  assertEquals(selfTimes(profile), [
    // The last sample has no next one: it counts its own delta.
    { name: "spawn (src/methods/run_command.ts:79)", ms: 7, share: 7 / 12 },
    { name: "(idle)", ms: 5, share: 5 / 12 },
  ]);
  const byFile = selfTimes(profile, (f) => f.url ? shortUrl(f.url) : f.functionName);
  assertEquals(byFile[0].name, "src/methods/run_command.ts");
});

Deno.test("frameName and shortUrl: repository paths, npm packages, built-ins", () => {
  assertEquals(frameName(frame("op_spawn_child")), "op_spawn_child");
  assertEquals(
    frameName(frame("", "file:///w/scripts/bench.ts", 4)),
    "(anonymous) (scripts/bench.ts:5)",
  );
  assertEquals(
    shortUrl("file:///root/.cache/deno/npm/registry.npmjs.org/@nats-io/nats-core/3.4.0/lib/x.js"),
    "@nats-io/nats-core",
  );
  assertEquals(shortUrl("file:///w/node_modules/zod/v4/core.js"), "zod");
  assertEquals(shortUrl("ext:deno_web/06_streams.js"), "ext:deno_web/06_streams.js");
});
