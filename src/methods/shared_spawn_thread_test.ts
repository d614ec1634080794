import { assert, assertEquals } from "../../test/assert.ts";
import { sharedSpawnThread } from "./shared_spawn_thread.ts";
import type { ChildSpec } from "./child_run.ts";

const sleep = (seconds: string): ChildSpec => ({
  command: "sleep",
  args: [seconds],
  env: { PATH: "/usr/bin:/bin" },
  detached: true,
  maxOutputBytes: 1024,
  maxErrorBytes: 1024,
});

Deno.test("closing one node's handle on the shared spawn thread stops its children only", async () => {
  const a = sharedSpawnThread();
  const b = sharedSpawnThread();
  const never = new AbortController().signal;
  // Left alone, a's child would end well (code 0) after 60 s: a non-zero code is the stop.
  const ofA = a.run(sleep("60"), { stop: never });
  const ofB = b.run(sleep("0.5"), { stop: never });
  await new Promise((r) => setTimeout(r, 200));
  a.close();
  const stopped = await ofA;
  assert(stopped.code !== 0, "a's child was stopped"); // Killed by a signal.
  assertEquals((await ofB).code, 0); // b's went on to its end.
  let refused = false;
  await a.run(sleep("0"), { stop: never }).catch(() => refused = true);
  assert(refused, "a closed handle runs nothing");
  b.close();
});
