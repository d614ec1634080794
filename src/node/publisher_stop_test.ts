import type { NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import { assertEquals } from "../../test/assert.ts";
import type { Message } from "../message/schema.ts";
import { Publisher } from "./publisher.ts";

function message(id: string): Message {
  return {
    id,
    toNode: "ship1",
    fromNode: "central",
    method: "REQPing",
    methodArgs: [],
    replyMethodArgs: [],
    ACKTimeout: 1,
    retries: 3,
    replyACKTimeout: 1,
    replyRetries: 3,
    methodTimeout: 5,
    replyMethodTimeout: 5,
    directory: "",
    fileName: "",
    data: "",
    createdAt: 1,
    isReply: false,
  };
}

Deno.test("a stopped publisher hands back every unfinished message, sent or not", async () => {
  // A receiver that never answers: each request times out after its ACKTimeout.
  const nc = {
    info: { max_payload: 1 << 20 },
    request: (_s: string, _d: Uint8Array, opts: { timeout: number }) =>
      new Promise((_, reject) => setTimeout(() => reject(new Error("TIMEOUT")), opts.timeout)),
  };
  const abandoned: string[] = [];
  const finished: string[] = [];
  const pub = new Publisher("ship1.REQPing.EventACK", "EventACK", {
    connection: () => Promise.resolve(nc as unknown as NatsConnection),
    finished: (m) => finished.push(m.id),
    sent: () => {},
    window: 1, // One in flight, the others queued.
    maxMessageSize: 1 << 20,
    abandoned: (m) => abandoned.push(m.id),
  });
  const stop = new AbortController();
  const running = pub.run(stop.signal);
  for (const id of ["a", "b", "c"]) pub.enqueue(message(id));
  await new Promise((r) => setTimeout(r, 100));
  stop.abort();
  await running;
  assertEquals(pub.stopped, true);
  assertEquals(abandoned, ["b", "c"]); // Never sent: handed back at once.
  // The one waiting for its ACK is handed back when its wait ends.
  await new Promise((r) => setTimeout(r, 1200));
  assertEquals(abandoned.sort(), ["a", "b", "c"]);
  pub.enqueue(message("d"));
  assertEquals(abandoned.includes("d"), true);
  assertEquals(finished, []);
});

Deno.test("a latestOnly publisher drops queued messages a newer one supersedes; the one in flight goes on", async () => {
  const sent: string[] = [];
  const answers: (() => void)[] = [];
  const nc = {
    info: { max_payload: 1 << 20 },
    request: (_s: string, data: Uint8Array) => {
      const id = JSON.parse(new TextDecoder().decode(data)).id;
      sent.push(id);
      return new Promise((resolve) =>
        answers.push(() => resolve({ json: () => ({ id, ok: true }) }))
      );
    },
  };
  const outcomes: string[] = [];
  const pub = new Publisher("ship1.REQTrustedKeys.CommandACK", "CommandACK", {
    connection: () => Promise.resolve(nc as unknown as NatsConnection),
    finished: (m, o) => outcomes.push(`${m.id}:${o.delivered ? "delivered" : o.reason}`),
    sent: () => {},
    window: 1,
    maxMessageSize: 1 << 20,
    latestOnly: true,
  });
  const stop = new AbortController();
  const running = pub.run(stop.signal);
  pub.enqueue(message("v1"));
  await new Promise((r) => setTimeout(r, 20)); // Taken, sent, waiting for its ACK.
  for (const id of ["v2", "v3", "v4"]) pub.enqueue(message(id));
  await new Promise((r) => setTimeout(r, 50));
  assertEquals(sent, ["v1"]);
  assertEquals(outcomes, ["v2:superseded", "v3:superseded"]);
  answers.shift()!();
  await new Promise((r) => setTimeout(r, 50));
  answers.shift()!();
  await new Promise((r) => setTimeout(r, 50));
  assertEquals(sent, ["v1", "v4"]);
  assertEquals(outcomes, ["v2:superseded", "v3:superseded", "v1:delivered", "v4:delivered"]);
  stop.abort();
  await running;
});

Deno.test("an idle publisher ends; a message given to it then is handed back, not lost", async () => {
  // A receiver that ACKs at once.
  const nc = {
    info: { max_payload: 1 << 20 },
    request: (_s: string, data: Uint8Array) =>
      Promise.resolve({
        json: () => ({ id: JSON.parse(new TextDecoder().decode(data)).id, ok: true }),
      }),
  };
  const abandoned: string[] = [];
  const finished: string[] = [];
  const pub = new Publisher("ship1.REQPing.EventACK", "EventACK", {
    connection: () => Promise.resolve(nc as unknown as NatsConnection),
    finished: (m) => finished.push(m.id),
    sent: () => {},
    window: 4,
    maxMessageSize: 1 << 20,
    abandoned: (m) => abandoned.push(m.id),
    idleMs: 200,
  });
  const running = pub.run(new AbortController().signal);
  pub.enqueue(message("a"));
  await new Promise((r) => setTimeout(r, 100));
  assertEquals([finished, pub.stopped], [["a"], false], "busy, then idle for less than 200 ms");
  pub.enqueue(message("b"));
  await running; // Ends by itself once nothing came for 200 ms.
  assertEquals([finished, pub.stopped], [["a", "b"], true]);
  pub.enqueue(message("c"));
  assertEquals(abandoned, ["c"]);
});
