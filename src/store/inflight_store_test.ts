import { assertEquals } from "../../test/assert.ts";
import { createIdGenerator } from "../message/id.ts";
import type { Message } from "../message/schema.ts";
import { InflightStore } from "./inflight_store.ts";
import { KvBatcher } from "./kv_batcher.ts";
import { testMessage } from "../../test/message_fixture.ts";

const nextId = createIdGenerator();
const message = (data = ""): Message =>
  testMessage({
    id: nextId(),
    method: "REQCliCommand",
    methodArgs: ["echo"],
    data,
    createdAt: Date.now(),
  });

Deno.test("InflightStore lists what was put, oldest first, big messages in parts", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new InflightStore(kv, new KvBatcher(kv));
    const big = "x".repeat(300_000) + "✓";
    const messages = [message(), message(big), message("z")];
    await store.put(messages);
    await Promise.all([...Array(1500)].map(() => store.put([message()]))); // many writers, batched
    const fresh = new InflightStore(kv, new KvBatcher(kv));
    const listed: Message[] = [];
    for await (const m of fresh.list(() => {})) listed.push(m);
    assertEquals(listed.length, 1503);
    assertEquals(listed.slice(0, 3), messages);
    assertEquals(listed.map((m) => m.id), [...listed.map((m) => m.id)].sort());
    await fresh.remove(messages[1].id);
    let parts = 0;
    for await (const e of kv.list({ prefix: ["inflight", messages[1].id] })) parts += e ? 1 : 0;
    assertEquals(parts, 0);
    assertEquals(fresh.size, 1502);
  } finally {
    kv.close();
  }
});
