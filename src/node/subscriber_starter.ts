/**
 * Starts a node's subscribers: one per method, each a supervised process that receives,
 * verifies, records and hands its messages to the method runner.
 *
 * @module
 */
import type { NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import type { Config } from "../config.ts";
import type { Message } from "../message/schema.ts";
import { methodNamed, METHODS } from "../methods/registry.ts";
import { type MethodDefinition, MethodError } from "../methods/types.ts";
import type { Metrics } from "../metrics.ts";
import type { Security } from "../security/security.ts";
import type { DedupStore } from "../store/dedup_store.ts";
import type { StoreJournal } from "../store/store_journal.ts";
import { refusalReason, type RefusalReports } from "./refusal_reports.ts";
import type { ReplyChains } from "./reply_chains.ts";
import { Subscriber } from "./subscriber.ts";
import type { Supervisor } from "./supervisor.ts";

/** What a {@linkcode SubscriberStarter} wires each subscriber to. */
export interface SubscriberStarterDeps {
  /** This node's name: the subjects it listens to. */
  nodeName: string;
  /** Largest message the broker takes. */
  maxMessageSize: number;
  /** The broker connection, once reached. */
  connection(): Promise<NatsConnection>;
  /** Runs each subscriber as a named, stoppable process, one per method. */
  supervisor: Pick<Supervisor, "start" | "find">;
  /** Which ids were taken on, and the records of those taken on. */
  dedup: Pick<DedupStore, "claim" | "lookup" | "release" | "record">;
  /** Where a store is noted before its effect. */
  journal: Pick<StoreJournal, "note">;
  /** Which replies answer a request made here (claimed once). */
  chains: Pick<ReplyChains, "authoredHere">;
  /** Verifies messages and chunks, seals ACKs, and knows the refusals it made itself. */
  security: Pick<Security, "admit" | "seal" | "verifyChunk" | "refusedQuietly">;
  /** Refusals, reported folded and rate-limited. */
  refusals: Pick<RefusalReports, "refused">;
  /** Where receipts, duplicates and refusals are counted. */
  metrics: Pick<Metrics, "refused" | "received" | "duplicates">;
  /** The `peer` label of a message received (see {@linkcode peerLabel}). */
  peer(m: Message): string;
  /** Runs a message here and replies. */
  execute(m: Message, def: MethodDefinition): Promise<void>;
}

/**
 * Starts subscribers and keeps the promises of their first listening.
 *
 * @example
 * ```ts ignore
 * import { SubscriberStarter } from "./subscriber_starter.ts";
 * const subscribers = new SubscriberStarter(deps); // deps: a node's broker, stores, security
 * const id = subscribers.start("REQPing"); // its process id
 * await Promise.all(subscribers.listening);
 * ```
 */
export class SubscriberStarter {
  #deps: SubscriberStarterDeps;
  #listening: Promise<void>[] = [];

  /** A starter over `deps`. */
  constructor(deps: SubscriberStarterDeps) {
    this.#deps = deps;
  }

  /** Resolve once each subscriber started so far listens. */
  get listening(): readonly Promise<void>[] {
    return this.#listening;
  }

  /** Starts the subscriber of every method whose `--startSubREQ…` flag `config` sets. */
  startConfigured(config: Readonly<Config>): void {
    for (const method of METHODS.values()) {
      if (config[method.flag]) this.start(method.name);
    }
  }

  /**
   * Starts the subscriber process for `method`; returns its process id.
   *
   * @throws {MethodError} when the method is unknown or its subscriber already runs.
   */
  start(method: string, allowedNodes?: string[]): number {
    const { supervisor, dedup, security, metrics } = this.#deps;
    const def = methodNamed(method);
    if (!def) throw new MethodError(`unknown method ${method}`);
    const existing = supervisor.find({ kind: "subscriber", method });
    if (existing.length > 0) {
      throw new MethodError(`a subscriber for ${method} is already running (id ${existing[0].id})`);
    }
    const sub = new Subscriber(def, {
      nodeName: this.#deps.nodeName,
      connection: () => this.#deps.connection(),
      claim: (id, lookup) => dedup.claim(id, lookup),
      lookup: (id) => dedup.lookup(id),
      release: (id) => dedup.release(id),
      takeOn: (m) => dedup.record(m, "running"),
      noteStore: (m) => this.#deps.journal.note(m),
      execute: (m, d) => this.#deps.execute(m, d),
      refused: (reason, m) => {
        metrics.refused.inc({ reason: refusalReason(reason) });
        if (!m || !security.refusedQuietly(m.id)) {
          this.#deps.refusals.refused(`refused: ${reason}`, m);
        }
      },
      received: (m) => metrics.received.inc({ method: m.method, peer: this.#deps.peer(m) }),
      duplicate: (m) => metrics.duplicates.inc({ method: m.method, peer: this.#deps.peer(m) }),
      maxMessageSize: this.#deps.maxMessageSize,
      workingFolder: Deno.cwd(),
      admit: (m, raw, resolved) =>
        // Claimed only once the reply is verified: an impostor cannot use a chain record up.
        security.admit(m, raw, {
          authoredHere: () => this.#deps.chains.authoredHere(m),
          resolved,
        }),
      sealAck: (ack) => security.seal(ack),
      verifyChunk: (seal) => security.verifyChunk(seal),
    }, allowedNodes);
    this.#listening.push(sub.listening);
    return supervisor.start("subscriber", sub.subject, (signal) => sub.run(signal), {
      method,
      allowedNodes: sub.allowedNodes ? [...sub.allowedNodes] : undefined,
    }).id;
  }
}
