import type { Msg, NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import {
  type Ack,
  describeIssues,
  type Message,
  messageSchema,
  normalizeSpellings,
} from "../message/schema.ts";
import { subjectFor } from "../message/subject.ts";
import type { MethodDefinition } from "../methods/types.ts";
import { abortable } from "./abortable.ts";

/** What a subscriber needs from its node. */
export interface SubscriberDeps {
  nodeName: string;
  connection(): Promise<NatsConnection>;
  /** True when `id` was taken on before (at most once execution). */
  seen(id: string): Promise<boolean>;
  /** Persists that `message` was taken on; resolves once durable. */
  takeOn(message: Message): Promise<void>;
  /** Runs an accepted message (not awaited by the subscriber). */
  execute(message: Message, definition: MethodDefinition): void;
  /** Reports a message that could not be taken on. */
  refused(reason: string, message?: Message): void;
  received(message: Message): void;
  duplicate(message: Message): void;
}

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/**
 * The subscriber process for `<self>.<method>.<event>`: decodes and checks each message, refuses
 * bad ones with a reason, ACKs new ones once they are recorded, ACKs duplicates without running
 * them again, and hands the rest to the executor without waiting for it, so a slow method never
 * holds up the next message.
 *
 * @example
 * ```ts ignore
 * import { Subscriber } from "./subscriber.ts";
 * const sub = new Subscriber(cliCommand, deps, ["central"]);
 * supervisor.start("subscriber", sub.subject, (signal) => sub.run(signal));
 * ```
 */
export class Subscriber {
  readonly subject: string;
  readonly definition: MethodDefinition;
  readonly allowedNodes: readonly string[] | undefined;
  /** Resolves once the broker has registered the subscription. */
  readonly listening: Promise<void>;
  #deps: SubscriberDeps;
  #listening = Promise.withResolvers<void>();

  constructor(definition: MethodDefinition, deps: SubscriberDeps, allowedNodes?: string[]) {
    this.definition = definition;
    this.#deps = deps;
    this.allowedNodes = allowedNodes?.includes("*") ? undefined : allowedNodes;
    this.subject = subjectFor(deps.nodeName, definition.name, definition.event);
    this.listening = this.#listening.promise;
  }

  /** Receives messages until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const nc = await abortable(this.#deps.connection(), signal);
    const sub = nc.subscribe(this.subject, {
      callback: (err, msg) => {
        if (!err) this.#handle(msg).catch((e) => this.#deps.refused(`subscriber error: ${e}`));
      },
    });
    await nc.flush();
    this.#listening.resolve();
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
    sub.unsubscribe();
  }

  async #handle(msg: Msg): Promise<void> {
    const parsed = this.#parse(msg.data);
    if (typeof parsed === "string") {
      this.#answer(msg, { id: "", ok: false, error: parsed });
      this.#deps.refused(parsed);
      return;
    }
    const m = parsed;
    this.#deps.received(m);
    const problem = this.#check(m);
    if (problem) {
      this.#answer(msg, { id: m.id, ok: false, error: problem });
      this.#deps.refused(problem, m);
      return;
    }
    if (await this.#deps.seen(m.id)) {
      this.#deps.duplicate(m);
      this.#answer(msg, { id: m.id, ok: true, duplicate: true });
      return;
    }
    // Recorded before the ACK: a resend after a lost ACK, or after our restart, is a duplicate.
    await this.#deps.takeOn(m);
    this.#answer(msg, { id: m.id, ok: true });
    this.#deps.execute(m, this.definition);
  }

  #parse(data: Uint8Array): Message | string {
    let text: string;
    try {
      text = decoder.decode(data);
    } catch {
      return `message on ${this.subject} is not valid UTF-8`;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      return `message on ${this.subject} is not valid JSON: ${(err as Error).message}`;
    }
    const result = messageSchema.safeParse(normalizeSpellings(raw));
    if (!result.success) {
      return `message on ${this.subject} is invalid: ${describeIssues(result.error.issues)}`;
    }
    return result.data;
  }

  #check(m: Message): string | undefined {
    if (m.toNode !== this.#deps.nodeName) {
      return `message ${m.id} is for ${m.toNode}, received by ${this.#deps.nodeName}`;
    }
    if (m.method !== this.definition.name) {
      return `message ${m.id} has method ${m.method}, received on ${this.subject}`;
    }
    if (this.allowedNodes && !this.allowedNodes.includes(m.fromNode)) {
      return `node ${m.fromNode} is not allowed to use ${m.method} on ${this.#deps.nodeName}`;
    }
    return undefined;
  }

  #answer(msg: Msg, ack: Ack): void {
    if (msg.reply) msg.respond(encoder.encode(JSON.stringify(ack)));
  }
}
