import { assertEquals } from "../../test/assert.ts";
import { KvBatcher } from "./kv_batcher.ts";

/** Counts the atomic commits made on `kv`. */
function countCommits(kv: Deno.Kv): { count: number } {
  const counter = { count: 0 };
  const atomic = kv.atomic.bind(kv);
  kv.atomic = () => {
    const op = atomic();
    const commit = op.commit.bind(op);
    op.commit = () => {
      counter.count++;
      return commit();
    };
    return op;
  };
  return counter;
}

Deno.test("KvBatcher: writes of one tick share a commit; deferred writes ride along with the next", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const batcher = new KvBatcher(kv);
    const commits = countCommits(kv);
    await Promise.all([
      batcher.write([{ op: "set", key: ["a"], value: 1 }]),
      batcher.write([{ op: "set", key: ["b"], value: 2 }]),
    ]);
    assertEquals(commits.count, 1);
    const deferred = batcher.defer([{ op: "delete", key: ["a"] }]);
    assertEquals((await kv.get(["a"])).value, 1); // Not yet: it waits for a commit to join.
    await batcher.write([{ op: "set", key: ["c"], value: 3 }]);
    await deferred;
    assertEquals(commits.count, 2);
    assertEquals((await kv.get(["a"])).value, null);
  } finally {
    kv.close();
  }
});

Deno.test("KvBatcher: a deferred write goes alone after LAZY_MS, or at once on flush()", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const batcher = new KvBatcher(kv);
    const commits = countCommits(kv);
    const alone = batcher.defer([{ op: "set", key: ["x"], value: 1 }]);
    assertEquals(commits.count, 0); // Waiting up to LAZY_MS for a commit to ride along with.
    await alone;
    assertEquals(commits.count, 1);
    assertEquals((await kv.get(["x"])).value, 1);
    const flushed = batcher.defer([{ op: "set", key: ["y"], value: 2 }]);
    await batcher.flush();
    await flushed;
    assertEquals(commits.count, 2);
    assertEquals((await kv.get(["y"])).value, 2);
  } finally {
    kv.close();
  }
});

Deno.test("KvBatcher: a delete deferred while its key's put still waits for a commit comes after it", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const batcher = new KvBatcher(kv);
    // A commit in flight, a put queued behind it, then the delete of that same key deferred
    // (a message sent early and ACKed before its own put was committed).
    const inFlight = batcher.write([{ op: "set", key: ["other"], value: 0 }]);
    await Promise.resolve(); // The first commit has started; the next write waits for it.
    const put = batcher.write([{ op: "set", key: ["m"], value: 1 }]);
    const removed = batcher.defer([{ op: "delete", key: ["m"] }]);
    await Promise.all([inFlight, put, removed]);
    assertEquals((await kv.get(["m"])).value, null);
  } finally {
    kv.close();
  }
});
