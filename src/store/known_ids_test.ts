import { assert, assertEquals } from "../../test/assert.ts";
import { hashId, KnownIds } from "./known_ids.ts";

Deno.test("KnownIds: may hold anything until complete, then only what was added", () => {
  const known = new KnownIds();
  known.add("a");
  assert(known.mayHold("never added"), "incomplete: no id is ruled out");
  known.markComplete(known.generation);
  assert(known.complete);
  assert(known.mayHold("a"));
  assertEquals(known.mayHold("b"), false);
});

Deno.test("KnownIds: starting over makes it incomplete, carries the pending ids, ignores an old fill", () => {
  let overflows = 0;
  const known = new KnownIds(() => {
    overflows++;
    return ["pending"];
  }, 3);
  const fill = known.generation;
  for (const id of ["a", "b", "c"]) known.add(id);
  assertEquals(overflows, 0);
  known.add("d");
  assertEquals(overflows, 1);
  assertEquals(known.size, 2); // "pending" and "d"
  known.markComplete(fill); // A fill begun before the start over does not count.
  assertEquals(known.complete, false);
  known.markComplete(known.generation);
  assert(known.mayHold("pending") && known.mayHold("d"));
  assertEquals(known.mayHold("a"), false);
});

Deno.test("hashId: small non-negative integers, spread over different ids", () => {
  const hashes = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const h = hashId(`m${i.toString(36)}`);
    assert(Number.isInteger(h) && h >= 0 && h < 2 ** 30);
    hashes.add(h);
  }
  assert(hashes.size > 9_990, `only ${hashes.size} distinct hashes of 10 000 ids`);
});
