/**
 * A Publisher and a Subscriber joined by an in-memory stand-in for the broker, with a small max
 * payload, so that chunked delivery, lost ACKs and a receiver restart can be staged exactly.
 */
import type { Msg, MsgHdrs, NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import { assert, assertEquals } from "../../test/assert.ts";
import type { Message } from "../message/schema.ts";
import type { MethodDefinition } from "../methods/types.ts";
import { CHUNK_HEADER, parseChunkHeader } from "./chunking.ts";
import { Publisher, type PublishOutcome } from "./publisher.ts";
import { Subscriber } from "./subscriber.ts";

const SUBJECT = "ship1.REQToFile.EventACK";
// Chunks of 8 KiB (the max payload less room for headers): 40 000 bytes of data make 5.
const MAX_PAYLOAD = 12 * 1024;

const definition: MethodDefinition = {
  name: "REQToFile",
  event: "EventACK",
  delivery: "command",
  flag: "startSubREQToFile",
  description: "test",
  handler: () => Promise.resolve({ data: "" }),
};

/** Which request a fault applies to: the chunk index (or -1 unchunked) and its send count. */
type Fault = (chunk: number, send: number) => "lose-ack" | "restart-receiver" | undefined;

class FakeBroker {
  executed: Message[] = [];
  refusals: string[] = [];
  requests: number[] = [];
  #subscriber!: Subscriber;
  #callback: ((err: Error | null, msg: Msg) => void) | undefined;
  #claimed = new Set<string>();
  #sends = new Map<number, number>();
  #fault: Fault;
  #stop = new AbortController();

  constructor(fault: Fault = () => undefined) {
    this.#fault = fault;
    this.#startSubscriber();
  }

  #startSubscriber(): void {
    this.#stop.abort();
    this.#stop = new AbortController();
    this.#subscriber = new Subscriber(definition, {
      nodeName: "ship1",
      connection: () => Promise.resolve(this.connection as unknown as NatsConnection),
      claim: (id) => {
        const first = !this.#claimed.has(id);
        this.#claimed.add(id);
        return Promise.resolve(first);
      },
      release: (id) => this.#claimed.delete(id),
      takeOn: () => Promise.resolve(),
      execute: (m) => {
        this.executed.push(m);
        return Promise.resolve();
      },
      refused: (reason) => this.refusals.push(reason),
      received: () => {},
      duplicate: () => {},
      maxMessageSize: 1024 * 1024,
      workingFolder: "/",
    });
    this.#subscriber.run(this.#stop.signal);
  }

  close(): void {
    this.#stop.abort();
  }

  readonly connection = {
    info: { max_payload: MAX_PAYLOAD },
    subscribe: (_subject: string, opts: { callback: (err: Error | null, msg: Msg) => void }) => {
      this.#callback = opts.callback;
      return { unsubscribe: () => {} };
    },
    flush: () => Promise.resolve(),
    publish: () => {},
    request: async (
      _subject: string,
      data: Uint8Array,
      opts: { timeout: number; headers?: MsgHdrs },
    ) => {
      const header = opts.headers?.get(CHUNK_HEADER);
      const info = header ? parseChunkHeader(header) : undefined;
      const chunk = info && typeof info !== "string" ? info.index : -1;
      const send = (this.#sends.get(chunk) ?? 0) + 1;
      this.#sends.set(chunk, send);
      this.requests.push(chunk);
      const fault = this.#fault(chunk, send);
      if (fault === "restart-receiver") this.#startSubscriber();
      await this.#subscriber.listening;
      const answered = Promise.withResolvers<Uint8Array>();
      const msg = {
        data,
        headers: opts.headers,
        reply: "_INBOX.test",
        respond: (bytes: Uint8Array) => {
          answered.resolve(bytes);
          return true;
        },
      };
      this.#callback!(null, msg as unknown as Msg);
      const bytes = await answered.promise;
      if (fault === "lose-ack") throw new Error("TIMEOUT");
      return { json: () => JSON.parse(new TextDecoder().decode(bytes)) };
    },
  };
}

function message(dataBytes: number, id = "0000000001aaaa"): Message {
  return {
    id,
    toNode: "ship1",
    fromNode: "central",
    method: "REQToFile",
    methodArgs: [],
    replyMethodArgs: [],
    ACKTimeout: 1,
    retries: 2,
    replyACKTimeout: 1,
    replyRetries: 2,
    methodTimeout: 5,
    replyMethodTimeout: 5,
    directory: "d",
    fileName: "f",
    // Different on every position, so a misplaced chunk would show.
    data: Array.from({ length: dataBytes }, (_, i) => String.fromCharCode(97 + (i * 7) % 26))
      .join(""),
    createdAt: 1,
    isReply: true,
  };
}

async function deliver(broker: FakeBroker, m: Message, maxMessageSize = 1024 * 1024) {
  const outcome = Promise.withResolvers<PublishOutcome>();
  const pub = new Publisher(SUBJECT, "EventACK", {
    connection: () => Promise.resolve(broker.connection as unknown as NatsConnection),
    finished: (_m, o) => outcome.resolve(o),
    sent: () => {},
    window: 8,
    maxMessageSize,
  });
  const stop = new AbortController();
  pub.run(stop.signal);
  pub.enqueue(m);
  try {
    return await outcome.promise;
  } finally {
    stop.abort();
    broker.close();
  }
}

Deno.test("a message over the max payload goes in chunks and is executed once, whole", async () => {
  const broker = new FakeBroker();
  const m = message(40_000);
  const outcome = await deliver(broker, m);
  assertEquals(outcome.delivered, true);
  assertEquals(broker.requests, [0, 1, 2, 3, 4]);
  assertEquals(broker.executed.length, 1);
  assertEquals(broker.executed[0].data, m.data);
});

Deno.test("a small message goes unchunked", async () => {
  const broker = new FakeBroker();
  const outcome = await deliver(broker, message(100));
  assertEquals(outcome.delivered, true);
  assertEquals(broker.requests, [-1]);
  assertEquals(broker.executed.length, 1);
});

Deno.test("a lost chunk ACK makes that chunk go again; the message still runs once", async () => {
  const broker = new FakeBroker((chunk, send) =>
    chunk === 2 && send === 1 ? "lose-ack" : undefined
  );
  const m = message(40_000);
  const outcome = await deliver(broker, m);
  assertEquals(outcome.delivered, true);
  assertEquals(broker.requests, [0, 1, 2, 2, 3, 4]);
  assertEquals(broker.executed.length, 1);
  assertEquals(broker.executed[0].data, m.data);
});

Deno.test("a lost ACK of the last chunk ends as a duplicate, not a second run", async () => {
  const broker = new FakeBroker((chunk, send) =>
    chunk === 4 && send === 1 ? "lose-ack" : undefined
  );
  const outcome = await deliver(broker, message(40_000));
  assert(outcome.delivered);
  assertEquals(outcome.duplicate, true);
  assertEquals(broker.requests, [0, 1, 2, 3, 4, 4]);
  assertEquals(broker.executed.length, 1);
});

Deno.test("a receiver that restarts mid-message gets it again from the first chunk", async () => {
  const broker = new FakeBroker((chunk, send) =>
    chunk === 3 && send === 1 ? "restart-receiver" : undefined
  );
  const m = message(40_000);
  const outcome = await deliver(broker, m);
  assertEquals(outcome.delivered, true);
  assertEquals(broker.requests, [0, 1, 2, 3, 0, 1, 2, 3, 4]);
  assertEquals(broker.executed.length, 1);
  assertEquals(broker.executed[0].data, m.data);
});

Deno.test("a message over maxMessageSize is not sent and says why", async () => {
  const broker = new FakeBroker();
  const outcome = await deliver(broker, message(40_000), 30_000);
  assert(!outcome.delivered);
  assertEquals(outcome.reason, "too-large");
  assertEquals(
    "error" in outcome &&
      /^message of \d+ bytes exceeds the maxMessageSize of 30000 bytes$/.test(outcome.error),
    true,
  );
  assertEquals(broker.requests, []);
});
