import { assertEquals, assertRejects } from "../../test/assert.ts";
import { LineBatcher } from "./line_batcher.ts";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("LineBatcher sends lines that arrive together as one batch", async () => {
  const sent: string[] = [];
  const lines = new LineBatcher((t) => {
    sent.push(t);
    return Promise.resolve();
  }, { windowMs: 30 });
  await lines.push("one\ntw");
  await lines.push("o\nthree\n");
  assertEquals(sent, []);
  await wait(80);
  assertEquals(sent, ["one\ntwo\nthree\n"]);
  await lines.close();
  assertEquals(sent, ["one\ntwo\nthree\n"]);
});

Deno.test("LineBatcher sends lines apart in time as separate batches, promptly", async () => {
  const sent: { text: string; at: number }[] = [];
  const start = performance.now();
  const lines = new LineBatcher((text) => {
    sent.push({ text, at: performance.now() - start });
    return Promise.resolve();
  }, { windowMs: 10 });
  await lines.push("a\n");
  await wait(60);
  await lines.push("b\n");
  await wait(60);
  assertEquals(sent.map((s) => s.text), ["a\n", "b\n"]);
  // Each line left well before the next one came.
  assertEquals(sent[0].at < 50, true);
});

Deno.test("LineBatcher holds a partial line until its newline or close()", async () => {
  const sent: string[] = [];
  const lines = new LineBatcher((t) => {
    sent.push(t);
    return Promise.resolve();
  }, { windowMs: 5 });
  await lines.push("no newline yet");
  await wait(30);
  assertEquals(sent, []);
  await lines.close();
  assertEquals(sent, ["no newline yet"]);
});

Deno.test("LineBatcher flushes a full batch at once and keeps order", async () => {
  const sent: string[] = [];
  const lines = new LineBatcher(async (t) => {
    await wait(5);
    sent.push(t);
  }, { windowMs: 1000, maxBatchChars: 10 });
  await lines.push("12345\n67890\n"); // 12 chars: sent without waiting for the window
  assertEquals(sent, ["12345\n67890\n"]);
  await lines.push("x\n");
  await lines.push("y".repeat(12)); // A long unfinished line goes out as it is.
  await lines.close();
  assertEquals(sent.join(""), "12345\n67890\nx\n" + "y".repeat(12));
});

Deno.test("LineBatcher reports a failed emit", async () => {
  const lines = new LineBatcher(() => Promise.reject(new Error("queue full")), { windowMs: 1 });
  await lines.push("a\n");
  await assertRejects(() => lines.close(), /queue full/);
});

Deno.test("LineBatcher emits a batch with the mark of the push it ends with, only when it ends there", async () => {
  const sent: [string, number | undefined][] = [];
  const lines = new LineBatcher((text, mark) => Promise.resolve(void sent.push([text, mark])), {
    windowMs: 1,
  });
  await lines.push("a\n", 2);
  await lines.push("b\n", 4);
  await new Promise((r) => setTimeout(r, 20));
  await lines.push("c\nd", 7); // Ends inside a line: the batch "c\n" has no mark of its own.
  await new Promise((r) => setTimeout(r, 20));
  await lines.close(8);
  assertEquals(sent, [["a\nb\n", 4], ["c\n", undefined], ["d", 8]]);
});
