/**
 * Steward nodes run inside the benchmark's (or a host's) process: `Node` has no module-level
 * state, so many can share one process, each with its own folders, KV and connection.
 *
 * @module
 */
import { join } from "node:path";
import { defaultConfig } from "../../src/config.ts";
import { inputMessageSchema, type Message } from "../../src/message/schema.ts";
import { Node } from "../../src/node/node.ts";
import { provision } from "../../test/pki.ts";

/**
 * Starts node `name` of the fleet whose central is `central` on `broker`, with its folders under
 * `dir/<name>` and the fleet's pre-seeded keys, quiet, without hello messages (unless
 * `helloSeconds`) and without
 * default process metrics; resolves once it is ready.
 *
 * @example
 * ```ts ignore
 * import { startLocalNode } from "./local_nodes.ts";
 * const central = await startLocalNode("central", "127.0.0.1:4222", "/tmp/bench");
 * await central.stop();
 * ```
 */
export async function startLocalNode(
  name: string,
  broker: string,
  dir: string,
  central = "central",
  options: { helloSeconds?: number } = {},
): Promise<Node> {
  const home = join(dir, name);
  // The config folder is the database folder (Node.start's default without one).
  const trust = await provision(name, join(home, "var"), central);
  const node = await Node.start(
    defaultConfig({
      ...trust,
      nodeName: name,
      centralNodeName: central,
      brokerAddress: broker,
      socketFolder: join(home, "tmp"),
      databaseFolder: join(home, "var"),
      subscribersDataFolder: join(home, "data"),
      natsConnectRetryInterval: 1,
      startPubREQHello: options.helloSeconds ?? 0,
    }),
    { defaultMetrics: false, print: () => {}, log: () => {} },
  );
  await node.ready;
  return node;
}

/**
 * Sends messages from a node and resolves when their replies have been handled there (the
 * reply file written), as the playbook client sees them.
 *
 * @example
 * ```ts ignore
 * import { ReplyWaiter } from "./local_nodes.ts";
 * const waiter = new ReplyWaiter(central);
 * const [reply] = await waiter.send({ toNode: "ship1", method: "REQPing" });
 * ```
 */
export class ReplyWaiter {
  #node: Node;
  #waiting = new Map<string, (reply: Message) => void>();

  constructor(node: Node) {
    this.#node = node;
    node.onReply((reply) => {
      const id = reply.previousMessage?.id;
      if (id === undefined || reply.seq !== undefined && !reply.final) return;
      const resolve = this.#waiting.get(id);
      if (resolve) {
        this.#waiting.delete(id);
        resolve(reply);
      }
    });
  }

  /**
   * Accepts `input` (one message, or one per `toNodes` entry) as an input would (sent while its
   * commit is in flight, see `Node.submit`), and resolves with every reply once all are handled.
   */
  async send(input: Record<string, unknown>): Promise<Message[]> {
    const messages = this.#node.stamp(inputMessageSchema.parse(input));
    const replies = messages.map((m) =>
      new Promise<Message>((resolve) => this.#waiting.set(m.id, resolve))
    );
    await this.#node.submit(messages, [], { sendEarly: true });
    return Promise.all(replies);
  }

  /** Stamps and submits many messages in one commit, resolving with each reply's latency. */
  async burst(inputs: Record<string, unknown>[]): Promise<number[]> {
    const t0 = performance.now();
    const messages = inputs.flatMap((i) => this.#node.stamp(inputMessageSchema.parse(i)));
    const done = messages.map((m) =>
      new Promise<number>((resolve) =>
        this.#waiting.set(m.id, () => resolve(performance.now() - t0))
      )
    );
    await this.#node.submit(messages, [], { sendEarly: true });
    return Promise.all(done);
  }
}
