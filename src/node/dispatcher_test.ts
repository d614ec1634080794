import { assertEquals } from "../../test/assert.ts";
import { testMessage } from "../../test/message_fixture.ts";
import type { Message } from "../message/schema.ts";
import { Dispatcher, type SubjectPublisher } from "./dispatcher.ts";
import { Supervisor } from "./supervisor.ts";

/** A publisher that records what it is given and runs until told to end. */
class FakePublisher implements SubjectPublisher {
  enqueued: string[] = [];
  stopped = false;
  #end = Promise.withResolvers<void>();
  constructor(readonly subject: string, readonly abandoned: (m: Message) => void) {}
  enqueue(m: Message): void {
    this.enqueued.push(m.id);
  }
  run(signal: AbortSignal): Promise<void> {
    signal.addEventListener("abort", () => this.#end.resolve(), { once: true });
    return this.#end.promise;
  }
  end(): void {
    this.#end.resolve();
  }
}

/** A dispatcher over a queue of messages, with fake publishers and a real supervisor. */
function fakeDispatcher() {
  const queue: Message[] = [];
  const waiting: ((m: Message) => void)[] = [];
  const publishers: FakePublisher[] = [];
  const finished: string[] = [];
  const requeued: string[] = [];
  const supervisor = new Supervisor();
  const state = { stopping: false };
  const push = (m: Message) => {
    const take = waiting.shift();
    if (take) take(m);
    else queue.push(m);
  };
  const dispatcher = new Dispatcher({
    outbox: {
      next: (signal) =>
        queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise((resolve, reject) => {
          waiting.push(resolve);
          signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
        }),
      requeue: (m) => Promise.resolve(void (requeued.push(m.id), push(m))),
    },
    supervisor,
    publisher: (subject, _def, abandoned) => {
      const pub = new FakePublisher(subject, abandoned);
      publishers.push(pub);
      return pub;
    },
    finished: (m, outcome) =>
      finished.push(
        `${m.id} ${
          outcome.delivered ? "delivered" : "error" in outcome ? outcome.error : outcome.reason
        }`,
      ),
    stopping: () => state.stopping,
    log() {},
  });
  const stop = new AbortController();
  const running = dispatcher.run(stop.signal);
  const settle = () => new Promise((r) => setTimeout(r, 0));
  const close = async () => {
    stop.abort();
    await running;
    await supervisor.stopAll();
  };
  return { push, publishers, finished, requeued, supervisor, state, settle, close };
}

const to = (id: string, toNode: string, method = "REQPing") => testMessage({ id, toNode, method });

Deno.test("Dispatcher hands each message to the one publisher of its subject, in the order taken", async () => {
  const d = fakeDispatcher();
  try {
    for (const m of [to("a", "ship1"), to("b", "ship2"), to("c", "ship1"), to("d", "ship2")]) {
      d.push(m);
    }
    await d.settle();
    assertEquals(
      d.publishers.map((p) => [p.subject, p.enqueued]),
      [["ship1.REQPing.EventACK", ["a", "c"]], ["ship2.REQPing.EventACK", ["b", "d"]]],
    );
    assertEquals(
      d.supervisor.list().map((p) => [p.kind, p.name, p.method]),
      [["publisher", "ship1.REQPing.EventACK", "REQPing"], [
        "publisher",
        "ship2.REQPing.EventACK",
        "REQPing",
      ]],
    );
  } finally {
    await d.close();
  }
});

Deno.test("Dispatcher finishes a message of an unknown method as refused", async () => {
  const d = fakeDispatcher();
  try {
    d.push(to("a", "ship1", "REQNoSuchMethod"));
    await d.settle();
    assertEquals(d.finished, ["a unknown method"]);
    assertEquals(d.publishers, []);
  } finally {
    await d.close();
  }
});

Deno.test("Dispatcher requeues what a stopped publisher abandons, to a new publisher of the subject", async () => {
  const d = fakeDispatcher();
  try {
    d.push(to("a", "ship1"));
    await d.settle();
    const [first] = d.publishers;
    first.stopped = true;
    first.abandoned(to("a", "ship1"));
    first.end();
    await d.settle();
    assertEquals(d.requeued, ["a"]);
    assertEquals(d.publishers.length, 2);
    assertEquals(d.publishers[1].enqueued, ["a"]);
  } finally {
    await d.close();
  }
});

Deno.test("Dispatcher leaves an abandoned message for the next start while the node stops", async () => {
  const d = fakeDispatcher();
  try {
    d.push(to("a", "ship1"));
    await d.settle();
    d.state.stopping = true;
    d.publishers[0].abandoned(to("a", "ship1"));
    await d.settle();
    assertEquals(d.requeued, []);
  } finally {
    await d.close();
  }
});

Deno.test("Dispatcher makes a new publisher once the last one of a subject ended", async () => {
  const d = fakeDispatcher();
  try {
    d.push(to("a", "ship1"));
    await d.settle();
    d.publishers[0].end();
    await d.settle();
    d.push(to("b", "ship1"));
    await d.settle();
    assertEquals(d.publishers.map((p) => p.enqueued), [["a"], ["b"]]);
  } finally {
    await d.close();
  }
});
