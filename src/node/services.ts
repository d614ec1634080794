/**
 * The optional services of a node, each started as a supervised process when its flag is
 * set: the Prometheus endpoint (-promHostAndPort), the read-only data folder over HTTP
 * (-exposeDataFolder), the hosted playbooks (-playbooksFolder), the hellos to central
 * (-startPubREQHello), the listener of copy chunks (-startSubREQCopyDst), on every node but
 * central the trusted set's broadcasts, and on central the operator's web page (-webListener).
 *
 * @module
 */
import { join } from "node:path";
import type { NatsConnection } from "npm:@nats-io/transport-node@3.4.0";
import type { Config } from "../config.ts";
import { serveDataFolder } from "../input/expose_data_folder.ts";
import type { Metrics } from "../metrics.ts";
import { serveMetrics } from "../metrics_server.ts";
import { hostPlaybooks } from "../playbooks_host.ts";
import type { Security } from "../security/security.ts";
import { listenToTrustBroadcasts, trustBroadcastSubject } from "../security/trust_broadcast.ts";
import { startWebPage, type WebPageDeps } from "../web/start_web_page.ts";
import { type HelloTickerDeps, sayHello } from "./hello_ticker.ts";
import type { Supervisor } from "./supervisor.ts";
import type { Copies } from "../copy/copies.ts";

/** What {@linkcode startServices} reads and starts processes through. */
export interface ServicesDeps
  extends
    Pick<HelloTickerDeps, "stamp" | "submit">,
    Partial<Pick<WebPageDeps, "intake" | "inflight">> {
  /** The broker connection, once reached. */
  connection(): Promise<NatsConnection>;
  /** The flags that ask for each service. */
  config: Pick<
    Config,
    | "nodeName"
    | "promHostAndPort"
    | "exposeDataFolder"
    | "subscribersDataFolder"
    | "playbooksFolder"
    | "socketFolder"
    | "centralNodeName"
    | "startPubREQHello"
    | "webListener"
    | "databaseFolder"
    | "startSubREQCopyDst"
  >;
  /**
   * Signs hellos; on a node, verifies and puts in force the trusted set's broadcasts; on
   * central, holds the key registry the web page shows.
   */
  security:
    & HelloTickerDeps["security"]
    & Pick<Security, "acceptBroadcast">
    & Partial<WebPageDeps["security"]>;
  /** The metrics to serve; no registry when the node collects none. */
  metrics: Pick<Metrics, "registry">;
  /** The node's copies, whose chunks it takes when -startSubREQCopyDst is set. */
  copies?: Pick<Copies, "receiver">;
  /** Runs each service as a named, stoppable process. */
  supervisor: Pick<Supervisor, "start">;
  /** Reports an error line (local log and central). */
  reportError(text: string): void;
  /** Writes a local log line. */
  log(line: string): void;
}

/**
 * Starts the services `deps.config` asks for.
 *
 * @throws {Error} when a listener cannot bind its address, or `-webListener` is set on a node
 * that is not central (or without `intake` and `inflight`).
 * @example
 * ```ts
 * import { startServices } from "./services.ts";
 * import { Supervisor } from "./supervisor.ts";
 * import { defaultConfig } from "../config.ts";
 * const supervisor = new Supervisor();
 * await startServices({
 *   // No service asked for (central listens to no broadcast).
 *   config: defaultConfig({ nodeName: "central", startPubREQHello: 0 }),
 *   metrics: { registry: undefined },
 *   connection: () => new Promise(() => {}), // never reached: nothing here needs it
 *   security: {
 *     helloFields: () => ({ publicKey: "k", trustVersion: 1 }),
 *     acceptBroadcast: () => Promise.resolve(undefined),
 *   },
 *   stamp: () => [],
 *   submit: () => Promise.resolve(),
 *   supervisor,
 *   reportError() {},
 *   log() {},
 * });
 * console.assert(supervisor.list().length === 0);
 * ```
 */
export async function startServices(deps: ServicesDeps): Promise<void> {
  const { config, supervisor } = deps;
  if (deps.metrics.registry) {
    const prom = serveMetrics(deps.metrics.registry, config.promHostAndPort);
    supervisor.start("listener", `prom:${config.promHostAndPort}`, (s) => prom.run(s));
  }
  if (config.exposeDataFolder) {
    const at = config.exposeDataFolder;
    const data = serveDataFolder(config.subscribersDataFolder, at);
    supervisor.start("listener", `exposeDataFolder:${at}`, (s) => data.run(s));
  }
  if (config.playbooksFolder) {
    const folder = config.playbooksFolder;
    supervisor.start("ticker", `playbooks:${folder}`, (signal) =>
      hostPlaybooks({
        folder,
        socketPath: join(config.socketFolder, "steward.sock"),
        nodeName: config.nodeName,
        reportError: (text) => deps.reportError(text),
        log: (line) => deps.log(`${config.nodeName}: ${line}`),
      }, signal));
  }
  if (config.nodeName !== config.centralNodeName) {
    const central = config.centralNodeName;
    supervisor.start(
      "subscriber",
      trustBroadcastSubject(central),
      (signal) =>
        listenToTrustBroadcasts({
          central,
          connection: () => deps.connection(),
          accept: (bytes) => deps.security.acceptBroadcast(bytes),
          refused: (reason) => deps.log(`${config.nodeName}: ${reason}`),
        }, signal),
    );
  }
  if (config.webListener) {
    const { intake, inflight, security } = deps;
    if (!intake || !inflight) throw new Error("-webListener: the node gave no intake to serve");
    await startWebPage({ config, intake, inflight, security: { registry: security.registry } });
  }
  if (config.startSubREQCopyDst && deps.copies) {
    const receiver = deps.copies.receiver;
    supervisor.start("listener", "REQCopyDst.chunks", (signal) => receiver.run(signal));
  }
  if (config.startPubREQHello > 0) {
    supervisor.start("ticker", "REQHello", (signal) =>
      sayHello({
        ...deps,
        nodeName: config.nodeName,
        centralNodeName: config.centralNodeName,
        everySeconds: config.startPubREQHello,
      }, signal));
  }
}
