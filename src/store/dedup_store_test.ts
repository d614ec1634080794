import { assertEquals } from "../../test/assert.ts";
import type { Message } from "../message/schema.ts";
import { DedupStore } from "./dedup_store.ts";
import { KvBatcher } from "./kv_batcher.ts";
import { testMessage } from "../../test/message_fixture.ts";

const message = (id: string): Message => testMessage({ id, data: "big data is not kept" });

Deno.test("DedupStore.claim() is true once per id, also for concurrent callers", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const dedup = new DedupStore(kv, new KvBatcher(kv), 60_000);
    const claims = await Promise.all([dedup.claim("a"), dedup.claim("a"), dedup.claim("b")]);
    assertEquals(claims, [true, false, true]);
    dedup.release("b");
    assertEquals(await dedup.claim("b"), true);
  } finally {
    kv.close();
  }
});

Deno.test("DedupStore remembers recorded ids across processes and lists interrupted ones", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const first = new DedupStore(kv, new KvBatcher(kv), 60_000);
    await first.claim("run");
    await first.record(message("run"), "running");
    await first.claim("done");
    await first.record(message("done"), "done");
    const second = new DedupStore(kv, new KvBatcher(kv), 60_000);
    assertEquals(await second.claim("run"), false);
    assertEquals(await second.claim("done"), false);
    const interrupted = [];
    for await (const r of new DedupStore(kv, new KvBatcher(kv), 60_000).interrupted()) {
      interrupted.push(r);
    }
    assertEquals(interrupted.map((r) => [r.message.id, r.message.data]), [["run", ""]]);
  } finally {
    kv.close();
  }
});

Deno.test("DedupStore: a lookup started before the checks gives claim() the same answer", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const first = new DedupStore(kv, new KvBatcher(kv), 60_000);
    await first.claim("old");
    await first.record(message("old"), "running");
    const second = new DedupStore(kv, new KvBatcher(kv), 60_000);
    const [old, fresh, again] = [second.lookup("old"), second.lookup("new"), second.lookup("new")];
    assertEquals(await second.claim("old", old), false);
    assertEquals(await second.claim("new", fresh), true);
    // Looked up before the first claim, the second copy is still caught (in memory).
    assertEquals(await second.claim("new", again), false);
  } finally {
    kv.close();
  }
});

/** `kv` with its reads counted. */
function countingReads(kv: Deno.Kv): { kv: Deno.Kv; reads: () => number } {
  let reads = 0;
  const counted = new Proxy(kv, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === "get" || prop === "getMany") {
        return (...args: unknown[]) => {
          reads++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { kv: counted, reads: () => reads };
}

Deno.test("DedupStore: once KV is listed, a new id is claimed without a read, an old one still found", async () => {
  const raw = await Deno.openKv(":memory:");
  try {
    const first = new DedupStore(raw, new KvBatcher(raw), 60_000);
    await first.claim("old");
    await first.record(message("old"), "done");
    const { kv, reads } = countingReads(raw);
    const second = new DedupStore(kv, new KvBatcher(kv), 60_000);
    // Before the listing, every new id is read.
    assertEquals(await second.claim("early"), true);
    assertEquals(reads(), 1);
    for await (const _ of second.interrupted());
    assertEquals(await second.claim("new"), true);
    assertEquals(await second.claim(`l${reads()}`, second.lookup(`l${reads()}`)), true);
    assertEquals(reads(), 1, "new ids after the listing need no read");
    assertEquals(await second.claim("old"), false, "a record of the earlier store is read");
    assertEquals(reads(), 2);
    // Recorded by this store after the listing, found after its memory of recent ids is gone.
    await second.record(message("new"), "done");
    const third = new DedupStore(kv, new KvBatcher(kv), 60_000);
    for await (const _ of third.interrupted());
    assertEquals(await third.claim("new"), false);
  } finally {
    raw.close();
  }
});
