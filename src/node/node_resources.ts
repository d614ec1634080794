/**
 * What a node opens and holds: its folders (checked writable), its database, audit log and
 * store journal, its keys and ACL, its metrics and the way it spawns commands, all opened
 * before the node exists (a failure says which one and why); the stores over its database;
 * and its broker connection.
 *
 * @module
 */
import type { NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import { join } from "node:path";
import { AuditLog } from "../audit.ts";
import type { Config } from "../config.ts";
import { nodeOutput, type NodeOutputOptions } from "../log/node_output.ts";
import type { InputMessage } from "../message/schema.ts";
import { type CommandSpawn, commandSpawnFor } from "../methods/command_environment.ts";
import { Metrics } from "../metrics.ts";
import { Security } from "../security/security.ts";
import { PRIVATE_FOLDER_MODE } from "../store/file_modes.ts";
import { loadJournalKey } from "../store/journal_key.ts";
import { CorruptDatabaseError, openKvFile } from "../store/kv_file.ts";
import { StoreJournal } from "../store/store_journal.ts";
import { IdempotencyKeys } from "../store/idempotency_keys.ts";
import { DedupStore } from "../store/dedup_store.ts";
import { HelloLog } from "../store/hello_log.ts";
import type { Supervisor } from "./supervisor.ts";
import { HelloStore } from "../store/hello_store.ts";
import { InflightStore } from "../store/inflight_store.ts";
import { KvBatcher } from "../store/kv_batcher.ts";
import { ReplyChains } from "./reply_chains.ts";
import { ReplyFiles, type WriteLedger } from "./reply_files.ts";
import { type BrokerState, connectBroker } from "../transport/nats.ts";
import { errorText } from "./error_text.ts";
import { dataModes, describeNodeFiles, tightenNodeFiles } from "./private_files.ts";

/** Options of {@linkcode Node.start}. */
export interface NodeOptions extends NodeOutputOptions {
  /** Collect default process metrics (default true; off when many nodes share a process). */
  defaultMetrics?: boolean;
  /** How long a receiver remembers executed ids (default: -dedupRetentionSeconds). */
  dedupRetentionMs?: number;
  /** Folder of the signing key and acl.json: the agent's CONFIG_FOLDER (default databaseFolder). */
  configFolder?: string;
}

/** Options of {@linkcode openNodeResources}: the node's, and its ports before it exists. */
export interface NodeResourceOptions extends NodeOptions {
  /** Queues a message from the node, once it exists (trusted-key updates). */
  send: (input: InputMessage) => Promise<void>;
  /** The node's broker connection if it is up now (trusted-set broadcasts). */
  connected?: () => NatsConnection | undefined;
  /** Reports a failed audit write (at most once a minute). */
  auditError: (text: string) => void;
}

/** What {@linkcode openNodeResources} opened, for the node to hold and close. */
export interface NodeResources {
  /** How commands are spawned (minimal environment, `-runAsUser`, spawn thread). */
  commandSpawn: CommandSpawn;
  /** The node's database. */
  kv: Deno.Kv;
  /** The audit log of messages sent and their outcomes. */
  audit: AuditLog;
  /** The journal of stores, written before their effect. */
  journal: StoreJournal;
  /** Signing, verification and ACL of the node. */
  security: Security;
  /** The node's metrics. */
  metrics: Metrics;
}

/**
 * Opens what a node of `config` holds, in order; on a failure, closes what was opened before
 * it and throws.
 *
 * @throws {CorruptDatabaseError} when the database cannot be read.
 * @throws {Error} when a folder, the database, a log or the keys cannot be used, saying which
 * and why.
 * @example
 * ```ts ignore
 * import { openNodeResources } from "./node_resources.ts";
 * import { defaultConfig } from "../config.ts";
 * const resources = await openNodeResources(defaultConfig({ nodeName: "ship1" }), {
 *   send: () => Promise.reject(new Error("node not started")),
 *   auditError: (text) => console.error(text),
 * });
 * ```
 */
export async function openNodeResources(
  config: Config,
  options: NodeResourceOptions,
): Promise<NodeResources> {
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
  const { log } = nodeOutput(options);
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
  const audit = await AuditLog.open(auditPath, {
    maxBytes: config.auditMaxBytes,
    maxFiles: config.auditMaxFiles,
    onError: (text) => options.auditError(text),
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
    const key = await loadJournalKey(configFolder);
    journal = StoreJournal.open(journalPath, key, undefined, config.maxMessageSize);
  } catch (err) {
    kv.close();
    await audit.close();
    throw new Error(
      `-databaseFolder "${config.databaseFolder}": cannot open the store journal ` +
        `${journalPath}: ${errorText(err)}`,
    );
  }
  let security: Security;
  try {
    security = await Security.open(kv, config, {
      configFolder,
      send: options.send,
      connected: options.connected,
      log,
    });
  } catch (err) {
    kv.close();
    journal.close();
    await audit.close();
    throw new Error(`Cannot load the node's signing key and ACL: ${errorText(err)}`);
  }
  const metrics = await Metrics.open({
    serve: config.promHostAndPort !== "",
    defaultMetrics: options.defaultMetrics,
  });
  return { commandSpawn, kv, audit, journal, security, metrics };
}

/** The node's stores over its database, and its reply-file writer. */
export interface NodeStores {
  /** Commits the node's KV writes in batches. */
  batcher: KvBatcher;
  /** Messages accepted and not yet finished. */
  inflight: InflightStore;
  /** Which messages were taken on, and how far they got. */
  dedup: DedupStore;
  /** When each node last said hello. */
  hello: HelloStore;
  /** Which replies answer requests made here. */
  chains: ReplyChains;
  /** Writes reply files inside the data folder. */
  replyFiles: ReplyFiles;
  /** The idempotency keys of inputs. */
  idempotency: IdempotencyKeys;
}

/**
 * Builds the stores of a node of `config` over its database `kv` (nothing is read yet).
 *
 * @example
 * ```ts
 * import { nodeStores } from "./node_resources.ts";
 * import { defaultConfig } from "../config.ts";
 * const kv = await Deno.openKv(":memory:");
 * const stores = nodeStores(kv, defaultConfig({ nodeName: "ship1" }));
 * console.assert(stores.inflight.size === 0);
 * kv.close();
 * ```
 */
export function nodeStores(
  kv: Deno.Kv,
  config: Config,
  options: {
    dedupRetentionMs?: number;
    /** Where each append is placed before it is made (the store journal). */
    ledger?: WriteLedger;
  } = {},
): NodeStores {
  const batcher = new KvBatcher(kv);
  const retentionMs = options.dedupRetentionMs ?? config.dedupRetentionSeconds * 1000;
  return {
    batcher,
    inflight: new InflightStore(kv, batcher),
    dedup: new DedupStore(kv, batcher, retentionMs),
    hello: new HelloStore(
      kv,
      new HelloLog(join(config.subscribersDataFolder, "hello-messages"), {
        folderMode: dataModes(config).folder,
      }),
    ),
    // A chain record lives as long as its request can still be answered (see ReplyChains).
    chains: new ReplyChains(kv),
    replyFiles: new ReplyFiles(config.subscribersDataFolder, dataModes(config), options.ledger),
    // Remembered as long as the ids of the messages they name.
    idempotency: new IdempotencyKeys(kv, retentionMs),
  };
}

/**
 * Narrows the modes of the reply files an earlier version left readable by others, in the
 * background (there may be many), and writes what it did to `options.log`.
 *
 * @example
 * ```ts ignore
 * import { tightenDataFiles } from "./node_resources.ts";
 * import { defaultConfig } from "../config.ts";
 * tightenDataFiles(defaultConfig({ nodeName: "ship1" }), { log: console.error });
 * ```
 */
export function tightenDataFiles(
  config: Config,
  options: NodeOptions,
): void {
  const { log } = nodeOutput(options);
  const configFolder = options.configFolder ?? config.databaseFolder;
  tightenNodeFiles(config, configFolder, { only: "data" }).then(
    (report) => describeNodeFiles(report).forEach((line) => log(`${config.nodeName}: ${line}`)),
    (err) =>
      log(`${config.nodeName}: cannot narrow the modes in the data folder: ${errorText(err)}`),
  );
}

/**
 * Connects node `config.nodeName` to its broker, retrying until it is reached; broker
 * unreachable, connected, disconnected and reconnected are told to `onState`.
 *
 * @example
 * ```ts ignore
 * import { connectNode } from "./node_resources.ts";
 * import { defaultConfig } from "../config.ts";
 * const nc = await connectNode(defaultConfig({ nodeName: "ship1" }), (s) => console.error(s));
 * ```
 */
export function connectNode(
  config: Config,
  onState: (state: BrokerState) => void,
): Promise<NatsConnection> {
  return connectBroker({
    brokerAddress: config.brokerAddress,
    name: config.nodeName,
    retryIntervalSeconds: config.natsConnectRetryInterval,
    nkeySeedFile: config.nkeySeedFile || undefined,
    rootCAPath: config.rootCAPath || undefined,
    certFile: config.certFile || undefined,
    keyFile: config.keyFile || undefined,
    // Our own inbox: the broker can then let each node read only its own ACKs.
    inboxPrefix: `_INBOX.${config.nodeName}`,
    onState,
  });
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

/**
 * Points the node's gauges at what they read when metrics are scraped.
 *
 * @example
 * ```ts ignore
 * import { readMetricsFrom } from "./node_resources.ts";
 * readMetricsFrom(metrics, { executor, supervisor, stores, outbox });
 * ```
 */
export function readMetricsFrom(
  metrics: Metrics,
  parts: {
    executor: { queued: number; running: number };
    supervisor: Supervisor;
    stores: NodeStores;
    outbox: { length: number };
  },
): void {
  const { executor, supervisor, stores, outbox } = parts;
  metrics.readFrom({
    executor: () => ({ queued: executor.queued, running: executor.running }),
    processes: () => supervisor.list(),
    inflight: () => stores.inflight.size,
    ringBufferDepth: () => outbox.length,
    helloSeen: () => stores.hello.all(),
  });
}
