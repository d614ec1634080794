import { assert, assertEquals, assertRejects } from "../../test/assert.ts";
import { testMessage } from "../../test/message_fixture.ts";
import { defaultConfig } from "../config.ts";
import type { Message } from "../message/schema.ts";
import { Outbox, OutboxClosedError } from "./outbox.ts";

/** An outbox over fakes that log every call in `calls`; `put` resolves when `durable` says. */
function fakeOutbox(options: { ringBufferSize?: number; failPut?: boolean } = {}) {
  const calls: string[] = [];
  const durable = Promise.withResolvers<void>();
  let inflight = 0;
  let n = 0;
  const outbox = new Outbox({
    config: defaultConfig({ nodeName: "central", ringBufferSize: options.ringBufferSize ?? 8 }),
    inflight: {
      put: (messages: readonly Message[]) => {
        calls.push(`put ${messages.map((m) => m.id).join(",")}`);
        return durable.promise.then(() => {
          if (options.failPut) throw new Error("disk full");
          inflight += messages.length;
        });
      },
      get size() {
        return inflight;
      },
    },
    chains: {
      remember: (messages) => Promise.resolve(void calls.push(`remember ${messages.length}`)),
    },
    metrics: {
      accepted: { inc: (l: { method: string }) => void calls.push(`accepted ${l.method}`) },
      inflight: { set: (v: number) => void calls.push(`inflight ${v}`) },
      ringBufferDepth: { set: (v: number) => void calls.push(`depth ${v}`) },
    },
    nextId: () => `id${++n}`,
  });
  return { outbox, calls, durable };
}

const input = {
  method: "REQPing",
  methodArgs: [],
  replyMethodArgs: [],
  directory: "",
  fileName: "",
  data: "",
};

Deno.test("stamp() makes one message per distinct node, with the defaults it leaves out", () => {
  const { outbox } = fakeOutbox();
  const c = defaultConfig({ nodeName: "central" });
  const [a, b, ...rest] = outbox.stamp({
    ...input,
    toNode: "ship1",
    toNodes: ["ship2", "ship1"],
    retries: 0,
    methodTimeout: 9,
  });
  assertEquals(rest, []);
  assertEquals([a.id, a.toNode, b.id, b.toNode], ["id1", "ship2", "id2", "ship1"]);
  assertEquals(a.fromNode, "central");
  assertEquals(a.isReply, false);
  assertEquals("toNodes" in a, false);
  assertEquals(
    [a.ACKTimeout, a.retries, a.replyRetries, a.methodTimeout, a.replyMethodTimeout],
    [c.defaultMessageTimeout, 0, c.defaultMessageRetries, 9, c.defaultMethodTimeout],
  );
});

Deno.test("stamp() leaves the input's idempotency key out of the messages it makes", () => {
  const { outbox } = fakeOutbox();
  const [m] = outbox.stamp({ ...input, toNode: "ship1", idempotencyKey: "k1" });
  assertEquals("idempotencyKey" in m, false);
});

Deno.test("submit() remembers, persists, then counts and queues: accepted only once durable", async () => {
  const { outbox, calls, durable } = fakeOutbox();
  const [m] = outbox.stamp({ ...input, toNode: "ship1" });
  const submitted = outbox.submit([m]);
  await Promise.resolve();
  await Promise.resolve();
  assertEquals(outbox.length, 0); // Not queued before its commit.
  durable.resolve();
  await submitted;
  assertEquals(calls, ["remember 1", "put id1", "inflight 1", "accepted REQPing", "depth 1"]);
  assertEquals((await outbox.next()).id, "id1");
  assertEquals(calls.at(-1), "depth 0");
});

Deno.test("submit() with sendEarly queues while the commit is in flight", async () => {
  const { outbox, calls, durable } = fakeOutbox();
  const reply = testMessage({ id: "r1", isReply: true });
  const submitted = outbox.submit([reply], [], { sendEarly: true });
  assertEquals((await outbox.next()).id, "r1"); // Taken before the commit is made.
  durable.resolve();
  await submitted;
  // A reply is not counted as accepted input.
  assertEquals(calls.filter((c) => !c.startsWith("depth")), ["remember 1", "put r1", "inflight 1"]);
});

Deno.test("submit() with sendEarly says a failed commit is not kept for a restart", async () => {
  const { outbox, calls, durable } = fakeOutbox({ failPut: true });
  const submitted = outbox.submit([testMessage({ id: "a" })], [], { sendEarly: true });
  durable.resolve();
  const err = await assertRejects(() => submitted);
  assertEquals(
    err.message,
    "disk full (it may still reach its node once, but is not kept for a restart)",
  );
  assertEquals(calls.some((c) => c.startsWith("accepted")), false);
  assertEquals(outbox.length, 1);
});

Deno.test("next() hands out messages in the order accepted, requeued ones after them", async () => {
  const { outbox, durable } = fakeOutbox();
  durable.resolve();
  await outbox.submit([testMessage({ id: "a" }), testMessage({ id: "b" })]);
  await outbox.requeue(testMessage({ id: "c" }));
  await outbox.submit([testMessage({ id: "d" })]);
  const order = [];
  while (outbox.length > 0) order.push((await outbox.next()).id);
  assertEquals(order, ["a", "b", "c", "d"]);
});

Deno.test("submit() waits while the ring buffer is full", async () => {
  const { outbox, durable } = fakeOutbox({ ringBufferSize: 1 });
  durable.resolve();
  await outbox.submit([testMessage({ id: "a" })]);
  let done = false;
  const second = outbox.submit([testMessage({ id: "b" })]).then(() => done = true);
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(done, false);
  assertEquals((await outbox.next()).id, "a");
  await second;
  assertEquals((await outbox.next()).id, "b");
});

Deno.test("next() stops waiting when its signal is aborted", async () => {
  const { outbox } = fakeOutbox();
  const stop = new AbortController();
  const waiting = outbox.next(stop.signal);
  stop.abort();
  await assertRejects(() => waiting);
});

Deno.test("submit() after close() is refused with OutboxClosedError, nothing stored", async () => {
  const { outbox, calls } = fakeOutbox();
  outbox.close();
  const err = await assertRejects(() => outbox.submit([testMessage()]));
  assert(err instanceof OutboxClosedError);
  assertEquals(err.message, "node central is stopping");
  assertEquals(calls, []);
});

Deno.test("submit() queues in the order submitted, whatever order the commits and chains end in", async () => {
  const durable = Promise.withResolvers<void>();
  const first = [testMessage({ id: "a1" }), testMessage({ id: "a2" }), testMessage({ id: "a3" })];
  const second = [testMessage({ id: "b1" }), testMessage({ id: "b2" })];
  // The first slice's chains are slow to remember; the second's are not.
  const slow = Promise.withResolvers<void>();
  let calls = 0;
  const remembering = new Outbox({
    config: defaultConfig({ nodeName: "central", ringBufferSize: 2 }),
    inflight: { put: () => durable.promise, size: 0 },
    chains: { remember: () => ++calls === 1 ? slow.promise : Promise.resolve() },
    metrics: {
      accepted: { inc: () => {} },
      inflight: { set: () => {} },
      ringBufferDepth: { set: () => {} },
    },
    nextId: () => "x",
  });
  const a = remembering.submit(first, [], { sendEarly: true });
  const b = remembering.submit(second, [], { sendEarly: true });
  const popped: string[] = [];
  const popping = (async () => {
    for (let i = 0; i < 5; i++) popped.push((await remembering.next()).id);
  })();
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(popped, []); // The second waits for the first, although its chains are done.
  slow.resolve();
  durable.resolve();
  await Promise.all([a, b, popping]);
  // Through a ring of two: the slices' pushes never interleave.
  assertEquals(popped, ["a1", "a2", "a3", "b1", "b2"]);
});
