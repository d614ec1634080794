import { assert, assertEquals } from "../../test/assert.ts";
import { methodDeadline } from "./method_deadline.ts";

Deno.test("methodDeadline() aborts with a TimeoutError when the time is up", async () => {
  const deadline = methodDeadline(new AbortController().signal, 1);
  await new Promise((r) => deadline.signal.addEventListener("abort", r, { once: true }));
  const reason = deadline.signal.reason;
  assert(reason instanceof Error);
  assertEquals(reason.name, "TimeoutError");
  deadline.clear();
});

Deno.test("methodDeadline() aborts with the stop reason when stopped first", () => {
  const stop = new AbortController();
  const deadline = methodDeadline(stop.signal, 60_000);
  stop.abort(new Error("stopped"));
  assert(deadline.signal.aborted);
  assertEquals((deadline.signal.reason as Error).message, "stopped");
  deadline.clear();
});

Deno.test("methodDeadline() never aborts once cleared", async () => {
  const deadline = methodDeadline(new AbortController().signal, 1);
  deadline.clear();
  await new Promise((r) => setTimeout(r, 20));
  assertEquals(deadline.signal.aborted, false);
});
