/**
 * The hello ticker: every -startPubREQHello seconds, once the broker is reached, a node tells
 * central it is alive, with its public key and the version of the trusted set it holds.
 *
 * @module
 */
import type { InputMessage, Message } from "../message/schema.ts";
import type { Security } from "../security/security.ts";
import { abortable } from "./abortable.ts";

/** What {@linkcode sayHello} sends through. */
export interface HelloTickerDeps {
  /** This node's name, in the hello's data. */
  nodeName: string;
  /** Where hellos go. */
  centralNodeName: string;
  /** Seconds between hellos (-startPubREQHello). */
  everySeconds: number;
  /** Resolves once the broker is reached: the first hello waits for it. */
  connection(): Promise<unknown>;
  /** The key and trusted-set fields a hello carries. */
  security: Pick<Security, "helloFields">;
  /** Turns an input message into stamped messages. */
  stamp(input: InputMessage): Message[];
  /** Persists and queues messages. */
  submit(messages: readonly Message[]): Promise<void>;
}

/**
 * Sends a `REQHello` to central every `deps.everySeconds` until `signal` is aborted.
 *
 * @example
 * ```ts
 * import { sayHello } from "./hello_ticker.ts";
 * import { testMessage } from "../../test/message_fixture.ts";
 * const stop = new AbortController();
 * const sent: string[] = [];
 * await sayHello({
 *   nodeName: "ship1",
 *   centralNodeName: "central",
 *   everySeconds: 60,
 *   connection: () => Promise.resolve(),
 *   security: { helloFields: () => ({ publicKey: "k", trustVersion: 1 }) },
 *   stamp: (input) => [testMessage({ method: input.method, data: input.data })],
 *   submit: (messages) => {
 *     sent.push(messages[0].data);
 *     setTimeout(() => stop.abort(), 0); // one hello is enough here
 *     return Promise.resolve();
 *   },
 * }, stop.signal);
 * console.assert(sent[0] === "hello from ship1");
 * ```
 */
export async function sayHello(deps: HelloTickerDeps, signal: AbortSignal): Promise<void> {
  const every = deps.everySeconds * 1000;
  await abortable(deps.connection(), signal);
  while (!signal.aborted) {
    const [message] = deps.stamp({
      toNode: deps.centralNodeName,
      method: "REQHello",
      methodArgs: [],
      replyMethodArgs: [],
      directory: "",
      fileName: "",
      data: `hello from ${deps.nodeName}`,
    });
    // The hello announces our key to central, and which trusted set we hold.
    await deps.submit([{ ...message, ...deps.security.helloFields() }]);
    // Aborted while the hello was being stored: a listener added now would never fire.
    if (signal.aborted) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, every);
      function done() {
        clearTimeout(t);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
