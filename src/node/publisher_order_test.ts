/**
 * The publisher's order gate (issue 14, item 9): a message waiting out its retry time after its
 * node was down is tried again as soon as a later message waits behind it, so the later ones
 * are not failed with "an older message … was not ACKed yet"; order is kept, and these early
 * tries do not use up the older message's retries.
 */
import type { NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import { assert, assertEquals } from "../../test/assert.ts";
import { testMessage } from "../../test/message_fixture.ts";
import type { Message } from "../message/schema.ts";
import { Publisher, type PublishOutcome } from "./publisher.ts";

/** A node that answers every request while `up`, and has no responders otherwise. */
function fakeNode() {
  const node = { up: false, ran: [] as string[], tries: 0 };
  const connection = {
    info: { max_payload: 1024 * 1024 },
    request: (_subject: string, data: Uint8Array) => {
      node.tries++;
      if (!node.up) return Promise.reject(new Error("503 no responders"));
      const { id } = JSON.parse(new TextDecoder().decode(data));
      node.ran.push(id);
      return Promise.resolve({ json: () => ({ id, ok: true }) });
    },
  };
  return { node, connection: connection as unknown as NatsConnection };
}

function publisher(connection: NatsConnection) {
  const outcomes = new Map<string, { outcome: PublishOutcome; at: number }>();
  const started = performance.now();
  const pub = new Publisher("ship1.REQPing.EventACK", "EventACK", {
    connection: () => Promise.resolve(connection),
    finished: (m: Message, outcome) =>
      outcomes.set(m.id, { outcome, at: performance.now() - started }),
    sent: () => {},
    window: 16,
    maxMessageSize: 1024 * 1024,
  });
  const stop = new AbortController();
  pub.run(stop.signal);
  return { pub, outcomes, stop };
}

Deno.test("a message waiting out a long retry time does not fail the later ones once the node is up; order kept", async () => {
  const { node, connection } = fakeNode();
  const { pub, outcomes, stop } = publisher(connection);
  try {
    pub.enqueue(testMessage({ id: "a", ACKTimeout: 300, retries: 1 }));
    await new Promise((r) => setTimeout(r, 100)); // Refused at once: next try in 300 s.
    node.up = true;
    for (const id of ["b", "c"]) pub.enqueue(testMessage({ id, ACKTimeout: 1, retries: 0 }));
    const deadline = Date.now() + 5000;
    while (outcomes.size < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assertEquals([...outcomes.keys()].sort(), ["a", "b", "c"]);
    for (const [id, { outcome }] of outcomes) {
      assert(outcome.delivered, `${id}: ${JSON.stringify(outcome)}`);
    }
    assertEquals(node.ran, ["a", "b", "c"]);
  } finally {
    stop.abort();
  }
});

Deno.test("early tries of a message do not use up its retries while its node stays down", async () => {
  const { node, connection } = fakeNode();
  const { pub, outcomes, stop } = publisher(connection);
  try {
    pub.enqueue(testMessage({ id: "a", ACKTimeout: 2, retries: 1 }));
    await new Promise((r) => setTimeout(r, 100));
    pub.enqueue(testMessage({ id: "b", ACKTimeout: 1, retries: 3 }));
    const deadline = Date.now() + 10_000;
    while (!outcomes.has("a") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const a = outcomes.get("a")!;
    assert(!a.outcome.delivered);
    // Its two tries span its ACKTimeout, as without the early ones (probes asked by b).
    assert(a.at >= 1900, `a gave up after ${a.at} ms`);
    assert(node.tries > 2, `only ${node.tries} tries: no early try was made`);
  } finally {
    stop.abort();
  }
});
