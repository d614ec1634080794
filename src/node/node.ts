/**
 * The Node: one agent. It builds its stages (outbox, dispatcher, publishers, subscribers,
 * method runner, replier, recovery) over one database and wires them together.
 * It has no module-level state, so a process can run several nodes.
 *
 * @module
 */
import type { NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import type { Config } from "../config.ts";
import type { IntakePort, ReplyListener } from "../input/intake_port.ts";
import { startInputs } from "../input/start_inputs.ts";
import type { InputMessage, Message } from "../message/schema.ts";
import type { CommandSpawn } from "../methods/command_environment.ts";
import { Copies } from "../copy/copies.ts";
import type { NodeServices } from "../methods/types.ts";
import type { Metrics } from "../metrics.ts";
import type { Security } from "../security/security.ts";
import type { HelloStore } from "../store/hello_store.ts";
import type { KvWrite } from "../store/kv_batcher.ts";
import type { MessageEvents } from "../log/message_events.ts";
import { type NodeOutput, nodeOutput } from "../log/node_output.ts";
import { Dispatcher } from "./dispatcher.ts";
import { ErrorReporter } from "./error_reports.ts";
import { errorText } from "./error_text.ts";
import { Executor, maxConcurrentMethods } from "./executor.ts";
import { MethodRunner } from "./method_runner.ts";
import * as resources from "./node_resources.ts";
import type { NodeOptions } from "./node_resources.ts";
import { Outbox } from "./outbox.ts";
import { peerLabel } from "./peer_label.ts";
import { PublishOutcomes } from "./publish_outcomes.ts";
import { Recovery } from "./recovery.ts";
import { RefusalReports } from "./refusal_reports.ts";
import { Replier } from "./replier.ts";
import { ReplyFileWriter } from "./reply_file_writer.ts";
import { startServices } from "./services.ts";
import { SubscriberStarter } from "./subscriber_starter.ts";
import { Supervisor } from "./supervisor.ts";

export type { NodeOptions, ReplyListener };

/**
 * A Steward agent.
 *
 * @example
 * ```ts ignore
 * import { Node } from "./node.ts";
 * import { defaultConfig } from "../config.ts";
 * const node = await Node.start(defaultConfig({ nodeName: "central" }));
 * await node.ready;
 * await node.stop();
 * ```
 */
export class Node implements NodeServices, IntakePort {
  readonly config: Readonly<Config>;
  readonly supervisor: Supervisor;
  readonly metrics: Metrics;
  readonly hello: HelloStore;
  /** Idempotency keys of the inputs (see `IntakePort`). */
  readonly idempotency: resources.NodeStores["idempotency"];
  /** Signing, verification and ACL of this node. */
  readonly security: Security;
  /** Folder of the signing key, `config.json` and `acl.json` (the agent's CONFIG_FOLDER). */
  readonly configFolder: string;
  /** How commands are spawned (minimal environment, `-runAsUser`); set by `start`. */
  readonly commandSpawn: CommandSpawn;
  /** Resolves once the broker is reached and every subscriber is listening. */
  readonly ready: Promise<void>;
  /** Where each message's log lines go. */
  readonly events: MessageEvents;
  /** The node's file copies (REQCopySrc/REQCopyDst). */
  readonly copies: Copies;

  /** The database, audit log and store journal, closed by `stop`; the stores over them. */
  #held: resources.NodeResources;
  #stores: resources.NodeStores;
  #outbox: Outbox;
  /** The bounded pool of methods that do work (`pooled` in the method table). */
  #executor: Executor<Message>;
  #dispatcher: Dispatcher;
  #nc: Promise<NatsConnection>;
  #connection: NatsConnection | undefined;
  #output: NodeOutput;
  #replyListeners = new Set<ReplyListener>();
  /** Refusals of every subscriber, reported folded and rate-limited (bounded disk per flood). */
  #refusals = new RefusalReports({ report: (text, m) => this.reportError(text, m) });
  #stopped = false;
  #ready = Promise.withResolvers<void>();
  #recovery: Recovery;
  #errors: ErrorReporter;
  #subscribers: SubscriberStarter;
  #replyFileWriter: ReplyFileWriter;
  #startServices: () => Promise<void>;

  private constructor(config: Config, held: resources.NodeResources, options: NodeOptions) {
    const { kv, audit, journal, security, metrics } = held;
    this.config = config;
    this.configFolder = options.configFolder ?? config.databaseFolder;
    this.commandSpawn = held.commandSpawn;
    this.security = security;
    this.metrics = metrics;
    this.#held = held;
    const output = this.#output = nodeOutput(options);
    this.events = output.events;
    const supervisor = this.supervisor = new Supervisor((info, err) =>
      this.reportError(`process ${info.kind} ${info.name} failed: ${errorText(err)}`)
    );
    const stores = this.#stores = resources.nodeStores(kv, config, { ...options, ledger: journal });
    const { batcher, inflight, dedup, chains, replyFiles } = stores;
    ({ hello: this.hello, idempotency: this.idempotency } = stores);
    const outbox = this.#outbox = new Outbox({ config, inflight, chains, metrics });
    // What the stages share: each takes the parts its own `…Deps` interface names.
    const parts = {
      ...config,
      ...{ supervisor, metrics, security, audit, journal, batcher, inflight, dedup, chains },
      ...{ replyFiles, replyListeners: this.#replyListeners, refusals: this.#refusals },
      ...{ spool: held.commandSpawn.spool, newId: () => outbox.newId() },
      stopping: () => this.#stopped,
      stamp: (input: InputMessage) => this.stamp(input),
      submit: (...args: Parameters<Node["submit"]>) => this.submit(...args),
      connection: () => this.#nc,
      execute: (...args: Parameters<MethodRunner["execute"]>) => runner.execute(...args),
      peer: (m: Message) => peerLabel(m, { config, security }),
      reportError: (text: string, m?: Message) => this.reportError(text, m),
      errorMessage: (text: string, m: Message, id: string) => this.#errors.message(text, m, id),
      log: output.log,
      events: output.events,
    };
    this.#errors = new ErrorReporter(parts);
    const copies = this.copies = new Copies({ ...parts, kv, onReply: (l) => this.onReply(l) });
    const replier = new Replier(parts);
    const outcomes = new PublishOutcomes({
      ...parts,
      // Not before our own subscribers listen: a reply to a message re-sent at start-up would
      // find no responder and wait out a whole ACKTimeout.
      connection: () => this.#ready.promise.then(() => this.#nc),
      shell: (m, def) => replier.shell(m, def),
    });
    this.#dispatcher = new Dispatcher({
      ...parts,
      outbox,
      publisher: (subject, def, abandoned) => outcomes.publisher(subject, def, abandoned),
      finished: (m, outcome) => outcomes.finished(m, outcome),
    });
    const recovery = this.#recovery = new Recovery({
      ...parts,
      queue: (m) => outbox.requeue(m),
      replyError: (m, def, error) => replier.reply(m, def, { ok: false, data: "", error }),
    });
    this.#replyFileWriter = new ReplyFileWriter({
      ...parts,
      recovering: recovery.recovering,
      appendRecovered: (m, path, content) => recovery.appendOnce(m.id, path, content),
    });
    const executor = this.#executor = new Executor({
      maxConcurrent: maxConcurrentMethods(config.maxConcurrentMethods),
      observer: { waited: (ms) => metrics.executorQueueWait.observe({}, ms / 1000) },
      // Durably "started" before a command is spawned, not before: one still waiting for a
      // slot when the node dies is run after the restart instead of being lost.
      beforeStart: (m) => dedup.record(m, "started"),
    });
    const runner: MethodRunner = new MethodRunner({
      ...parts,
      node: this,
      executor,
      reply: (...args) => replier.reply(...args),
      recovering: recovery.recovering,
    });
    this.#subscribers = new SubscriberStarter(parts);
    this.#startServices = () => startServices({ ...parts, config, intake: this, copies });
    resources.readMetricsFrom(metrics, { executor, supervisor, stores, outbox });
    this.#nc = resources.connectNode(config, output.broker).then((nc) => this.#connection = nc);
    // Failure to connect is reported by whoever awaits the connection.
    this.#nc.catch(() => {});
    this.ready = this.#ready.promise;
  }

  /**
   * Opens the node's folders and database, recovers unfinished messages and starts every
   * process its configuration asks for. Inputs accept messages before the broker is reached.
   *
   * @throws {Error} when a folder or the database cannot be used, saying which and why.
   */
  static async start(config: Config, options: NodeOptions = {}): Promise<Node> {
    const { log } = nodeOutput(options);
    // Security sends trusted-key updates through the node, which needs security to exist.
    const started: { node?: Node } = {};
    const held = await resources.openNodeResources(config, {
      ...options,
      send: (input) =>
        started.node?.submit(started.node.stamp(input)) ??
          Promise.reject(new Error("node not started")),
      connected: () => started.node && started.node.#connection,
      // Failed audit writes are reported by the node, once it exists (at most once a minute).
      auditError: (text) => started.node ? started.node.reportError(text) : log(text),
    });
    const node = started.node = new Node(config, held, options);
    await node.#boot();
    // Reply files of an earlier version: many, perhaps, so not before the node starts.
    resources.tightenDataFiles(config, options);
    return node;
  }

  async #boot(): Promise<void> {
    // Unfinished messages go first, oldest first, before anything new can be queued behind
    // or ahead of them: per sender and subject, a restart re-sends in the order accepted.
    this.supervisor.start("ticker", "dispatcher", (signal) => this.#dispatcher.run(signal));
    await this.#recovery.requeueInflight();
    this.metrics.inflight.set(this.#stores.inflight.size);
    // Before any subscriber listens: a resend of one of these must find it finished.
    await this.#recovery.finishJournaledStores();
    this.#subscribers.startConfigured(this.config);
    await startInputs(this);
    await this.#startServices();
    Promise.all([this.#nc, ...this.#subscribers.listening]).then(
      () => this.#ready.resolve(),
      (err) => this.#ready.reject(err),
    );
    this.#ready.promise.catch(() => {});
    await this.#recovery.answerInterrupted();
  }

  /** The broker connection, once reached. */
  connection(): Promise<NatsConnection> {
    return this.#nc;
  }

  /** Messages accepted and not yet finished. */
  get inflightCount(): number {
    return this.#stores.inflight.size;
  }

  /**
   * Turns one input message into stamped messages, one per target node, with the configured
   * defaults for the timeouts and retries it leaves out.
   */
  stamp(input: InputMessage): Message[] {
    return this.#outbox.stamp(input);
  }

  /** Persists and queues stamped messages (see {@linkcode Outbox.submit}). */
  submit(
    messages: readonly Message[],
    alongWith: readonly KvWrite[] = [],
    options: { sendEarly?: boolean } = {},
  ): Promise<void> {
    return this.#outbox.submit(messages, alongWith, options);
  }

  /** Listens to every reply handled on this node (used to hand results to waiting clients). */
  onReply(listener: ReplyListener): () => void {
    this.#replyListeners.add(listener);
    return () => this.#replyListeners.delete(listener);
  }
  /** Starts the subscriber process for `method` on this node; returns its process id. */
  startSubscriber(method: string, allowedNodes?: string[]): number {
    return this.#subscribers.start(method, allowedNodes);
  }

  /** Writes (or appends) `content` to the reply file `message` names, inside the data folder. */
  writeReplyFile(message: Message, content: string, mode: "write" | "append"): Promise<string> {
    return this.#replyFileWriter.write(message, content, mode);
  }

  /** Prints a line on this node's output. */
  print(line: string): void {
    this.#output.print(line);
  }

  /**
   * Sends an error line to the central node's error log (and to the local log). Errors about
   * error messages themselves stay local, so a missing central cannot cause a loop.
   */
  reportError(text: string, about?: Message): void {
    this.#errors.report(text, about);
  }

  /** Stops every process, writes what is pending and closes the broker and the database. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#outbox.close();
    this.#refusals.flush(); // Counts still held are said, in the local log.
    const stopped = this.supervisor.stopAll();
    this.#executor.stop(`node ${this.config.nodeName} stopping`);
    await stopped;
    this.commandSpawn.thread?.close();
    await this.#stores.replyFiles.idle();
    await this.#stores.batcher.flush();
    await this.#held.audit.close();
    this.#held.journal.close();
    if (this.#connection) await this.#connection.drain().catch(() => {});
    else this.#nc.then((nc) => nc.close()).catch(() => {});
    this.#held.kv.close();
  }
}
