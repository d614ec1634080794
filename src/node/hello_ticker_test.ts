import { assertEquals } from "../../test/assert.ts";
import type { Message } from "../message/schema.ts";
import { testMessage } from "../../test/message_fixture.ts";
import { sayHello } from "./hello_ticker.ts";

Deno.test("sayHello() ends when its node stops while a hello is being stored, not a period later", async () => {
  const stop = new AbortController();
  const sent: Message[] = [];
  const ticker = sayHello({
    nodeName: "ship1",
    centralNodeName: "central",
    everySeconds: 3600,
    connection: () => Promise.resolve(),
    security: { helloFields: () => ({ publicKey: "k", trustVersion: -1 }) },
    stamp: () => [testMessage({ method: "REQHello" })],
    submit: (messages) => {
      sent.push(...messages);
      stop.abort(); // The node stops while the hello is being stored.
      return Promise.resolve();
    },
  }, stop.signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    ticker.then(() => "ended"),
    new Promise((resolve) => timer = setTimeout(() => resolve("still waiting"), 2000)),
  ]);
  clearTimeout(timer);
  assertEquals(outcome, "ended");
  assertEquals(sent.length, 1);
});
