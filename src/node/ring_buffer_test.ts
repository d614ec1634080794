import { assertEquals } from "../../test/assert.ts";
import { RingBuffer } from "./ring_buffer.ts";

Deno.test("RingBuffer keeps FIFO order across wrap-around", async () => {
  const ring = new RingBuffer<number>(3);
  const out: number[] = [];
  for (let i = 0; i < 10; i++) {
    await ring.push(i);
    if (ring.length === 3) out.push(await ring.pop());
  }
  while (ring.length > 0) out.push(await ring.pop());
  assertEquals(out, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

Deno.test("RingBuffer.push() waits while full instead of dropping", async () => {
  const ring = new RingBuffer<string>(1);
  await ring.push("a");
  let pushed = false;
  const pending = ring.push("b").then(() => pushed = true);
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(pushed, false);
  assertEquals(await ring.pop(), "a");
  await pending;
  assertEquals(pushed, true);
  assertEquals(await ring.pop(), "b");
});

Deno.test("RingBuffer.pop() stops waiting when its signal aborts", async () => {
  const ring = new RingBuffer<number>(2);
  const c = new AbortController();
  const p = ring.pop(c.signal).then(() => "value", () => "aborted");
  c.abort();
  assertEquals(await p, "aborted");
});
