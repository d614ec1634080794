/**
 * The optional services of a node, each started as a supervised process when its flag is
 * set: the Prometheus endpoint (-promHostAndPort), the read-only data folder over HTTP
 * (-exposeDataFolder), the hosted playbooks (-playbooksFolder), the hellos to central
 * (-startPubREQHello) and the listener of copy chunks (-startSubREQCopyDst).
 *
 * @module
 */
import { join } from "node:path";
import type { Config } from "../config.ts";
import { serveDataFolder } from "../input/expose_data_folder.ts";
import type { Metrics } from "../metrics.ts";
import { serveMetrics } from "../metrics_server.ts";
import { hostPlaybooks } from "../playbooks_host.ts";
import { type HelloTickerDeps, sayHello } from "./hello_ticker.ts";
import type { Supervisor } from "./supervisor.ts";
import type { Copies } from "../copy/copies.ts";

/** What {@linkcode startServices} reads and starts processes through. */
export interface ServicesDeps
  extends Pick<HelloTickerDeps, "connection" | "security" | "stamp" | "submit"> {
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
    | "startSubREQCopyDst"
  >;
  /** The metrics to serve (their registry is absent when the node collects none). */
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
 * @throws {Error} when a listener cannot bind its address.
 * @example
 * ```ts
 * import { startServices } from "./services.ts";
 * import { Supervisor } from "./supervisor.ts";
 * import { defaultConfig } from "../config.ts";
 * const supervisor = new Supervisor();
 * startServices({
 *   config: defaultConfig({ nodeName: "ship1", startPubREQHello: 0 }), // no service asked for
 *   metrics: { registry: undefined },
 *   connection: () => Promise.resolve(),
 *   security: { helloFields: () => ({ publicKey: "k", trustVersion: 1 }) },
 *   stamp: () => [],
 *   submit: () => Promise.resolve(),
 *   supervisor,
 *   reportError() {},
 *   log() {},
 * });
 * console.assert(supervisor.list().length === 0);
 * ```
 */
export function startServices(deps: ServicesDeps): void {
  const { config, supervisor } = deps;
  const registry = deps.metrics.registry;
  if (registry) {
    const prom = serveMetrics(registry, config.promHostAndPort);
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
