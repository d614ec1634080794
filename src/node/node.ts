/**
 * The Node: one agent, wiring inputs, KV, ring buffer, publishers, subscribers and methods.
 * It has no module-level state, so a process can run several nodes.
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import { AuditLog } from "../audit.ts";
import type { Config } from "../config.ts";
import { replyIdFor } from "../message/id.ts";
import { replyFilePath } from "../message/paths.ts";
import type { InputMessage, Message } from "../message/schema.ts";
import { methodNamed, METHODS } from "../methods/table.ts";
import { type MethodDefinition, MethodError, type NodeServices } from "../methods/types.ts";
import { type CommandSpawn, commandSpawnFor } from "../methods/command_environment.ts";
import { Metrics } from "../metrics.ts";
import { DedupStore } from "../store/dedup_store.ts";
import { HelloStore } from "../store/hello_store.ts";
import { InflightStore } from "../store/inflight_store.ts";
import { KvBatcher, type KvWrite } from "../store/kv_batcher.ts";
import { StoreJournal } from "../store/store_journal.ts";
import { CorruptDatabaseError, openKvFile } from "../store/kv_file.ts";
import { loadJournalKey } from "../store/journal_key.ts";
import { PRIVATE_FILE_MODE, PRIVATE_FOLDER_MODE } from "../store/file_modes.ts";
import { dataModes, describeNodeFiles, tightenNodeFiles } from "./private_files.ts";
import { connectBroker } from "../transport/nats.ts";
import { Security } from "../security/security.ts";
import { Publisher, type PublishOutcome } from "./publisher.ts";
import { Outbox } from "./outbox.ts";
import { Dispatcher } from "./dispatcher.ts";
import { abortable } from "./abortable.ts";
import { methodDeadline } from "./method_deadline.ts";
import { ReplyFiles } from "./reply_files.ts";
import { Subscriber } from "./subscriber.ts";
import { ReplyChains } from "./reply_chains.ts";
import { refusalReason, RefusalReports } from "./refusal_reports.ts";
import { Supervisor } from "./supervisor.ts";
import { Recovery } from "./recovery.ts";
import { Executor, ExecutorStoppedError, maxConcurrentMethods } from "./executor.ts";
import { startInputs } from "../input/start_inputs.ts";
import type { IntakePort, ReplyListener } from "../input/intake_port.ts";
import { serveMetrics } from "../metrics_server.ts";
import { serveDataFolder } from "../input/expose_data_folder.ts";
import { hostPlaybooks } from "../playbooks_host.ts";
import { visibleControls } from "../methods/visible_controls.ts";

/** Options of {@linkcode Node.start}. */
export interface NodeOptions {
  /** Where REQToConsole and status lines go (default: standard output). */
  print?: (line: string) => void;
  /** Where local error lines go (default: standard error). */
  log?: (line: string) => void;
  /** Collect default process metrics (default true; off when many nodes share a process). */
  defaultMetrics?: boolean;
  /** How long a receiver remembers executed ids (default: -dedupRetentionSeconds). */
  dedupRetentionMs?: number;
  /** Folder of the signing key and acl.json: the agent's CONFIG_FOLDER (default databaseFolder). */
  configFolder?: string;
}

export type { ReplyListener };

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
  /** Signing, verification and ACL of this node. */
  readonly security: Security;
  /** Folder of the signing key, `config.json` and `acl.json` (the agent's CONFIG_FOLDER). */
  readonly configFolder: string;
  /** How commands are spawned (minimal environment, `-runAsUser`); set by `start`. */
  get commandSpawn(): CommandSpawn {
    return this.#commandSpawn;
  }
  #commandSpawn: CommandSpawn = { env: {} };
  /** Resolves once the broker is reached and every subscriber is listening. */
  readonly ready: Promise<void>;

  #kv: Deno.Kv;
  #batcher: KvBatcher;
  #inflight: InflightStore;
  #dedup: DedupStore;
  #chains: ReplyChains;
  #audit: AuditLog;
  #journal: StoreJournal;
  #outbox: Outbox;
  /** The bounded pool of methods that do work (`pooled` in the method table). */
  #executor: Executor<Message>;
  #dispatcher: Dispatcher;
  #nc: Promise<NatsConnection>;
  #connection: NatsConnection | undefined;
  #print: (line: string) => void;
  #log: (line: string) => void;
  #replyFiles: ReplyFiles;
  #replyListeners = new Set<ReplyListener>();
  /** Refusals of every subscriber, reported folded and rate-limited (bounded disk per flood). */
  #refusals = new RefusalReports({ report: (text, m) => this.reportError(text, m) });
  #stopped = false;
  #ready = Promise.withResolvers<void>();
  #recovery: Recovery;
  /** Ids of stores being finished after a restart interrupted them. */
  #recovering: ReadonlySet<string>;
  #listening: Promise<void>[] = [];

  private constructor(
    config: Config,
    kv: Deno.Kv,
    audit: AuditLog,
    journal: StoreJournal,
    options: NodeOptions,
    security: Security,
    metrics: Metrics,
  ) {
    this.config = config;
    this.#journal = journal;
    this.security = security;
    this.configFolder = options.configFolder ?? config.databaseFolder;
    this.#kv = kv;
    this.#audit = audit;
    this.#replyFiles = new ReplyFiles(config.subscribersDataFolder, dataModes(config));
    // Log lines quote ids, methods and errors that other nodes chose: shown, never obeyed by
    // the terminal (escape sequences are escaped visibly).
    const print = options.print ?? ((line) => console.log(line));
    const log = options.log ?? ((line) => console.error(line));
    this.#print = (line) => print(visibleControls(line, { keepNewlines: true }));
    this.#log = (line) => log(visibleControls(line, { keepNewlines: true }));
    this.metrics = metrics;
    this.supervisor = new Supervisor((info, err) =>
      this.reportError(`process ${info.kind} ${info.name} failed: ${errorText(err)}`)
    );
    this.#batcher = new KvBatcher(kv);
    this.#inflight = new InflightStore(kv, this.#batcher);
    this.#dedup = new DedupStore(
      kv,
      this.#batcher,
      options.dedupRetentionMs ?? config.dedupRetentionSeconds * 1000,
    );
    this.hello = new HelloStore(kv);
    // A chain record lives as long as its request can still be answered (see ReplyChains).
    this.#chains = new ReplyChains(kv);
    this.#outbox = new Outbox({
      config,
      inflight: this.#inflight,
      chains: this.#chains,
      metrics,
    });
    this.#dispatcher = new Dispatcher({
      outbox: this.#outbox,
      supervisor: this.supervisor,
      publisher: (subject, def, abandoned) => this.#newPublisher(subject, def, abandoned),
      finished: (m, outcome) => this.#finished(m, outcome),
      stopping: () => this.#stopped,
      log: (line) => this.#log(line),
    });
    this.#recovery = new Recovery({
      nodeName: config.nodeName,
      databaseFolder: config.databaseFolder,
      inflight: this.#inflight,
      queue: (m) => this.#outbox.requeue(m),
      journal,
      dedup: this.#dedup,
      execute: (m, def) => this.#execute(m, def),
      replyError: (m, def, error) => this.#reply(m, def, { ok: false, data: "", error }),
      replyFiles: this.#replyFiles,
      reportError: (text) => this.reportError(text),
      log: (line) => this.#log(line),
    });
    this.#recovering = this.#recovery.recovering;
    this.#executor = new Executor({
      maxConcurrent: maxConcurrentMethods(config.maxConcurrentMethods),
      observer: { waited: (ms) => this.metrics.executorQueueWait.observe({}, ms / 1000) },
      // Durably "started" before a command is spawned, not before: one still waiting for a
      // slot when the node dies is run after the restart instead of being lost.
      beforeStart: (m) => this.#dedup.record(m, "started"),
    });
    this.metrics.readFrom({
      executor: () => ({ queued: this.#executor.queued, running: this.#executor.running }),
      processes: () => this.supervisor.list(),
      inflight: () => this.#inflight.size,
      ringBufferDepth: () => this.#outbox.length,
      helloSeen: () => this.hello.all(),
    });
    this.#nc = connectBroker({
      brokerAddress: config.brokerAddress,
      name: config.nodeName,
      retryIntervalSeconds: config.natsConnectRetryInterval,
      nkeySeedFile: config.nkeySeedFile || undefined,
      rootCAPath: config.rootCAPath || undefined,
      certFile: config.certFile || undefined,
      keyFile: config.keyFile || undefined,
      // Our own inbox: the broker can then let each node read only its own ACKs.
      inboxPrefix: `_INBOX.${config.nodeName}`,
      onStatus: (s) => {
        if (s.type === "disconnect" || s.type === "reconnect") {
          this.#log(`${new Date().toISOString()} ${config.nodeName}: broker ${s.type}`);
        }
      },
    }).then((nc) => this.#connection = nc);
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
    // A -runAsUser the agent cannot use stops it here, before it accepts any command.
    const commandSpawn = await commandSpawnFor(config);
    for (
      const [flag, folder, mode] of [
        ["databaseFolder", config.databaseFolder, PRIVATE_FOLDER_MODE],
        ["subscribersDataFolder", config.subscribersDataFolder, dataModes(config).folder],
      ] as const
    ) {
      await checkWritableFolder(flag, folder, mode);
    }
    const log = options.log ?? ((line: string) => console.error(line));
    const configFolder = options.configFolder ?? config.databaseFolder;
    // Before anything is opened: files an earlier version left readable by others.
    const tightened = await tightenNodeFiles(config, configFolder, { only: "agent" });
    for (const line of describeNodeFiles(tightened)) log(`${config.nodeName}: ${line}`);
    let kv: Deno.Kv;
    const kvPath = `${config.databaseFolder}/steward.kv`;
    try {
      kv = await openKvFile(kvPath);
    } catch (err) {
      if (err instanceof CorruptDatabaseError) throw err;
      throw new Error(
        `-databaseFolder "${config.databaseFolder}": cannot open the database ${kvPath}: ` +
          errorText(err),
      );
    }
    const auditPath = `${config.databaseFolder}/audit.log`;
    // Failed audit writes are reported by the node, once it exists (at most once a minute).
    const auditErrors: { report: (text: string) => void } = {
      report: (text) => (options.log ?? console.error)(text),
    };
    const audit = await AuditLog.open(auditPath, {
      maxBytes: config.auditMaxBytes,
      maxFiles: config.auditMaxFiles,
      onError: (text) => auditErrors.report(text),
    }).catch((err) => {
      kv.close();
      throw new Error(
        `-databaseFolder "${config.databaseFolder}": cannot open the audit log ${auditPath}: ` +
          errorText(err),
      );
    });
    const journalPath = `${config.databaseFolder}/store_journal.log`;
    let journal: StoreJournal;
    try {
      journal = StoreJournal.open(journalPath, await loadJournalKey(configFolder));
    } catch (err) {
      kv.close();
      await audit.close();
      throw new Error(
        `-databaseFolder "${config.databaseFolder}": cannot open the store journal ` +
          `${journalPath}: ${errorText(err)}`,
      );
    }
    // Security sends trusted-key updates through the node, which needs security to exist.
    const started: { node?: Node } = {};
    let security: Security;
    try {
      security = await Security.open(kv, config, {
        configFolder: options.configFolder ?? config.databaseFolder,
        send: (input) =>
          started.node
            ? started.node.submit(started.node.stamp(input))
            : Promise.reject(new Error("node not started")),
        log: options.log ?? ((line) => console.error(line)),
      });
    } catch (err) {
      kv.close();
      journal.close();
      throw new Error(`Cannot load the node's signing key and ACL: ${errorText(err)}`);
    }
    const metrics = await Metrics.open({
      serve: config.promHostAndPort !== "",
      defaultMetrics: options.defaultMetrics,
    });
    const node = new Node(config, kv, audit, journal, options, security, metrics);
    started.node = node;
    auditErrors.report = (text) => node.reportError(text);
    node.#commandSpawn = commandSpawn;
    await node.#boot();
    // Reply files of an earlier version: many, perhaps, so not before the node starts.
    tightenNodeFiles(config, configFolder, { only: "data" }).then(
      (report) => describeNodeFiles(report).forEach((line) => log(`${config.nodeName}: ${line}`)),
      (err) =>
        log(`${config.nodeName}: cannot narrow the modes in the data folder: ${errorText(err)}`),
    );
    return node;
  }

  async #boot(): Promise<void> {
    // Unfinished messages go first, oldest first, before anything new can be queued behind
    // or ahead of them: per sender and subject, a restart re-sends in the order accepted.
    this.supervisor.start("ticker", "dispatcher", (signal) => this.#dispatcher.run(signal));
    await this.#recovery.requeueInflight();
    this.metrics.inflight.set(this.#inflight.size);
    // Before any subscriber listens: a resend of one of these must find it finished.
    await this.#recovery.finishJournaledStores();
    for (const method of METHODS.values()) {
      if (this.config[method.flag]) this.startSubscriber(method.name);
    }
    await startInputs(this);
    if (this.metrics.registry) {
      const prom = serveMetrics(this.metrics.registry, this.config.promHostAndPort);
      this.supervisor.start("listener", `prom:${this.config.promHostAndPort}`, (s) => prom.run(s));
    }
    if (this.config.exposeDataFolder) {
      const at = this.config.exposeDataFolder;
      const data = serveDataFolder(this.config.subscribersDataFolder, at);
      this.supervisor.start("listener", `exposeDataFolder:${at}`, (s) => data.run(s));
    }
    if (this.config.playbooksFolder) {
      const folder = this.config.playbooksFolder;
      this.supervisor.start("ticker", `playbooks:${folder}`, (signal) =>
        hostPlaybooks({
          folder,
          socketPath: join(this.config.socketFolder, "steward.sock"),
          nodeName: this.config.nodeName,
          reportError: (text) => this.reportError(text),
          log: (line) => this.#log(`${this.config.nodeName}: ${line}`),
        }, signal));
    }
    Promise.all([this.#nc, ...this.#listening]).then(
      () => this.#ready.resolve(),
      (err) => this.#ready.reject(err),
    );
    this.#ready.promise.catch(() => {});
    if (this.config.startPubREQHello > 0) {
      this.supervisor.start("ticker", "REQHello", (signal) => this.#sayHello(signal));
    }
    await this.#recovery.answerInterrupted();
  }

  /** The broker connection, once reached. */
  connection(): Promise<NatsConnection> {
    return this.#nc;
  }

  /** Messages accepted and not yet finished. */
  get inflightCount(): number {
    return this.#inflight.size;
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

  #newPublisher(
    subject: string,
    def: MethodDefinition,
    abandoned: (m: Message) => void,
  ): Publisher {
    return new Publisher(subject, def.event, {
      // Not before our own subscribers listen: a reply to a message re-sent at start-up would
      // find no responder and wait out a whole ACKTimeout.
      connection: () => this.#ready.promise.then(() => this.#nc),
      // A node runs a few commands at a time (-maxConcurrentMethods): flooding it with a
      // thousand only has it verify and record them all before the first result can leave.
      // A window a few times its pool keeps that pool fed; instant methods keep a wide one.
      window: def.pooled ? POOLED_WINDOW : 1024,
      maxMessageSize: this.config.maxMessageSize,
      encode: (m) => this.security.seal(m),
      verifyAck: (m, raw) => this.security.verifyAck(m, raw),
      sealChunk: (fields) => this.security.sealChunk(fields),
      sent: (m, attempt) => {
        this.metrics.published.inc({ method: m.method, peer: m.toNode });
        if (attempt > 0) this.metrics.retried.inc({ method: m.method, peer: m.toNode });
        if (attempt === 0) this.#audit.record("published", subject, m);
      },
      finished: (m, outcome) => this.#finished(m, outcome),
      abandoned,
    });
  }

  #finished(m: Message, outcome: PublishOutcome): void {
    const labels = { method: m.method, peer: m.toNode };
    const subject = `${m.toNode}.${m.method}`;
    if (outcome.delivered) {
      this.metrics.delivered.inc(labels);
      if (outcome.acked) {
        this.metrics.acked.inc(labels);
        this.metrics.ackLatency.observe({ method: m.method }, outcome.ackMs / 1000);
      }
      // Delivered means sent: its "published" line carries the whole message.
      this.#audit.outcome("delivered", subject, m.id, outcome.duplicate ? "duplicate" : undefined);
    } else {
      this.metrics.failed.inc({ ...labels, reason: outcome.reason });
      this.#audit.record(
        outcome.reason === "refused" ? "refused" : "failed",
        subject,
        m,
        outcome.error,
      );
      this.reportError(outcome.error, m);
      this.#notifyFailure(m, outcome.error);
      if (outcome.reason === "too-large" && m.isReply && m.data !== "") {
        // The result cannot travel: its requester still gets a reply saying why.
        const error = `result not sent: ${outcome.error}`;
        this.submit([{ ...m, id: this.#outbox.newId(), data: "", ok: false, error }]).catch((err) =>
          this.#log(`cannot queue reply to ${m.previousMessage?.id}: ${errorText(err)}`)
        );
      }
    }
    this.#inflight.remove(m.id).catch((err) =>
      this.#log(`cannot remove finished message ${m.id} from KV: ${errorText(err)}`)
    ).finally(() => this.metrics.inflight.set(this.#inflight.size));
  }

  /** A request that could not be delivered is answered locally with an error reply. */
  #notifyFailure(m: Message, error: string): void {
    if (m.isReply || this.#replyListeners.size === 0) return;
    const reply: Message = {
      ...this.#replyShell(m, methodNamed(m.method)),
      toNode: this.config.nodeName,
      fromNode: m.toNode,
      ok: false,
      error,
    };
    for (const l of this.#replyListeners) l(reply);
  }

  /** Starts the subscriber process for `method` on this node; returns its process id. */
  startSubscriber(method: string, allowedNodes?: string[]): number {
    const def = methodNamed(method);
    if (!def) throw new MethodError(`unknown method ${method}`);
    const existing = this.supervisor.find({ kind: "subscriber", method });
    if (existing.length > 0) {
      throw new MethodError(`a subscriber for ${method} is already running (id ${existing[0].id})`);
    }
    const sub = new Subscriber(def, {
      nodeName: this.config.nodeName,
      connection: () => this.#nc,
      claim: (id, lookup) => this.#dedup.claim(id, lookup),
      lookup: (id) => this.#dedup.lookup(id),
      release: (id) => this.#dedup.release(id),
      takeOn: (m) => this.#dedup.record(m, "running"),
      noteStore: (m) => this.#journal.note(m),
      execute: (m, d) => this.#execute(m, d),
      refused: (reason, m) => {
        this.metrics.refused.inc({ reason: refusalReason(reason) });
        if (!m || !this.security.refusedQuietly(m.id)) {
          this.#refusals.refused(`refused: ${reason}`, m);
        }
      },
      received: (m) => this.metrics.received.inc({ method: m.method, peer: this.#peer(m) }),
      duplicate: (m) => this.metrics.duplicates.inc({ method: m.method, peer: this.#peer(m) }),
      maxMessageSize: this.config.maxMessageSize,
      admit: (m, raw) =>
        // Claimed only once the reply is verified: an impostor cannot use a chain record up.
        this.security.admit(m, raw, { authoredHere: () => this.#chains.authoredHere(m) }),
      sealAck: (ack) => this.security.seal(ack),
      verifyChunk: (seal) => this.security.verifyChunk(seal),
    }, allowedNodes);
    this.#listening.push(sub.listening);
    return this.supervisor.start("subscriber", sub.subject, (signal) => sub.run(signal), {
      method,
      allowedNodes: sub.allowedNodes ? [...sub.allowedNodes] : undefined,
    }).id;
  }

  /**
   * The `peer` label of a message received: its sender once verified. With
   * -requireSignatures=false a sender with no trusted key passes unverified, and its made-up
   * name must not become a metric series: such senders share one label.
   */
  #peer(m: Message): string {
    if (this.config.requireSignatures || this.security.keyOf(m.fromNode)) return m.fromNode;
    return m.fromNode === this.config.centralNodeName ? m.fromNode : "unverified";
  }

  #execute(m: Message, def: MethodDefinition): Promise<void> {
    const ended = Promise.withResolvers<void>();
    const name = `${def.name} ${m.id}`;
    if (!def.pooled) {
      this.supervisor.start("method", name, async (stop) => {
        try {
          await this.#run(m, def, stop);
        } finally {
          ended.resolve();
        }
      }, { method: def.name });
      return ended.promise;
    }
    // Listed as queued until a slot is free; its methodTimeout counts from the start of its run.
    const { id } = this.supervisor.start("method", name, async (stop) => {
      let started = false;
      try {
        await this.#executor.run(m, () => {
          started = true;
          this.supervisor.markRunning(id);
          return this.#run(m, def, stop);
        }, { signal: stop });
      } catch (err) {
        // Stopped with the node: its "running" record is answered at the next start.
        if (started || this.#stopped || err instanceof ExecutorStoppedError) throw err;
        await this.#run(m, def, stop, `not started: ${errorText(err)}`);
      } finally {
        ended.resolve();
      }
    }, { method: def.name, state: "queued" });
    return ended.promise;
  }

  /** Runs `m` and replies; with `notRun`, replies with that error instead of running it. */
  async #run(m: Message, def: MethodDefinition, stop: AbortSignal, notRun?: string): Promise<void> {
    const deadline = methodDeadline(stop, m.methodTimeout * 1000);
    const signal = deadline.signal;
    let seq = 0;
    const emit = async (data: string) => {
      await this.#reply(m, def, { ok: true, data }, { seq: seq++ });
    };
    let result: ReplyResult;
    try {
      // A store's journal line reaches the kernel before its effect (see StoreJournal).
      if (def.runBeforeAck) this.#flushJournal();
      if (notRun !== undefined) throw new MethodError(notRun);
      const out = await def.handler({ node: this, message: m, signal, emit });
      result = { ok: true, data: out.data };
    } catch (err) {
      const cause = (err as Error)?.cause as { stdout?: string } | undefined;
      result = { ok: false, data: cause?.stdout ?? "", error: errorText(err) };
    } finally {
      deadline.clear();
    }
    this.metrics.executed.inc({
      method: m.method,
      peer: this.#peer(m),
      outcome: result.ok ? "ok" : "error",
    });
    if (m.isReply && m.previousMessage?.createdAt) {
      this.metrics.endToEndLatency.observe(
        { method: m.previousMessage.method },
        (Date.now() - m.previousMessage.createdAt) / 1000,
      );
    }
    if (m.isReply) { for (const l of this.#replyListeners) l(m); }
    // The "done" mark goes in the reply's commit: one commit fewer per message, and a crash
    // leaves both or neither. A store has no reply; recovery never appends its data twice, so
    // its mark may wait for the next commit.
    const done = this.#dedup.doneMark(m);
    const stream = seq > 0 ? { seq, final: true } : {};
    // An instant method's reply is sent while its commit is in flight; a crash before the
    // commit makes the method run again on the resend, and its reply (same id) a duplicate.
    const early = def.instant === true;
    // A store's journal line is settled once its "done" mark is durable, in every branch.
    if (await this.#reply(m, def, result, stream, [done], early)) {
      this.#journal.settled(m.id);
      return;
    }
    if (def.runBeforeAck && !this.#recovering.has(m.id)) {
      this.#batcher.defer([done]).then(
        () => this.#journal.settled(m.id),
        (err) => this.#log(`cannot mark ${m.id} done: ${errorText(err)}`),
      );
    } else {
      await this.#batcher.write([done]);
      this.#journal.settled(m.id);
    }
  }

  #replyShell(m: Message, def: MethodDefinition | undefined): Message {
    const finalHop = m.isReply;
    return {
      id: this.#outbox.newId(),
      fromNode: this.config.nodeName,
      toNode: finalHop ? this.config.centralNodeName : m.fromNode,
      method: finalHop ? "REQToFileAppend" : (m.replyMethod || def?.defaultReplyMethod || ""),
      methodArgs: finalHop ? [] : m.replyMethodArgs,
      replyMethodArgs: [],
      ACKTimeout: m.replyACKTimeout,
      retries: m.replyRetries,
      replyACKTimeout: m.replyACKTimeout,
      replyRetries: m.replyRetries,
      methodTimeout: m.replyMethodTimeout,
      replyMethodTimeout: m.replyMethodTimeout,
      directory: m.directory,
      fileName: m.fileName,
      data: "",
      createdAt: Date.now(),
      isReply: true,
      previousMessage: m.isReply && m.previousMessage ? m.previousMessage : {
        id: m.id,
        method: m.method,
        toNode: m.toNode,
        fromNode: m.fromNode,
        methodArgs: m.methodArgs,
        createdAt: m.createdAt,
      },
    };
  }

  /**
   * Sends the reply of `m` (none for a method without one: a failure is reported instead), in
   * one commit with `alongWith`. Returns whether that commit was made.
   */
  async #reply(
    m: Message,
    def: MethodDefinition,
    result: ReplyResult,
    stream: { seq?: number; final?: boolean } = {},
    alongWith: readonly KvWrite[] = [],
    sendEarly = false,
  ): Promise<boolean> {
    if (!def.defaultReplyMethod) {
      if (!result.ok) {
        const kept = m.isReply ? await this.#keepUndeliverable(m) : "";
        this.reportError(`${def.name} failed: ${result.error}${kept}`, m);
      }
      return false;
    }
    const reply: Message = {
      ...this.#replyShell(m, def),
      data: result.data,
      ok: result.ok,
      ...(result.ok ? {} : { error: result.error }),
      ...stream,
      ...(sendEarly ? { id: replyIdFor(m.id) } : {}),
    };
    try {
      await this.submit([reply], alongWith, { sendEarly });
      return true;
    } catch (err) {
      this.#log(`cannot queue reply to ${m.id}: ${errorText(err)}`);
      return false;
    }
  }

  /**
   * Keeps a reply that its handler could not store (a full disk, a folder in the way) in
   * `<databaseFolder>/undeliverable/`, so a result accepted from the network is never lost.
   * Returns a note for the error line.
   */
  async #keepUndeliverable(m: Message): Promise<string> {
    const path = `${this.config.databaseFolder}/undeliverable/${m.id}.json`;
    try {
      await Deno.mkdir(dirname(path), { recursive: true, mode: PRIVATE_FOLDER_MODE });
      await Deno.writeTextFile(path, JSON.stringify(m), { mode: PRIVATE_FILE_MODE });
      return `; the reply was kept in ${path}`;
    } catch (err) {
      return `; the reply could not be kept either (${errorText(err)})`;
    }
  }

  /** Writes (or appends) `content` to the reply file `message` names, inside the data folder. */
  writeReplyFile(message: Message, content: string, mode: "write" | "append"): Promise<string> {
    const path = replyFilePath(this.config.subscribersDataFolder, {
      directory: message.directory,
      node: message.fromNode,
      fileName: message.fileName || `${message.previousMessage?.method ?? message.method}.result`,
    });
    const written = this.#recovering.has(message.id) && mode === "append"
      ? this.#recovery.appendUnlessPresent(path, content)
      : this.#replyFiles.write(path, content, mode);
    return written.then(() => path, (err) => {
      throw new MethodError(`Cannot write reply file "${path}": ${errorText(err)}`);
    });
  }

  #flushJournal(): void {
    try {
      this.#journal.flush();
    } catch (err) {
      throw new MethodError(`cannot write the store journal: ${errorText(err)}`);
    }
  }

  /** Prints a line on this node's output. */
  print(line: string): void {
    this.#print(line);
  }

  /**
   * Sends an error line to the central node's error log (and to the local log). Errors about
   * error messages themselves stay local, so a missing central cannot cause a loop.
   */
  reportError(text: string, about?: Message): void {
    const where = about
      ? `toNode: ${about.toNode}, fromNode: ${about.fromNode}, method: ${about.method}, ` +
        `id: ${about.id}${about.previousMessage ? ` (reply to ${about.previousMessage.id})` : ""}: `
      : "";
    const line = `${
      new Date().toISOString()
    }, error: node: ${this.config.nodeName}, ${where}${text}`;
    this.#log(line);
    this.metrics.errors.inc({ kind: errorKind(text) });
    if (this.#stopped || about?.method === "REQErrorLog") return;
    const [message] = this.stamp({
      toNode: this.config.centralNodeName,
      method: "REQErrorLog",
      methodArgs: [],
      replyMethodArgs: [],
      directory: "",
      fileName: "",
      data: line,
      ACKTimeout: this.config.errorMessageTimeout,
      retries: this.config.errorMessageRetries,
    });
    this.submit([message]).catch((err) => this.#log(`cannot queue error: ${errorText(err)}`));
  }

  async #sayHello(signal: AbortSignal): Promise<void> {
    const every = this.config.startPubREQHello * 1000;
    await abortable(this.#nc, signal);
    while (!signal.aborted) {
      const [message] = this.stamp({
        toNode: this.config.centralNodeName,
        method: "REQHello",
        methodArgs: [],
        replyMethodArgs: [],
        directory: "",
        fileName: "",
        data: `hello from ${this.config.nodeName}`,
      });
      // The hello announces our key to central, and which trusted set we hold.
      await this.submit([{ ...message, ...this.security.helloFields() }]);
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, every);
        function done() {
          clearTimeout(t);
          resolve();
        }
        signal.addEventListener("abort", done, { once: true });
      });
    }
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
    this.#commandSpawn.thread?.close();
    await this.#replyFiles.idle();
    await this.#batcher.flush();
    await this.#audit.close();
    this.#journal.close();
    if (this.#connection) await this.#connection.drain().catch(() => {});
    else this.#nc.then((nc) => nc.close()).catch(() => {});
    this.#kv.close();
  }
}

/** Messages of a pooled method in flight to one node at once (see `#newPublisher`). */
const POOLED_WINDOW = 64;

interface ReplyResult {
  ok: boolean;
  data: string;
  error?: string;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errorKind(text: string): string {
  if (text.startsWith("max retries")) return "max_retries";
  if (text.startsWith("refused")) return "refused";
  if (text.startsWith("input rejected")) return "input";
  return "other";
}

async function checkWritableFolder(flag: string, folder: string, mode: number): Promise<void> {
  try {
    await Deno.mkdir(folder, { recursive: true, mode });
    const probe = `${folder}/.steward-write-test-${crypto.randomUUID()}`;
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (err) {
    throw new Error(`-${flag} "${folder}" is not a writable folder: ${errorText(err)}`);
  }
}
