/**
 * The dispatcher takes messages from the outbox in the order accepted and hands each to the
 * one publisher of its subject, so that messages to one subject leave in that order.
 *
 * @module
 */
import type { Message } from "../message/schema.ts";
import { subjectFor } from "../message/subject.ts";
import { methodNamed } from "../methods/registry.ts";
import type { MethodDefinition } from "../methods/types.ts";
import type { Outbox } from "./outbox.ts";
import type { PublishOutcome } from "./publisher.ts";
import type { Supervisor } from "./supervisor.ts";
import { errorText } from "./error_text.ts";

/** The publisher of one subject, as the dispatcher uses it. */
export interface SubjectPublisher {
  /** Queues a message to be sent after those enqueued before it. */
  enqueue(message: Message): void;
  /** Sends until `signal` is aborted or the publisher is stopped. */
  run(signal: AbortSignal): Promise<void>;
  /** Whether it was stopped (its messages are handed back through `abandoned`). */
  readonly stopped: boolean;
}

/** What a {@linkcode Dispatcher} takes messages from and hands them to. */
export interface DispatcherDeps {
  /** Where messages wait in the order accepted. */
  outbox: Pick<Outbox, "next" | "requeue">;
  /** Runs each publisher as a named, stoppable process. */
  supervisor: Pick<Supervisor, "start">;
  /**
   * Makes the publisher of `subject`; it calls `abandoned` for each message it gives up
   * unfinished because it was stopped.
   */
  publisher(
    subject: string,
    def: MethodDefinition,
    abandoned: (message: Message) => void,
  ): SubjectPublisher;
  /** A message that cannot be sent (unknown method) is finished here. */
  finished(message: Message, outcome: PublishOutcome): void;
  /** Whether the node is stopping: an abandoned message then waits for the next start. */
  stopping(): boolean;
  /** Writes a local log line. */
  log(line: string): void;
}

/**
 * Routes the outbox's messages to one publisher per subject, made when first needed.
 *
 * @example
 * ```ts
 * import { Dispatcher } from "./dispatcher.ts";
 * import { Supervisor } from "./supervisor.ts";
 * import { testMessage } from "../../test/message_fixture.ts";
 * const queue = [testMessage({ id: "a" })];
 * const sent: string[] = [];
 * const stop = new AbortController();
 * const dispatcher = new Dispatcher({
 *   outbox: {
 *     next: () => queue.length ? Promise.resolve(queue.shift()!) : new Promise(() => {}),
 *     requeue: () => Promise.resolve(),
 *   },
 *   supervisor: new Supervisor(),
 *   publisher: () => ({
 *     enqueue: (m) => {
 *       sent.push(m.id);
 *       stop.abort();
 *     },
 *     run: () => Promise.resolve(),
 *     stopped: false,
 *   }),
 *   finished() {},
 *   stopping: () => false,
 *   log() {},
 * });
 * dispatcher.run(stop.signal);
 * await new Promise((r) => setTimeout(r, 0));
 * console.assert(sent[0] === "a");
 * ```
 */
export class Dispatcher {
  #deps: DispatcherDeps;
  #publishers = new Map<string, SubjectPublisher>();

  /** A dispatcher through `deps`; nothing moves until {@linkcode run}. */
  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
  }

  /** Hands on messages until `signal` is aborted. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let m: Message;
      try {
        m = await this.#deps.outbox.next(signal);
      } catch {
        return;
      }
      const def = methodNamed(m.method);
      if (!def) {
        this.#deps.finished(m, { delivered: false, reason: "refused", error: "unknown method" });
        continue;
      }
      this.#publisherFor(subjectFor(m.toNode, m.method, def.event), def).enqueue(m);
    }
  }

  #publisherFor(subject: string, def: MethodDefinition): SubjectPublisher {
    const existing = this.#publishers.get(subject);
    if (existing) return existing;
    const pub = this.#deps.publisher(subject, def, (m) => {
      // Its publisher was stopped: the next one for this subject sends it.
      if (this.#publishers.get(subject)?.stopped) this.#publishers.delete(subject);
      if (!this.#deps.stopping()) {
        this.#deps.outbox.requeue(m).catch((err) =>
          this.#deps.log(`cannot requeue ${m.id}: ${errorText(err)}`)
        );
      }
    });
    this.#publishers.set(subject, pub);
    this.#deps.supervisor.start("publisher", subject, async (signal) => {
      try {
        await pub.run(signal);
      } finally {
        if (this.#publishers.get(subject) === pub) this.#publishers.delete(subject);
      }
    }, { method: def.name });
    return pub;
  }
}
