import { assertEquals } from "../../test/assert.ts";
import { LineSplitter } from "./line_splitter.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("LineSplitter gives whole lines with the byte they end at, from where it starts", () => {
  const lines = new LineSplitter(100);
  assertEquals(lines.take(bytes("ab")), undefined);
  assertEquals(lines.end, 102);
  assertEquals(lines.take(bytes("c\nd\ne")), { text: "abc\nd\n", end: 106 });
  assertEquals(lines.rest(), "e");
  assertEquals(lines.end, 107);
});

Deno.test("LineSplitter counts bytes, not characters, and keeps a character cut between chunks", () => {
  const lines = new LineSplitter(0);
  const all = bytes("é\n€x\n");
  assertEquals(lines.take(all.subarray(0, 4)), { text: "é\n", end: 3 });
  assertEquals(lines.take(all.subarray(4)), { text: "€x\n", end: 8 });
});

Deno.test("LineSplitter lets a very long line go without its end", () => {
  const lines = new LineSplitter(0);
  const long = bytes("x".repeat(300 * 1024));
  const got = lines.take(long);
  assertEquals(got?.end, long.length);
  assertEquals(got?.text.length, long.length);
});
