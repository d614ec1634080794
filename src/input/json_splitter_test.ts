import { assertEquals } from "../../test/assert.ts";
import { JsonSplitter } from "./json_splitter.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const texts = (pieces: { kind: string; bytes: Uint8Array }[]) =>
  pieces.map((p) => `${p.kind}:${dec.decode(p.bytes)}`);

Deno.test("JsonSplitter yields each top-level value as soon as it is complete", () => {
  const s = new JsonSplitter();
  assertEquals(texts(s.push(enc.encode('[{"a":"]}"}] {"b'))), ['value:[{"a":"]}"}]']);
  assertEquals(s.pending, 3);
  assertEquals(texts(s.push(enc.encode('":"\\"}"}\n'))), ['value:{"b":"\\"}"}']);
  assertEquals(s.pending, 0);
});

Deno.test("JsonSplitter returns text that cannot start a value as garbage, line by line", () => {
  const s = new JsonSplitter();
  assertEquals(texts(s.push(enc.encode("hello world\n[1]"))), [
    "garbage:hello world\n",
    "value:[1]",
  ]);
});

Deno.test("JsonSplitter.end() returns a truncated value as garbage", () => {
  const s = new JsonSplitter();
  s.push(enc.encode('[{"toNode": '));
  assertEquals(texts(s.end()), ['garbage:[{"toNode": ']);
  assertEquals(s.pending, 0);
});

Deno.test("JsonSplitter handles values split inside multi-byte characters", () => {
  const s = new JsonSplitter();
  const bytes = enc.encode('{"data":"skipsmånedsrapport ✓"}');
  const out = [...s.push(bytes.subarray(0, 18)), ...s.push(bytes.subarray(18))];
  assertEquals(texts(out), ['value:{"data":"skipsmånedsrapport ✓"}']);
});
